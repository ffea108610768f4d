import { formatPlatform, OptionError } from '@lading/digest';
import { configPlatform, type SourceImage, sourceEpoch, sourceImages } from '../operations/write-image.js';
import { parseBool } from '../plugin/attrs.js';
import type { ExportSource } from '../plugin/types.js';
import { parseEpochAttr } from './epoch-attr.js';

/** The attributes of BuildKit's local and tar exporters (exporter/local/fs.go CreateFSOpts). */
export const filesystemAttributes = [
  'dest',
  'platform-split',
  'source-date-epoch',
  'attestation-prefix',
  'mode',
];

export interface FilesystemOptions {
  readonly dest: string;
  /** undefined: split when the source has one image per platform (BuildKit's default). */
  readonly platformSplit: boolean | undefined;
  readonly epoch: Date | undefined;
}

/** Validates `dest`, `platform-split`, `source-date-epoch` and `mode` as BuildKit and buildx do. */
export function parseFilesystemAttrs(
  type: 'local' | 'tar',
  attrs: Readonly<Record<string, string>>,
): FilesystemOptions {
  const dest = attrs.dest ?? (type === 'tar' ? '-' : '');
  if (dest === '')
    throw new OptionError('DEST_REQUIRED', `dest is required for ${type} exporter`, { key: 'dest' });
  if (type === 'local' && dest === '-') {
    throw new OptionError('DEST_STDOUT', 'dest cannot be stdout for local exporter: give a directory', {
      key: 'dest',
    });
  }
  const split = attrs['platform-split'];
  let platformSplit: boolean | undefined;
  if (split !== undefined) {
    try {
      platformSplit = parseBool(split, 'platform-split');
    } catch (cause) {
      throw new OptionError('ATTR_NOT_BOOL', `non-bool value for platform-split: ${split}`, {
        key: 'platform-split',
        cause,
      });
    }
  }
  const mode = attrs.mode;
  if (mode !== undefined && mode !== '' && mode !== 'copy') {
    throw new OptionError(
      'LOCAL_MODE',
      mode === 'delete'
        ? 'mode=delete (mirror DEST, deleting what the image lacks) is not supported: empty DEST first; files are merged into it (mode=copy)'
        : `invalid local exporter mode ${JSON.stringify(mode)}: use copy`,
      { key: 'mode' },
    );
  }
  const epoch = parseEpochAttr(attrs);
  return { dest, platformSplit, epoch };
}

/** One image of the source with the directory it goes under and the time its entries get. */
export interface FilesystemImage extends SourceImage {
  /** `linux_arm64` when split, else ''. */
  readonly subdir: string;
  readonly epoch: Date | undefined;
}

/**
 * The images to write, as BuildKit's exporters take them: one per platform in `refs.platforms` order, each under
 * `os_arch[_variant]` when split (the default with several), the exporter's epoch else the build's per platform.
 */
export function filesystemImages(source: ExportSource, opts: FilesystemOptions): FilesystemImage[] {
  const images = sourceImages(source);
  const isMap = images.some((i) => i.platformId !== undefined);
  const split = opts.platformSplit ?? isMap;
  return images.map((i) => {
    const platform = i.platform ?? configPlatform(i.image.config).platform;
    const id = i.platformId ?? (platform ? formatPlatform(platform) : '');
    return {
      ...i,
      subdir: split && id !== '' ? id.replaceAll('/', '_') : '',
      epoch: opts.epoch ?? sourceEpoch(source, i.platformId),
    };
  });
}
