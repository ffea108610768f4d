import { formatPlatform, OptionError, type Platform, parsePlatform } from '@lading/digest';

/** Where an annotation goes, as BuildKit names the places (exporter/containerimage/exptypes/annotations.go). */
export type AnnotationType = 'manifest' | 'manifest-descriptor' | 'index' | 'index-descriptor';

/** The annotations of one platform group (or of every platform: the group ''). */
export interface AnnotationSet {
  readonly manifest: Readonly<Record<string, string>>;
  readonly manifestDescriptor: Readonly<Record<string, string>>;
  readonly index: Readonly<Record<string, string>>;
  readonly indexDescriptor: Readonly<Record<string, string>>;
}

/** BuildKit's AnnotationsGroup: annotation sets by platform ID (`linux/arm64/v8`), '' for those of every platform. */
export type AnnotationGroups = Readonly<Record<string, AnnotationSet>>;

// BuildKit's keyAnnotationRegexp: annotation[-TYPE][[PLATFORM]].KEY
const keyPattern = /^annotation(?:-([a-z-]+))?(?:\[([A-Za-z0-9_/-]+)\])?\.(\S+)$/;

const field: Record<AnnotationType, keyof AnnotationSet> = {
  manifest: 'manifest',
  'manifest-descriptor': 'manifestDescriptor',
  index: 'index',
  'index-descriptor': 'indexDescriptor',
};

function emptySet(): { -readonly [K in keyof AnnotationSet]: Record<string, string> } {
  return { manifest: {}, manifestDescriptor: {}, index: {}, indexDescriptor: {} };
}

/**
 * The annotations among an output's attributes, as BuildKit's ParseAnnotations reads them: `annotation.K=V` (the
 * manifest), `annotation-manifest.K`, `annotation-manifest-descriptor.K`, `annotation-index.K`,
 * `annotation-index-descriptor.K`, each optionally for one platform (`annotation-manifest[linux/arm64].K`).
 * A key that starts with `annotation` but is none of these is refused (BuildKit would drop it unseen).
 */
export function parseAnnotationAttrs(attrs: Readonly<Record<string, string>>): AnnotationGroups {
  const groups: Record<string, ReturnType<typeof emptySet>> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (!k.startsWith('annotation')) continue;
    const m = keyPattern.exec(k);
    if (!m) {
      throw new OptionError(
        'ANNOTATION_KEY_INVALID',
        `${k}: expected annotation[-manifest|-manifest-descriptor|-index|-index-descriptor][[OS/ARCH]].KEY=VALUE`,
        { key: k },
      );
    }
    const type = (m[1] ?? 'manifest') as AnnotationType;
    if (!(type in field)) {
      throw new OptionError('ANNOTATION_TYPE_UNKNOWN', `${k}: unrecognized annotation type ${m[1]}`, {
        key: k,
      });
    }
    let platform = '';
    if (m[2] !== undefined) {
      try {
        platform = formatPlatform(parsePlatform(m[2]));
      } catch (cause) {
        throw new OptionError('ANNOTATION_PLATFORM_INVALID', `${k}: invalid platform ${m[2]}`, {
          key: k,
          cause,
        });
      }
    }
    groups[platform] ??= emptySet();
    (groups[platform] as ReturnType<typeof emptySet>)[field[type]][m[3] as string] = v;
  }
  return groups;
}

/** Whether any annotation is given. */
export function hasAnnotations(groups: AnnotationGroups | undefined): boolean {
  return Object.values(groups ?? {}).some((s) => Object.values(s).some((m) => Object.keys(m).length > 0));
}

/**
 * The annotations one image gets (BuildKit's AnnotationsGroup.Platform): index ones from every group, manifest ones
 * from the common group and then the platform's own (which win).
 */
