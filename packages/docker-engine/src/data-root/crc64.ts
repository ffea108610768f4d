/**
 * CRC-64 with the ISO polynomial, as Go's `hash/crc64` computes it with `crc64.MakeTable(crc64.ISO)`: what tar-split
 * stores as the checksum of each file's payload. The 64-bit state is kept in two int32 halves (V8 keeps int32s
 * unboxed, and XOR of int32s stays int32) and the bytes are taken eight at a time (slicing-by-8), so a layer's
 * payload is checksummed without BigInt.
 */

/**
 * hi[k * 256 + b], lo[k * 256 + b]: the CRC of byte b followed by k zero bytes, for k = 0..7 (one flat array per
 * half: an index into one typed array is cheaper than picking one of eight).
 */
function makeTables(): { hi: Int32Array; lo: Int32Array } {
  const hi = new Int32Array(8 * 256);
  const lo = new Int32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let h = 0;
    let l = b;
    for (let i = 0; i < 8; i++) {
      const odd = l & 1;
      l = (l >>> 1) | ((h & 1) << 31);
      h >>>= 1;
      // Go's crc64.ISO, 0xD800000000000000 (x^64 + x^4 + x^3 + x + 1 reversed): only the high word has bits.
      if (odd) h ^= 0xd8000000 | 0;
    }
    hi[b] = h;
    lo[b] = l;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      // One more zero byte: crc = table[crc & 0xff] ^ (crc >> 8).
      const sh = hi[(k - 1) * 256 + b] as number;
      const sl = lo[(k - 1) * 256 + b] as number;
      const idx = sl & 0xff;
      hi[k * 256 + b] = (hi[idx] as number) ^ (sh >>> 8);
      lo[k * 256 + b] = (lo[idx] as number) ^ ((sl >>> 8) | (sh << 24));
    }
  }
  return { hi, lo };
}

let tables: { hi: Int32Array; lo: Int32Array } | undefined;

function update(hi: number, lo: number, d: Uint8Array, th: Int32Array, tl: Int32Array): [number, number] {
  const n = d.length;
  const end8 = n - (n & 7);
  let i = 0;
  while (i < end8) {
    // The reflected CRC takes the first byte into its lowest bits: bytes 0-3 meet the low word, 4-7 the high.
    const a =
      lo ^
      ((d[i] as number) |
        ((d[i + 1] as number) << 8) |
        ((d[i + 2] as number) << 16) |
        ((d[i + 3] as number) << 24));
    const b =
      hi ^
      ((d[i + 4] as number) |
        ((d[i + 5] as number) << 8) |
        ((d[i + 6] as number) << 16) |
        ((d[i + 7] as number) << 24));
    hi =
      (th[1792 + (a & 255)] as number) ^
      (th[1536 + ((a >>> 8) & 255)] as number) ^
      (th[1280 + ((a >>> 16) & 255)] as number) ^
      (th[1024 + (a >>> 24)] as number) ^
      (th[768 + (b & 255)] as number) ^
      (th[512 + ((b >>> 8) & 255)] as number) ^
      (th[256 + ((b >>> 16) & 255)] as number) ^
      (th[b >>> 24] as number);
    lo =
      (tl[1792 + (a & 255)] as number) ^
      (tl[1536 + ((a >>> 8) & 255)] as number) ^
      (tl[1280 + ((a >>> 16) & 255)] as number) ^
      (tl[1024 + (a >>> 24)] as number) ^
      (tl[768 + (b & 255)] as number) ^
      (tl[512 + ((b >>> 8) & 255)] as number) ^
      (tl[256 + ((b >>> 16) & 255)] as number) ^
      (tl[b >>> 24] as number);
    i += 8;
  }
  for (; i < n; i++) {
    const idx = (lo ^ (d[i] as number)) & 255;
    lo = (tl[idx] as number) ^ ((lo >>> 8) | (hi << 24));
    hi = (th[idx] as number) ^ (hi >>> 8);
  }
  return [hi, lo];
}

/** A running CRC-64/ISO; `sum()` gives the 8 bytes Go's `Hash.Sum(nil)` returns (big-endian). */
export class Crc64 {
  #hi = -1;
  #lo = -1;

  update(data: Uint8Array): void {
    tables ??= makeTables();
    [this.#hi, this.#lo] = update(this.#hi, this.#lo, data, tables.hi, tables.lo);
  }

  sum(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~this.#hi >>> 0);
    view.setUint32(4, ~this.#lo >>> 0);
    return out;
  }
}
