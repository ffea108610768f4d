import type { Provider } from '@lading/content-store';
import { type Digest, OptionError } from '@lading/digest';
import type { DataRootProgress, MobyDriver } from '@lading/docker-engine';
import { formatReference, type Reference } from '@lading/reference-store/reference';
import type { ExportContext, ExportLayer } from '../plugin/types.js';

/** `--moby-driver` / `LADING_MOBY_DRIVER`: vfs or overlay2 (checked here so a typo is a usage error). */
export function parseMobyDriver(value: string | undefined, flag = '--moby-driver'): MobyDriver | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'vfs' || value === 'overlay2') return value;
  throw new OptionError('MOBY_DRIVER', `${flag} ${JSON.stringify(value)}: use vfs or overlay2`, {
    key: 'moby-driver',
  });
}

export interface MobyDataRootExport {
  /** What `dockerd --data-root` takes. */
  readonly root: string;
  /** The driver for a root without an image store yet (default vfs). */
  readonly driver?: MobyDriver;
  readonly config: Uint8Array;
  readonly layers: readonly ExportLayer[];
  readonly names: readonly Reference[];
  readonly provider: Provider;
}

/**
 * `type=moby` into a stopped dockerd's data-root: the image goes where `docker load` would have put it (layers,
 * driver directories, config, names), with the moby exporter's progress steps. Returns the image ID.
 */
export async function exportToMobyDataRoot(job: MobyDataRootExport, ctx: ExportContext): Promise<Digest> {
  const { writeDataRootImage } = await import('@lading/docker-engine');
  const progress = ctx.progress;
  const open = new Set<string>();
  let layersOpen = true;
  const layersDone = (error?: unknown) => {
    if (!layersOpen) return;
    layersOpen = false;
    for (const id of open) progress.done(id, error);
    progress.done('layers', error);
  };
  let tagged = 0;
  const onProgress = (p: DataRootProgress) => {
    if (p.kind === 'layer') {
      const id = `layer ${p.chainId}`;
      if (p.state === 'writing') {
        if (!open.has(id)) {
          open.add(id);
          progress.start(id, `writing layer ${p.chainId}`);
        }
        progress.update(id, p.bytes ?? 0, p.total);
      } else {
        if (!open.has(id)) progress.start(id, `layer ${p.chainId} exists`);
        open.delete(id);
        progress.done(id);
      }
    } else if (p.kind === 'image') {
      layersDone();
      progress.start('config', `writing image ${p.id}`);
      progress.done('config');
    } else {
      // Tags are written in the order given; moby's step names the reference in full.
      const name = job.names[tagged++];
      const label = `naming to ${name !== undefined ? formatReference(name) : p.name}`;
      progress.start(`tag ${label}`, label);
      progress.done(`tag ${label}`);
    }
  };
  progress.start('layers', 'exporting layers');
  try {
    const result = await writeDataRootImage(
      job.root,
      { config: job.config, layers: job.layers },
      {
        provider: job.provider,
        ...(job.driver ? { driver: job.driver } : {}),
        names: job.names,
        signal: ctx.signal,
        onProgress,
      },
    );
    return result.id;
  } catch (error) {
    layersDone(error);
    throw error;
  }
}
