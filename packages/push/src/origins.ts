import { RegistryError, redactUrl } from '@lading/digest';
import { isLocalhost } from '@lading/reference-store/reference';

/** Where a URL the registry handed over is used: an upload Location, a redirect, a token realm. */
export type Destination = 'location' | 'redirect' | 'realm';

const codes: Record<Destination, string> = {
  location: 'INSECURE_LOCATION',
  redirect: 'INSECURE_REDIRECT',
  realm: 'INSECURE_REALM',
};

const words: Record<Destination, string> = {
  location: 'an upload Location',
  redirect: 'a redirect',
  realm: 'a token realm',
};

/**
 * The rules for a URL a registry sends us to (see the README, "What is trusted, what is refused"): http or https
 * only, and no step down from HTTPS to plain HTTP unless the registry is `insecure`, or it and the destination are
 * both loopback (nothing crosses a network). Throws a `RegistryError` naming the rule.
 */
export function checkDestination(
  from: URL,
  to: URL,
  what: Destination,
  policy: { readonly registry: string; readonly insecure: boolean },
): void {
  if (to.protocol !== 'http:' && to.protocol !== 'https:') {
    throw new RegistryError(
      'UNSUPPORTED_SCHEME',
      `registry ${policy.registry} sent ${words[what]} with the scheme ${JSON.stringify(to.protocol)}; only http and https are followed`,
      { url: redactUrl(to.toString()) },
    );
  }
  if (from.protocol !== 'https:' || to.protocol !== 'http:') return;
  if (policy.insecure || (isLocalhost(policy.registry) && isLocalhost(to.host))) return;
  throw new RegistryError(
    codes[what],
    `registry ${policy.registry} sent ${words[what]} on plain HTTP (${redactUrl(to.toString())}); lading does not ` +
      'step down from HTTPS: fix the registry, or mark it insecure if plain HTTP is really wanted',
    { url: redactUrl(to.toString()) },
  );
}

/** The same URL without user and password: they would turn into an Authorization header nobody chose. */
export function withoutUserinfo(url: URL): URL {
  if (url.username === '' && url.password === '') return url;
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u;
}
