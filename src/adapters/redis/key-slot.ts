/**
 * The Redis Cluster slot of a key (CRC16-XMODEM of the key, or of its hash tag, mod 16,384), as
 * the cluster specification defines it: records in one slot live and fail together.
 */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

export function keySlot(key: string): number {
  const bytes = new TextEncoder().encode(key);
  // A hash tag: the part between the first '{' and the '}' after it, when not empty.
  let from = 0;
  let to = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) [from, to] = [open + 1, close];
  }
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc % 16384;
}

/** Tags found for slots whose keys cannot simply be wrapped in braces (rare: see {@link tagLike}). */
const tagsFound = new Map<number, string>();

/**
 * A name for things that must live in `key`'s slot (its push channel, a canary): `key` itself when
 * it has a hash tag, else `{key}`, whose tag is the whole key. A key with a `}` but no tag (such
 * as `a}b`) cannot be wrapped so: a short tag of the same slot is found instead.
 */
export function tagLike(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0 && key.indexOf('}', open + 1) > open + 1) return key;
  if (!key.includes('}')) return `{${key}}`;
  const slot = keySlot(key);
  let tag = tagsFound.get(slot);
  // About 16,384 tries on average, once per slot, for keys no one should choose.
  for (let i = 0; tag === undefined; i++) if (keySlot(`t${i}`) === slot) tag = `t${i}`;
  tagsFound.set(slot, tag);
  return `{${tag}}`;
}
