import { InvalidInputError } from '@lading/digest';
import { readVerificationKeys, verifyImageSignatures } from '@lading/sign';
import { type PolicyImage, readKeySource, type SignatureRequirement } from './signature-requirements.js';

/** The policy refused an image (a `reject` requirement, a signature it did not accept, or one it cannot verify). */
export class PolicyRejectedError extends InvalidInputError {}

/**
 * One signature requirement against the image, as containers/image's `policy_eval_signedby.go` and
 * `policy_eval_sigstore.go`: one accepted signature is enough; otherwise the reasons, in its words.
 */
export async function checkSignatureRequirement(
  req: SignatureRequirement,
  image: PolicyImage,
): Promise<void> {
  const reject = (message: string) =>
    new PolicyRejectedError('POLICY_SIGNATURE_REJECTED', `Source image rejected: ${message}`);
  if (req.type === 'signedBy' && req.keyType !== 'GPGKeys')
    throw reject(`Unimplemented "keyType" value "${req.keyType}"`);
  const keys = await readVerificationKeys(await readKeySource(req.keys as NonNullable<typeof req.keys>));
  const format = req.type === 'signedBy' ? 'simple-signing' : 'sigstore';
  if ((format === 'simple-signing' ? keys.openPgp.length : keys.cosign.length) === 0)
    throw reject('No public keys imported');
  const signatures = (await image.signatures()).filter((s) => s.format === format);
  if (signatures.length === 0) throw reject('A signature was required, but no signature exists');
  const result = await verifyImageSignatures(signatures, {
    keys,
    manifest: await image.manifest(),
    reference: image.dockerReference,
    identity: req.signedIdentity,
    formats: [format],
  });
  if (result.verdict === 'verified') return;
  if (result.checks.length === 0) throw reject('A signature was required, but no signature exists');
  if (result.checks.length === 1) throw reject((result.checks[0] as (typeof result.checks)[number]).reason);
  throw reject(
    `None of the signatures were accepted, reasons: ${result.checks.map((c) => c.reason).join('; ')}`,
  );
}
