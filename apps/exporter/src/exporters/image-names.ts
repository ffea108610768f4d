import type { Digest } from '@lading/digest';
import type { ExportSource } from '../plugin/types.js';

export interface ImageNaming {
  /** The names, comma-separated, as the response's `image.name` reports them ('' for none). */
  readonly targetName: string;
  readonly nameCanonical: boolean;
}

/**
 * The names an export gives its image, as BuildKit's image exporter decides them (exporter/containerimage/
 * export.go): `name=*` takes the source's `image.name`; no name but a `dangling-name-prefix` makes `PREFIX@DIGEST`,
 * and then name-canonical is off (PREFIX@DIGEST is canonical already: no `@DIGEST@DIGEST` name).
 */
export function imageNaming(
  attrs: { readonly targetName: string; readonly danglingPrefix: string; readonly nameCanonical: boolean },
  source: ExportSource,
  digest: Digest,
): ImageNaming {
  let targetName = attrs.targetName;
  const metaName = source.metadata['image.name'];
  if (targetName === '*' && metaName !== undefined) targetName = new TextDecoder().decode(metaName);
  let nameCanonical = attrs.nameCanonical;
  if (targetName === '' && attrs.danglingPrefix !== '') {
    targetName = `${attrs.danglingPrefix}@${digest}`;
    nameCanonical = false;
  }
  return { targetName, nameCanonical };
}

/** The records one name makes: the name, and with name-canonical also `NAME@DIGEST`. */
export function recordNames(name: string, digest: Digest, nameCanonical: boolean): string[] {
  return nameCanonical ? [name, `${name}@${digest}`] : [name];
}
