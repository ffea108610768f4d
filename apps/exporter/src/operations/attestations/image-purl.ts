import { formatPlatform, type Platform } from '@lading/digest';
import { familiarName, parseNormalizedReference, withDefaultTag } from '@lading/reference-store/reference';

const hex = (c: string) =>
  [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Go's url.QueryEscape: everything but alphanumerics and `-_.~` escaped, a space as `+`. */
function queryEscape(s: string): string {
  return s.replace(/[^A-Za-z0-9\-_.~]/gu, (c) => (c === ' ' ? '+' : hex(c)));
}

/** Go's url.PathEscape (a path segment): also keeps `$&+:=@`. */
function pathEscape(s: string): string {
  return s.replace(/[^A-Za-z0-9\-_.~$&+:=@]/gu, hex);
}

/**
 * An image reference as BuildKit's `purl.RefToPURL` writes it (util/purl/image.go, packageurl-go's escaping), the
 * name of an attestation's subject and of a base image's material: `pkg:docker/alpine@3.19?platform=linux%2Famd64`,
 * `pkg:docker/127.0.0.1%3A5000/app@1`, a digest as the `digest` qualifier.
 */
export function imageRefToPurl(type: 'docker' | 'oci', ref: string, platform?: Platform): string {
  let parsed = parseNormalizedReference(ref);
  const qualifiers: string[] = [];
  if (parsed.digest !== undefined) qualifiers.push(`digest=${pathEscape(parsed.digest)}`);
  else parsed = withDefaultTag(parsed);
  const parts = familiarName(parsed).split('/');
  const name = parts.pop() as string;
  if (platform !== undefined) qualifiers.push(`platform=${pathEscape(formatPlatform(platform))}`);
  const ns = parts.map(queryEscape).join('/');
  return `pkg:${type}/${ns !== '' ? `${ns}/` : ''}${queryEscape(name)}${parsed.tag !== undefined ? `@${pathEscape(parsed.tag)}` : ''}${qualifiers.length > 0 ? `?${qualifiers.join('&')}` : ''}`;
}
