import type { Provider } from '@lading/content-store';
import { type Digest, defaultPlatform, digestOf, OptionError, type Platform } from '@lading/digest';
import type { ExportAttestation, ExportImage, ExportLayer } from '../../plugin/types.js';
import type { ConfigEdits, LayerInput } from '../build-source.js';
import type { AttestOptions } from './attest-options.js';
import type { ImageSbom } from './image-sbom.js';
import { provenancePredicate } from './provenance.js';
import { PredicateType } from './statement.js';

/**
 * Outputs that cannot carry attestations, refused before anything is built: `type=docker` (a docker save
 * tarball holds one image, not an index: BuildKit's message) and `type=moby` (the Engine's image store keeps no
 * index either; buildx refuses attestations for it).
 */
export function refuseAttestationOutputs(outputs: readonly { readonly type: string }[]): void {
  for (const o of outputs) {
    if (o.type === 'docker') {
      throw new OptionError(
        'ATTEST_DOCKER',
        'docker exporter does not currently support exporting manifest lists: an image with attestations is an index; use type=oci or type=registry',
        { key: 'attest' },
      );
    }
    if (o.type === 'moby') {
      throw new OptionError(
        'ATTEST_MOBY',
        "type=moby does not support attestations: the Docker Engine's image store keeps no index; use type=oci, type=image or type=registry",
        { key: 'attest' },
      );
    }
  }
}

export interface ImageAttestationsInput {
  readonly attest: AttestOptions;
  /** The image built for one platform: base layers first, then one per input. */
  readonly image: ExportImage;
  readonly provider: Provider;
  readonly platform: Platform;
  readonly inputs: readonly LayerInput[];
  readonly sbom?: ImageSbom;
  readonly base?: { readonly ref: string; readonly digest: Digest };
  readonly edits?: ConfigEdits;
  readonly config?: Uint8Array;
  readonly outputs: readonly { readonly type: string; readonly attrs: Readonly<Record<string, string>> }[];
  readonly epoch?: Date;
  readonly startedOn: Date;
  readonly cwd: string;
}

/** The attestations of one image, in BuildKit's order: the SBOM, then the provenance. */
export async function imageAttestations(input: ImageAttestationsInput): Promise<ExportAttestation[]> {
  const out: ExportAttestation[] = [];
  const inputStart = input.image.layers.length - input.inputs.length;
  if (input.attest.sbom && input.sbom) {
    out.push({
      kind: 'in-toto',
      path: 'sbom.spdx.json',
      predicateType: PredicateType.spdx,
      predicate: await input.sbom.document(input.image.layers, input.provider, inputStart, {
        created: input.epoch ?? new Date(),
      }),
    });
  }
  if (input.attest.provenance) {
    out.push({
      kind: 'in-toto',
      path: 'provenance.json',
      predicateType: PredicateType.slsaProvenance02,
      predicate: provenancePredicate({
        options: input.attest.provenance,
        platform: input.platform,
        hostPlatform: defaultPlatform(),
        startedOn: input.startedOn,
        finishedOn: new Date(),
        ...(input.base ? { base: input.base } : {}),
        inputs: input.inputs.map((i, k) => ({
          input: i,
          layer: input.image.layers[inputStart + k] as ExportLayer,
        })),
        ...(input.edits ? { edits: input.edits } : {}),
        ...(input.config ? { configDigest: digestOf(input.config) } : {}),
        outputs: input.outputs,
        ...(input.epoch ? { epoch: input.epoch } : {}),
        cwd: input.cwd,
      }),
    });
  }
  return out;
}
