import { OptionError } from '@lading/digest';

/** One `--attest` request, as buildx spells it: `type=sbom`, `type=provenance,mode=max`, `disabled=true`. */
export interface AttestRequest {
  readonly type: string;
  readonly attrs: Readonly<Record<string, string>>;
}

export interface ProvenanceOptions {
  /** BuildKit's modes: `min` records the inputs, `max` also each step, the config edits and the directories' digests. */
  readonly mode: 'min' | 'max';
  readonly builderId?: string;
  readonly reproducible: boolean;
}

/** The attestations an export attaches to each image it writes. */
export interface AttestOptions {
  readonly sbom?: Readonly<Record<string, never>>;
  readonly provenance?: ProvenanceOptions;
}

function bool(value: string, key: string, type: string): boolean {
  if (/^(1|t|T|TRUE|true|True)$/.test(value)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(value)) return false;
  throw new OptionError('ATTEST_BAD_BOOL', `--attest type=${type}: ${key}=${value} is not a boolean`, {
    key: 'attest',
  });
}

/**
 * buildx's `--sbom VALUE` / `--provenance VALUE` as the `--attest` they stand for (buildflags.CanonicalizeAttest):
 * a boolean turns the type on or off, anything else is its attributes (`--provenance mode=max`).
 */
export function attestShorthand(type: 'sbom' | 'provenance', value: string): AttestRequest {
  if (/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(value))
    return { type, attrs: { disabled: String(!bool(value, type, type)) } };
  const attrs: Record<string, string> = {};
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    if (eq <= 0)
      throw new OptionError(
        'ATTEST_SPEC',
        `--${type} ${JSON.stringify(value)}: expected true, false or KEY=VALUE,...`,
        {
          key: type,
        },
      );
    attrs[field.slice(0, eq)] = field.slice(eq + 1);
  }
  return { type, attrs };
}

/**
 * Checks the requests and turns them into attestation options; a later request of a type replaces an earlier one
 * (buildx's removeAttestDupes), `disabled=true` turns it off. Unknown types and attributes are usage errors.
 */
export function resolveAttestations(requests: readonly AttestRequest[]): AttestOptions {
  const last = new Map<string, AttestRequest>();
  for (const r of requests) last.set(r.type, r);
  let sbom: AttestOptions['sbom'];
  let provenance: ProvenanceOptions | undefined;
  for (const { type, attrs } of last.values()) {
    const { disabled, ...rest } = attrs;
    if (disabled !== undefined && bool(disabled, 'disabled', type)) continue;
    if (type === 'sbom') {
      if (rest.generator !== undefined) {
        throw new OptionError(
          'ATTEST_SBOM_GENERATOR',
          '--attest type=sbom,generator=...: lading makes the SBOM from the image itself while it builds the layers; it runs no generator image (drop generator=)',
          { key: 'attest' },
        );
      }
      const unknown = Object.keys(rest);
      if (unknown.length > 0)
        throw new OptionError('ATTEST_UNKNOWN_ATTR', `--attest type=sbom: unknown attribute ${unknown[0]}`, {
          key: 'attest',
        });
      sbom = {};
    } else if (type === 'provenance') {
      const {
        mode = 'max',
        'builder-id': builderId,
        reproducible,
        version,
        filename: _filename,
        ...more
      } = rest;
      const unknown = Object.keys(more);
      if (unknown.length > 0)
        throw new OptionError(
          'ATTEST_UNKNOWN_ATTR',
          `--attest type=provenance: unknown attribute ${unknown[0]} (mode, builder-id, reproducible, version)`,
          { key: 'attest' },
        );
      // BuildKit's messages (solver/llbsolver/provenance.go): full is max.
      if (mode !== 'min' && mode !== 'max' && mode !== 'full')
        throw new OptionError('ATTEST_PROVENANCE_MODE', `invalid mode "${mode}": use mode=min or mode=max`, {
          key: 'attest',
        });
      if (version !== undefined && version !== 'v0.2')
        throw new OptionError(
          'ATTEST_PROVENANCE_VERSION',
          `--attest type=provenance,version=${version}: lading writes SLSA provenance v0.2 (version=v0.2)`,
          { key: 'attest' },
        );
      provenance = {
        mode: mode === 'min' ? 'min' : 'max',
        ...(builderId !== undefined && builderId !== '' ? { builderId } : {}),
        reproducible: reproducible !== undefined ? bool(reproducible, 'reproducible', type) : false,
      };
    } else {
      throw new OptionError(
        'ATTEST_TYPE',
        `--attest type=${type}: unknown attestation type (lading makes type=sbom and type=provenance)`,
        { key: 'attest' },
      );
    }
  }
  return { ...(sbom ? { sbom } : {}), ...(provenance ? { provenance } : {}) };
}

/** Whether any attestation is asked for. */
export function wantsAttestations(options: AttestOptions | undefined): boolean {
  return options?.sbom !== undefined || options?.provenance !== undefined;
}
