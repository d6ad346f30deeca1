// MurmurHash3, x86 32-bit, over the UTF-8 bytes of a string: the hash flagd's `fractional`
// operator buckets with (seed 0). Pure and allocation-light: it runs on every evaluation.
const enc = new TextEncoder();

export function murmur3(text: string, seed = 0): number {
  // ASCII is the common case: read char codes directly instead of encoding.
  let bytes: Uint8Array | null = null;
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) > 0x7f) {
      bytes = enc.encode(text);
      break;
    }
  const len = bytes ? bytes.length : text.length;
  const at = bytes ? (i: number) => bytes![i] : (i: number) => text.charCodeAt(i);
  let h = seed >>> 0;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= at(blocks + 2) << 16;
    // falls through
    case 2:
      k ^= at(blocks + 1) << 8;
    // falls through
    case 1:
      k ^= at(blocks);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
