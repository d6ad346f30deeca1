// RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, as pure functions: leaf and
// node hashes, the root of any range from the complete subtrees it splits into, inclusion
// (audit) paths and consistency proofs, and their verification. The log (log.ts) stores every
// complete, aligned subtree's hash, so a proof needs O(log n) stored hashes, never a rehash.
import { createHash } from 'node:crypto';

export const EMPTY_ROOT = createHash('sha256').digest();

export function leafHash(data: Buffer | string): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(data)
    .digest();
}
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}

/** The largest power of two smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A complete, aligned subtree: 2^level leaves starting at index * 2^level. */
export interface NodeRef {
  level: number;
  index: number;
}

/** The complete aligned subtrees, left to right, whose concatenation is leaves [start, end). */
export function decompose(start: number, end: number): NodeRef[] {
  const out: NodeRef[] = [];
  let pos = start;
  while (pos < end) {
    let level = 0;
    // Grow while still aligned and inside the range.
    while (pos % 2 ** (level + 1) === 0 && pos + 2 ** (level + 1) <= end) level++;
    out.push({ level, index: pos / 2 ** level });
    pos += 2 ** level;
  }
  return out;
}

/** The RFC 9162 root of a range from its complete subtrees' hashes (folded right to left). */
export function foldRange(hashes: Buffer[]): Buffer {
  if (!hashes.length) return EMPTY_ROOT;
  let h = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i--) h = nodeHash(hashes[i], h);
  return h;
}

/** Every range [start, end) whose root an inclusion proof of leaf m in a tree of n needs, in proof order. */
export function inclusionRanges(m: number, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let end = n;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m - start < k) {
      out.push([start + k, end]);
      end = start + k;
    } else {
      out.push([start, start + k]);
      start += k;
    }
  }
  return out.reverse(); // RFC 9162 lists the path from the leaf upwards
}

/** The ranges a consistency proof between sizes m < n needs (RFC 9162 §2.1.4, SUBPROOF). */
export function consistencyRanges(m: number, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const sub = (mm: number, start: number, end: number, whole: boolean) => {
    const size = end - start;
    if (mm === size) {
      if (!whole) out.push([start, end]);
      return;
    }
    const k = splitPoint(size);
    if (mm <= k) {
      sub(mm, start, start + k, whole);
      out.push([start + k, end]);
    } else {
      sub(mm - k, start + k, end, false);
      out.push([start, start + k]);
    }
  };
  sub(m, 0, n, true);
  return out;
}

/** Verifies an inclusion proof (RFC 9162 §2.1.3.2). */
export function verifyInclusion(leaf: Buffer, index: number, size: number, path: Buffer[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** Verifies a consistency proof (RFC 9162 §2.1.4.2). */
export function verifyConsistency(first: number, second: number, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[]): boolean {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0;
  if (!proof.length) return false;
  const path = [...proof];
  if ((first & (first - 1)) === 0) path.unshift(firstRoot); // a power of two: the first root is a node of the proof
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/** The root of leaves given in full (tests and small trees). */
export function rootOf(leaves: Buffer[]): Buffer {
  if (!leaves.length) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}
