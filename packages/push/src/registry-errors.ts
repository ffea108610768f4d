import { RegistryError, type RegistryErrorDetail, redactUrl } from '@lading/digest';
import { caps, readCapped, responseTooLarge } from './caps.js';
import { type HttpResponse, header } from './http.js';
import { registryText } from './registry-text.js';
import { isRetryableStatus, withRetryAfter } from './retry.js';

/**
 * Reads a registry's error body (`{"errors":[{code,message,detail}]}`, capped) into a typed `RegistryError`. What
 * the registry wrote is registry text: control characters are stripped and each piece is cut short.
 */
export async function errorFromResponse(res: HttpResponse, what: string): Promise<RegistryError> {
  let details: RegistryErrorDetail[] = [];
  if (res.method !== 'HEAD') {
    try {
      const body = await readCapped(res, {
        what: 'error body',
        cap: caps.errorBody,
        tooLarge: responseTooLarge('ERROR_BODY_TOO_LARGE'),
      });
      const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { errors?: unknown };
      if (Array.isArray(parsed.errors)) {
        details = parsed.errors
          .filter((e): e is { code: string; message?: unknown } => typeof e?.code === 'string')
          .slice(0, 10)
          .map((e) => ({
            code: registryText(e.code, 80),
            ...(typeof e.message === 'string' ? { message: registryText(e.message) } : {}),
          }));
      }
    } catch {
      // not JSON, or the connection broke: the status says enough
    }
  } else {
    res.body.resume();
  }
  const url = redactUrl(res.url.toString());
  const codes = details.map((d) => (d.message ? `${d.code}: ${d.message}` : d.code)).join('; ');
  const code = statusCode(res.status);
  const hint =
    res.status === 401 || res.status === 403
      ? ' (check the credentials: docker login, REGISTRY_AUTH_FILE or the credentials option)'
      : res.status === 404
        ? ' (check the repository name and that the content exists)'
        : isRetryableStatus(res.status)
          ? ' (the registry may be overloaded; try again later)'
          : '';
  const err = new RegistryError(
    code,
    `${what} failed: ${res.method} ${url} answered ${res.status}${codes ? ` (${codes})` : ''}${hint}`,
    {
      status: res.status,
      method: res.method,
      url,
      errors: details,
      retryable: isRetryableStatus(res.status),
    },
  );
  return withRetryAfter(err, header(res, 'retry-after'));
}

function statusCode(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status >= 500) return 'SERVER_ERROR';
  return 'UNEXPECTED_STATUS';
}
