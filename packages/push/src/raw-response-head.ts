import type { IncomingHttpHeaders } from 'node:http';

// The response head as the blob GET client (`raw-http.ts`) reads it: strict, so that anything unusual is left
// to `node:http`.

/** Header names whose repeats `node:http` drops (the first wins); `set-cookie` is a list; others join with ", ". */
const singleValued = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** An HTTP token (RFC 9110 §5.6.2): what a header name may hold. */
export const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What no request line or header value may hold. */
export const badValue = /[\r\n\0]/;

export interface Head {
  readonly status: number;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
}

export function parseHead(text: string): Head | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/(1\.[01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    if (!token.test(name)) return undefined;
    const value = line.slice(colon + 1).trim();
    const had = headers[name];
    if (name === 'set-cookie') headers[name] = [...((had as string[] | undefined) ?? []), value];
    else if (had === undefined) headers[name] = value;
    else if (!singleValued.has(name)) headers[name] = `${had as string}, ${value}`;
    else if (name === 'content-length' && had !== value) return undefined; // conflicting lengths: node:http refuses
  }
  return { status: Number(m[2]), httpVersion: m[1] as string, headers: headers as IncomingHttpHeaders };
}

/** The body length a head announces, or undefined when it is not framed by Content-Length. */
export function framing(head: Head): number | undefined {
  if (head.status === 204 || head.status === 304) return 0;
  if (head.headers['transfer-encoding'] !== undefined) return undefined;
  const length = head.headers['content-length'];
  if (typeof length !== 'string' || !/^\d{1,15}$/.test(length)) return undefined;
  if (head.httpVersion === '1.0') return undefined; // a 1.0 server closes: left to node:http
  return Number(length);
}
