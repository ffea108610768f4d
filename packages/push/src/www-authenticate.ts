import { setOwn } from '@lading/digest';

/** One challenge of a `WWW-Authenticate` header: a scheme and its parameters (names lower-cased). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses `WWW-Authenticate` (RFC 7235): several challenges, comma-separated auth-params, quoted strings with
 * backslash escapes. `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull,push"`.
 */
export function parseWwwAuthenticate(value: string): AuthChallenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = value.length;
  const skipWs = () => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(value[i] as string)) i++;
    return value.slice(start, i);
  };
  while (i < n) {
    skipWs();
    if (value[i] === ',') {
      i++;
      continue;
    }
    const word = token();
    if (word === '') {
      i++;
      continue;
    }
    skipWs();
    if (value[i] === '=' && out.length > 0) {
      // an auth-param of the current challenge
      i++;
      skipWs();
      let v = '';
      if (value[i] === '"') {
        i++;
        while (i < n && value[i] !== '"') {
          if (value[i] === '\\' && i + 1 < n) i++;
          v += value[i];
          i++;
        }
        i++;
      } else {
        v = token();
        // token68 padding
        while (value[i] === '=') {
          v += '=';
          i++;
        }
      }
      const current = out[out.length - 1];
      // The header is the server's: a parameter named __proto__ is a parameter, not a prototype.
      if (current) setOwn(current.params, word.toLowerCase(), v);
      continue;
    }
    out.push({ scheme: word.toLowerCase(), params: {} });
  }
  return out;
}
