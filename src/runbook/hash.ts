/**
 * Hashing that workflow code may run: pure JavaScript, no node:crypto (the
 * workflow sandbox has no Node built-ins), deterministic on every platform.
 * These hashes name and tag resources; they are not for authentication.
 */

/** UTF-8 bytes of a string, without TextEncoder so nothing depends on the host. */
export function utf8(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return bytes;
}

const TWO_32 = 4294967296;

/**
 * FNV-1a, 64 bits, over the UTF-8 of `text`, as [high, low] 32-bit words.
 * Two 32-bit lanes instead of BigInt arithmetic: the prime is 2^40 + 0x1b3,
 * so h * prime = h * 0x1b3 + (h << 40), and every intermediate stays well
 * inside a double's 53 exact bits.
 */
export function fnv1a64(text: string): [number, number] {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of utf8(text)) {
    lo = (lo ^ byte) >>> 0;
    const lowProduct = lo * 0x1b3;
    const highProduct = hi * 0x1b3 + ((lo * 256) % TWO_32) + Math.floor(lowProduct / TWO_32);
    lo = lowProduct % TWO_32;
    hi = highProduct % TWO_32;
  }
  return [hi >>> 0, lo >>> 0];
}

/** 16 lowercase hex digits. */
export function fnv1a64Hex(text: string): string {
  const [hi, lo] = fnv1a64(text);
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** 13 base-36 digits (0-9a-z): the shortest fixed width that holds 64 bits. */
export function fnv1a64Base36(text: string): string {
  const [hi, lo] = fnv1a64(text);
  return ((BigInt(hi) << BigInt(32)) | BigInt(lo)).toString(36).padStart(13, '0');
}

/** JSON with object keys sorted and undefined members dropped, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
