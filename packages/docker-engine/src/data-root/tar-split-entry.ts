/**
 * One line of tar-split's storage format (vbatts/tar-split `tar/storage/entry.go`), encoded as its JSON packer does
 * it (`json.NewEncoder(w).Encode(entry)`): the struct's fields in order, `omitempty` on `name`, `name_raw` and
 * `size`, byte slices in standard base64 (a nil slice as `null`), Go's string escaping, one entry per line.
 */

/** A file's payload (its checksum is the CRC-64/ISO of the bytes; moby reads the bytes from the driver's tree). */
export const fileEntryType = 1;
/** Raw bytes of the stream (headers, padding): kept verbatim. */
export const segmentEntryType = 2;

const hex = '0123456789abcdef';

/**
 * A string as Go's encoding/json writes it (Go 1.19, the toolchain of moby 20.10): `"`, `\` and control characters
 * escaped (`\n`, `\r`, `\t` short, the rest `\u00XX`), and with HTML escaping on, `<`, `>`, `&`, U+2028 and U+2029
 * as `\u` escapes too.
 */
export function goJsonString(value: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      esc =
        c === 0x22
          ? '\\"'
          : c === 0x5c
            ? '\\\\'
            : c === 0x0a
              ? '\\n'
              : c === 0x0d
                ? '\\r'
                : c === 0x09
                  ? '\\t'
                  : `\\u00${hex[c >> 4]}${hex[c & 0xf]}`;
    } else if (c === 0x2028 || c === 0x2029) {
      esc = `\\u${c.toString(16)}`;
    }
    if (esc !== undefined) {
      out += value.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return `${out}${value.slice(start)}"`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A name as tar-split stores it: `"name"` when it is valid UTF-8, else its bytes as `"name_raw"` (base64). */
function nameField(name: Uint8Array): string {
  if (name.length === 0) return '';
  try {
    return `"name":${goJsonString(utf8.decode(name))},`;
  } catch {
    return `"name_raw":"${Buffer.from(name).toString('base64')}",`;
  }
}

export function segmentLine(payload: Uint8Array, position: number): string {
  return `{"type":${segmentEntryType},"payload":"${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64')}","position":${position}}\n`;
}

export function fileLine(
  name: Uint8Array,
  size: number,
  checksum: Uint8Array | undefined,
  position: number,
): string {
  const sizeField = size !== 0 ? `"size":${size},` : '';
  const payload = checksum === undefined ? 'null' : `"${Buffer.from(checksum).toString('base64')}"`;
  return `{"type":${fileEntryType},${nameField(name)}${sizeField}"payload":${payload},"position":${position}}\n`;
}