export function annotationsFor(groups: AnnotationGroups | undefined, platform?: Platform): AnnotationSet {
  const out = emptySet();
  for (const s of Object.values(groups ?? {})) {
    Object.assign(out.index, s.index);
    Object.assign(out.indexDescriptor, s.indexDescriptor);
  }
  for (const id of ['', ...(platform ? [formatPlatform(platform)] : [])]) {
    const s = groups?.[id];
    if (!s) continue;
    Object.assign(out.manifest, s.manifest);
    Object.assign(out.manifestDescriptor, s.manifestDescriptor);
  }
  return out;
}

/**
 * Refuses what BuildKit's image writer refuses (exporter/containerimage/writer.go): a platform the source does not
 * have, descriptor and index annotations with Docker media types, index annotations on a single-platform image.
 */
export function checkAnnotations(
  groups: AnnotationGroups | undefined,
  options: {
    readonly oci: boolean;
    readonly platformIds: readonly string[];
    readonly multiPlatform: boolean;
  },
): void {
  for (const [id, s] of Object.entries(groups ?? {})) {
    if (id !== '' && !options.platformIds.includes(id)) {
      throw new OptionError(
        'ANNOTATION_NO_PLATFORM',
        `invalid annotation: no platform ${id} found in source (it has ${options.platformIds.join(', ') || 'one image of no stated platform'})`,
        { key: 'annotation' },
      );
    }
    const n = (m: Readonly<Record<string, string>>) => Object.keys(m).length;
    if (!options.oci && n(s.index) + n(s.indexDescriptor) + n(s.manifestDescriptor) > 0) {
      throw new OptionError(
        'ANNOTATION_DOCKER_TYPES',
        'cannot export annotations with "oci-mediatypes=false"',
        {
          key: 'oci-mediatypes',
        },
      );
    }
  }
  const common = annotationsFor(groups);
  if (
    !options.multiPlatform &&
    Object.keys(common.index).length + Object.keys(common.indexDescriptor).length > 0
  ) {
    throw new OptionError(
      'ANNOTATION_INDEX_SINGLE',
      'index annotations not supported for single platform export',
      { key: 'annotation' },
    );
  }
}

/**
 * buildx's `--annotation [TYPE[,TYPE...]:]KEY=VALUE` (util/buildflags/export.go ParseAnnotations) as output
 * attributes: no TYPE is `annotation.KEY`; TYPE is manifest, manifest-descriptor, index or index-descriptor, with
 * `[OS/ARCH]` for one platform (kept for the manifest types only, as buildx's AnnotationKey.String does).
 */
export function annotationFlagAttrs(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    if (value === '') continue;
    const eq = value.indexOf('=');
    if (eq < 0) {
      throw new OptionError(
        'ANNOTATION_FLAG',
        `invalid annotation ${JSON.stringify(value)}, expected key=value`,
        {
          key: 'annotation',
        },
      );
    }
    const k = value.slice(0, eq);
    const v = value.slice(eq + 1);
    const colon = k.indexOf(':');
    if (colon < 0) {
      out[`annotation.${k}`] = v;
      continue;
    }
    const key = k.slice(colon + 1);
    for (const spec of k.slice(0, colon).split(',')) {
      const m = /^([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?$/.exec(spec);
      if (!m) {
        throw new OptionError(
          'ANNOTATION_FLAG',
          `invalid annotation type ${JSON.stringify(spec)}, expected type and optional platform in square brackets`,
          { key: 'annotation' },
        );
      }
      const type = m[1] as string;
      if (!(type in field)) {
        throw new OptionError('ANNOTATION_FLAG', `unknown annotation type ${JSON.stringify(type)}`, {
          key: 'annotation',
        });
      }
      let platform = '';
      if (m[2] !== undefined) {
        try {
          platform = formatPlatform(parsePlatform(m[2]));
        } catch (cause) {
          throw new OptionError('ANNOTATION_FLAG', `invalid platform ${JSON.stringify(m[2])}`, {
            key: 'annotation',
            cause,
          });
        }
      }
      const withPlatform = platform !== '' && type.startsWith('manifest') ? `[${platform}]` : '';
      out[`annotation-${type}${withPlatform}.${key}`] = v;
    }
  }
  return out;
}
