import { InvalidInputError } from '@lading/digest';

/**
 * JSON.parse that refuses duplicate object keys. JSON.parse keeps the last of two equal keys while Go keeps the
 * first (or, in containers/image's paranoid decoder, refuses): a payload whose two parsers disagree on the digest
 * is an attack, so it is refused here as it is there (containers/image `signature/internal/json.go`).
 */
export function parseStrictJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidInputError('SIGNATURE_JSON_INVALID', `${what}: not JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new InvalidInputError(
      'SIGNATURE_JSON_INVALID',
      `${what}: duplicate key ${JSON.stringify(duplicate)}`,
    );
  }
  return value;
}

/** Scans valid JSON text for an object holding the same key twice (keys compared after unescaping). */
function findDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | undefined)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(undefined);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] !== undefined;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const keys = stack[stack.length - 1] as Set<string>;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
