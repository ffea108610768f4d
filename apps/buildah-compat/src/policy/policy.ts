import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, posix } from 'node:path';
import { InvalidInputError, NotFoundError, parseJson } from '@lading/digest';
import { parseSignedIdentity } from '@lading/sign';
import { formatImageReference, type ImageReference } from '@lading/transports';
import { normalizeScope, policyScopes } from './scopes.js';
import { checkSignatureRequirement, PolicyRejectedError } from './signature-check.js';
import {
  type PolicyImage,
  parseSignatureRequirement,
  type SignatureRequirement,
} from './signature-requirements.js';

export { PolicyRejectedError };

/**
 * Evaluates a signature policy for images; `check` throws `PolicyRejectedError` when the policy refuses one.
 * Signature requirements need `image` (its manifest and signatures): without it they are refused as unverifiable.
 */
export interface PolicyContext {
  check(ref: ImageReference, image?: PolicyImage): Promise<void>;
}

export type PolicyRequirement =
  | { readonly type: 'insecureAcceptAnything' }
  | { readonly type: 'reject' }
  | SignatureRequirement
  | { readonly type: 'signedBaseLayer'; readonly raw: Record<string, unknown> };

export interface Policy {
  readonly default: readonly PolicyRequirement[];
  /** transport -> scope -> requirements. */
  readonly transports: ReadonlyMap<string, ReadonlyMap<string, readonly PolicyRequirement[]>>;
}

// Path scopes must be absolute and clean (containers/image's oci ValidateScope; dir: the same rule).
const pathTransports = new Set(['oci', 'oci-archive', 'dir']);

