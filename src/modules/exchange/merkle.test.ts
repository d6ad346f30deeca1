// RFC 9162 hashing and proofs, without a database: every inclusion and consistency proof
// built from stored-subtree ranges verifies against the root computed the RFC's recursive way,
// a wrong leaf, index or root fails, and canonical JSON follows RFC 8785.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  consistencyRanges,
  decompose,
  foldRange,
  inclusionRanges,
  leafHash,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { canonicalJson } from './canonical.js';

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(`entry ${i}`));
const rangeRoot = (a: number, b: number) => rootOf(leaves.slice(a, b));
/** The root of a range from its complete subtrees, as the log computes it from stored nodes. */
const fromNodes = (a: number, b: number) =>
  foldRange(decompose(a, b).map((r) => rootOf(leaves.slice(r.index * 2 ** r.level, (r.index + 1) * 2 ** r.level))));

describe('RFC 9162 Merkle tree', () => {
  it('hashes leaves and nodes with the 0x00 and 0x01 prefixes', () => {
    expect(leafHash('').toString('hex')).toBe(
      createHash('sha256')
        .update(Buffer.from([0]))
        .digest('hex'),
    );
    expect(rootOf([]).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const [a, b, c] = leaves;
    expect(rootOf([a, b, c]).equals(nodeHash(nodeHash(a, b), c))).toBe(true);
  });

  it('gets the root of every range the RFC recursion uses from complete aligned subtrees', () => {
    for (let n = 1; n <= 70; n++) expect(fromNodes(0, n).equals(rangeRoot(0, n)), `size ${n}`).toBe(true);
    for (const [a, b] of [
      [8, 13],
      [48, 70],
      [64, 70],
      [32, 33],
    ])
      expect(fromNodes(a, b).equals(rangeRoot(a, b))).toBe(true);
  });

  it('builds inclusion proofs that verify, and fail for the wrong leaf, index or root', () => {
    for (let n = 1; n <= 70; n += 3) {
      const root = rangeRoot(0, n);
      for (let m = 0; m < n; m++) {
        const path = inclusionRanges(m, n).map(([a, b]) => fromNodes(a, b));
        expect(verifyInclusion(leaves[m], m, n, path, root), `leaf ${m} of ${n}`).toBe(true);
        if (n > 1) {
          expect(verifyInclusion(leaves[(m + 1) % n], m, n, path, root)).toBe(false);
          expect(verifyInclusion(leaves[m], (m + 1) % n, n, path, root)).toBe(false);
        }
        expect(verifyInclusion(leaves[m], m, n, path, leafHash('other'))).toBe(false);
      }
    }
  });

  it('builds consistency proofs that verify, and fail for a different history', () => {
    for (let n = 2; n <= 70; n += 5)
      for (let m = 1; m < n; m++) {
        const proof = consistencyRanges(m, n).map(([a, b]) => fromNodes(a, b));
        expect(verifyConsistency(m, n, rangeRoot(0, m), rangeRoot(0, n), proof), `${m} → ${n}`).toBe(true);
        expect(verifyConsistency(m, n, leafHash('forged'), rangeRoot(0, n), proof)).toBe(false);
      }
  });
});

describe('RFC 8785 canonical JSON', () => {
  it('sorts keys by UTF-16 code units, drops undefined and writes numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, '\u20ac': 1, '\ud83d\ude00': 2, é: 0 })).toBe(
      '{"a":[true,null,"x"],"b":1,"é":0,"€":1,"😀":2}',
    );
    expect(canonicalJson({ n: 1e21, m: 0.000001, z: -0 })).toBe('{"m":0.000001,"n":1e+21,"z":0}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });
});
