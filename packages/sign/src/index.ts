export type { AttachmentManifest, SigstoreSignature } from './cosign-attachments.js';
export { cosignSignatureTag, referrerManifest, withSignatures } from './cosign-attachments.js';
export type { CosignKeyPair, CosignSigningKey } from './cosign-keys.js';
export {
  cosignPrivateKeyPemType,
  generateCosignKeyPair,
  isCosignPrivateKey,
  readCosignPrivateKey,
  readCosignPublicKey,
  sigstorePrivateKeyPemType,
} from './cosign-keys.js';
export { signCosign, verifyCosign } from './cosign-signature.js';
export type { GpgOptions } from './gpg.js';
export { signWithGpg } from './gpg.js';
export type { SignedIdentity } from './identity.js';
export { identityMatches, parseSignedIdentity } from './identity.js';
export { signingTargets } from './instances.js';
export { readLayoutSignatures, writeLayoutSignatures } from './layout-signatures.js';
export type { OpenPgpSigningKey } from './openpgp-keys.js';
export { readOpenPgpPrivateKey, readOpenPgpPublicKeys } from './openpgp-keys.js';
export type { OpenPgpCheck } from './openpgp-signature.js';
export { checkOpenPgp, signOpenPgp } from './openpgp-signature.js';
export type { PayloadOptions, PayloadType, SignaturePayload } from './payload.js';
export { atomicSignatureType, cosignSignatureType, decodePayload, encodePayload } from './payload.js';
export type { LookasideNamespace, RegistriesConfig, RegistriesDirOptions } from './registries-d.js';
export {
  builtinLookaside,
  loadRegistriesConfig,
  lookasideBase,
  referenceNamespaces,
  registriesDir,
  usesSigstoreAttachments,
} from './registries-d.js';
export type { StoredSignatures } from './registry-image.js';
export { readRegistryImageSignatures, storeRegistryImageSignatures } from './registry-image.js';
export type { WriteRegistrySignaturesResult } from './registry-signatures.js';
export { hasReferrersApi, readRegistrySignatures, writeRegistrySignatures } from './registry-signatures.js';
export type { ImageSignature } from './signature.js';
export {
  cosignSignatureAnnotation,
  cosignSignatureArtifactType,
  cosignSignatureMediaType,
  decodeSignatureBlob,
  encodeSignatureBlob,
} from './signature.js';
export {
  lookasideUrl,
  maxSignatureBytes,
  readDirSignatures,
  readLookasideSignatures,
  writeDirSignatures,
  writeLookasideSignatures,
} from './signature-files.js';
export type { ImageSigner } from './signer.js';
export { cosignSigner, gpgSigner, loadSigningKey, openPgpSigner } from './signer.js';
export type { VerificationKeys } from './verification-keys.js';
export { readVerificationKeys } from './verification-keys.js';
export type { SignatureCheck, Verdict, VerificationResult, VerifyOptions } from './verify.js';
export { verifyImageSignatures } from './verify.js';