function bad(message: string): InvalidInputError {
  return new InvalidInputError('POLICY_INVALID', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseRequirement(v: unknown): PolicyRequirement {
  if (!isObject(v)) throw bad('a policy requirement must be a JSON object');
  const type = v.type;
  if (type === 'insecureAcceptAnything' || type === 'reject') {
    for (const key of Object.keys(v)) if (key !== 'type') throw bad(`Unknown key "${key}"`);
    return { type };
  }
  if (type === 'signedBy' || type === 'sigstoreSigned')
    return parseSignatureRequirement(v, parseSignedIdentity);
  if (type === 'signedBaseLayer') return { type, raw: v };
  throw bad(`Unknown policy requirement type ${JSON.stringify(type === undefined ? '' : type)}`);
}

function parseRequirements(v: unknown): PolicyRequirement[] {
  if (!Array.isArray(v)) throw bad('a list of policy requirements must be a JSON array');
  if (v.length === 0) throw bad('List of verification policy requirements must not be empty');
  return v.map(parseRequirement);
}

function validateScope(transport: string, scope: string): void {
  if (scope === '') return;
  if (pathTransports.has(transport)) {
    if (!scope.startsWith('/')) throw bad(`Invalid scope ${scope}: must be an absolute path`);
    if (scope === '/') throw bad('Invalid scope "/": Use the generic default scope ""');
    let cleaned = posix.normalize(scope);
    if (cleaned.length > 1 && cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
    if (cleaned !== scope) {
      throw bad(`Invalid scope ${scope}: Uses non-canonical path format, perhaps try with path ${cleaned}`);
    }
  }
  if (transport === 'docker-archive' || transport === 'docker-daemon') {
    throw bad(`${transport}: does not support any scopes except the default "" one`);
  }
}

/** Parses policy.json with containers/image's strictness: unknown keys and empty requirement lists are errors. */
export function parsePolicy(text: string): Policy {
  const json = parseJson(text, { what: 'the policy', code: 'POLICY_INVALID' });
  if (!isObject(json)) throw bad('the policy must be a JSON object');
  for (const key of Object.keys(json)) {
    if (key !== 'default' && key !== 'transports') throw bad(`Unknown key "${key}"`);
  }
  if (json.default === undefined || json.default === null) throw bad('Default policy is missing');
  const transports = new Map<string, Map<string, PolicyRequirement[]>>();
  if (json.transports !== undefined && json.transports !== null) {
    if (!isObject(json.transports)) throw bad('"transports" must be a JSON object');
    for (const [transport, scopes] of Object.entries(json.transports)) {
      if (!isObject(scopes)) throw bad(`"transports.${transport}" must be a JSON object`);
      const byScope = new Map<string, PolicyRequirement[]>();
      for (const [scope, reqs] of Object.entries(scopes)) {
        validateScope(transport, scope);
        byScope.set(normalizeScope(transport, scope), parseRequirements(reqs));
      }
      transports.set(transport, byScope);
    }
  }
  return { default: parseRequirements(json.default), transports };
}

/**
 * The requirements for an image: the transport's entry for the image's identity, else for the most specific of its
 * namespaces, else the transport's `""` entry, else the policy's `default` (containers/image's requirementsForImageRef).
 */
export async function requirementsFor(
  policy: Policy,
  ref: ImageReference,
): Promise<readonly PolicyRequirement[]> {
  const scopes = policy.transports.get(ref.transport);
  if (scopes !== undefined) {
    for (const scope of await policyScopes(ref)) {
      const reqs = scopes.get(scope);
      if (reqs !== undefined) return reqs;
    }
    const fallback = scopes.get('');
    if (fallback !== undefined) return fallback;
  }
  return policy.default;
}

/**
 * Every requirement must allow the image, in order (containers/image's IsRunningImageAllowed). `signedBy` (GPG keys)
 * and `sigstoreSigned` (a public key) are verified against the image's signatures; what lading cannot verify
 * (`signedBaseLayer`, other key types, Fulcio and Rekor, or no access to the image) is refused, never accepted.
 */
export async function checkPolicy(policy: Policy, ref: ImageReference, image?: PolicyImage): Promise<void> {
  const name = formatImageReference(ref);
  for (const req of await requirementsFor(policy, ref)) {
    if (req.type === 'insecureAcceptAnything') continue;
    if (req.type === 'reject') {
      throw new PolicyRejectedError(
        'POLICY_REJECTED',
        `Source image rejected: Running image ${name} is rejected by policy.`,
      );
    }
    const unverifiable =
      req.type === 'signedBaseLayer'
        ? 'lading-buildah does not evaluate signedBaseLayer'
        : image === undefined
          ? 'lading-buildah could not read the image to verify it'
          : req.type === 'sigstoreSigned' && req.unsupported !== undefined
            ? `lading-buildah verifies sigstoreSigned with keyPath or keyData only, not ${req.unsupported}`
            : undefined;
    if (unverifiable !== undefined || image === undefined || req.type === 'signedBaseLayer') {
      throw new PolicyRejectedError(
        'POLICY_SIGNATURE_UNVERIFIABLE',
        `Source image rejected: the policy requires a "${req.type}" signature for ${name}, and ${unverifiable}; use a policy with insecureAcceptAnything for this scope if unsigned images are acceptable`,
      );
    }
    await checkSignatureRequirement(req, image);
  }
}

export interface LoadPolicyOptions {
  /** The home directory whose `.config/containers/policy.json` is looked for (default: the user's). */
  readonly home?: string;
  /** The system-wide policy (default `/etc/containers/policy.json`). */
  readonly systemPath?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

/** `--signature-policy PATH`, else `$HOME/.config/containers/policy.json` when present, else the system policy. */
export async function defaultPolicyPath(path?: string, options: LoadPolicyOptions = {}): Promise<string> {
  if (path !== undefined && path !== '') return path;
  const user = join(options.home ?? process.env.HOME ?? homedir(), '.config', 'containers', 'policy.json');
  if (await exists(user)) return user;
  return options.systemPath ?? '/etc/containers/policy.json';
}

/** Reads a signature policy file (containers-policy.json(5)); a missing or invalid file is an error, never "allow". */
export async function loadPolicy(path?: string, options: LoadPolicyOptions = {}): Promise<PolicyContext> {
  const file = await defaultPolicyPath(path, options);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : (cause as Error).message;
    throw new NotFoundError(
      'POLICY_NOT_FOUND',
      `obtaining the signature policy: open ${file}: ${why} (give one with --signature-policy, or create $HOME/.config/containers/policy.json or /etc/containers/policy.json)`,
      { cause },
    );
  }
  let policy: Policy;
  try {
    policy = parsePolicy(text);
  } catch (cause) {
    throw new InvalidInputError(
      'POLICY_INVALID',
      `invalid policy in "${file}": ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return { check: (ref, image) => checkPolicy(policy, ref, image) };
}
