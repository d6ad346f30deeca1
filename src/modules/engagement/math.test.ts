// The opinion-group math on matrices whose answer is known: planted groups are found with the
// right k, their distinctive statements and the statements everyone agrees on are named, and
// the edge cases (too few people, a lone outlier, sparse voters) behave as Pol.is describes.
import { describe, expect, it } from 'vitest';
import { emptyMatrix, kmeans, lcg, opinionGroups, principalComponents, propTest, silhouette, twoPropTest, UNSEEN } from './math.js';

/** `groups` planted groups of `size` people; group g agrees with statements [g*block, (g+1)*block) and disagrees with the other blocks; the last statement everyone agrees with. */
function planted(groups: number, size: number, block: number, noise = 0.05, seed = 7) {
  const rand = lcg(seed);
  const S = groups * block + 1;
  const m = emptyMatrix(groups * size, S);
  for (let g = 0; g < groups; g++)
    for (let i = 0; i < size; i++) {
      const p = g * size + i;
      for (let s = 0; s < S - 1; s++) {
        let v = Math.floor(s / block) === g ? 1 : -1;
        if (rand() < noise) v = -v;
        m.cells[p * S + s] = v;
      }
      m.cells[p * S + S - 1] = 1;
    }
  return m;
}

describe('opinion groups', () => {
  it('finds three planted groups, chooses k = 3 by silhouette, and names what divides and unites them', () => {
    const m = planted(3, 20, 4);
    const r = opinionGroups(m);
    expect(r.k).toBe(3);
    expect(r.placed).toHaveLength(60);
    // Everyone planted together ends up together.
    for (let g = 0; g < 3; g++) {
      const labels = new Set(Array.from({ length: 20 }, (_, i) => r.groupOf[g * 20 + i]));
      expect(labels.size).toBe(1);
    }
    expect(new Set(Array.from(r.groupOf)).size).toBe(3);
    // Each group's representative statements are its own block, agreed.
    for (const group of r.groups) {
      const planted = Math.floor(group.members[0] / 20);
      expect(group.representative.length).toBeGreaterThan(0);
      for (const rep of group.representative.filter((x) => x.direction === 'agree')) expect(Math.floor(rep.statement / 4)).toBe(planted);
    }
    // The statement everyone agrees with is the top consensus.
    expect(r.consensus[0]).toMatchObject({ statement: 12, direction: 'agree' });
    expect(r.silhouette).toBeGreaterThan(0.5);
  });

  it('finds two groups when two are planted, and is the same every run', () => {
    const m = planted(2, 30, 5, 0.1, 3);
    const a = opinionGroups(m);
    const b = opinionGroups(m);
    expect(a.k).toBe(2);
    expect(Array.from(a.groupOf)).toEqual(Array.from(b.groupOf));
    expect(Array.from(a.projection)).toEqual(Array.from(b.projection));
  });

  it('leaves out people who voted on fewer than seven statements, and makes no groups from three people', () => {
    const m = planted(2, 30, 5);
    for (let s = 3; s < m.statements; s++) m.cells[0 * m.statements + s] = UNSEEN; // person 0 voted on 3
    const r = opinionGroups(m);
    expect(r.placed).not.toContain(0);
    expect(r.groupOf[0]).toBe(-1);
    expect(Number.isNaN(r.projection[0])).toBe(true);

    const tiny = opinionGroups(planted(1, 3, 8));
    expect(tiny.groups).toEqual([]);
    expect(tiny.placed).toHaveLength(3);
  });

  it('never chooses a k that leaves one person alone in a group', () => {
    const m = planted(2, 10, 5, 0);
    // One outlier who disagrees with everything, far from both groups.
    const S = m.statements;
    const big = emptyMatrix(21, S);
    big.cells.set(m.cells);
    for (let s = 0; s < S; s++) big.cells[20 * S + s] = s === S - 1 ? -1 : 1;
    const r = opinionGroups(big);
    for (const g of r.groups) expect(g.members.length).toBeGreaterThan(1);
  });

  it('scales sparse voters out from the centre (sparsity-aware projection)', () => {
    const m = planted(2, 20, 8, 0);
    const S = m.statements;
    // Person 0 saw only half the statements: same direction, so their point is scaled by √2 to land among their group.
    for (let s = 0; s < S; s += 2) m.cells[s] = UNSEEN;
    const r = opinionGroups(m);
    expect(r.groupOf[0]).toBe(r.groupOf[1]);
  });
});

describe('building blocks', () => {
  it('PCA finds the direction of greatest variance', () => {
    // Points along (1, 1) with a little spread along (1, -1), centred.
    const pts = [
      [-2, -2.1],
      [-1, -0.9],
      [0, 0.1],
      [1, 0.9],
      [2, 2.0],
    ];
    const x = new Float64Array(pts.flat());
    const [pc] = principalComponents(x, 5, 2, 1);
    expect(Math.abs(pc[0])).toBeCloseTo(Math.SQRT1_2, 1);
    expect(Math.abs(pc[1])).toBeCloseTo(Math.SQRT1_2, 1);
    expect(pc[0] * pc[1]).toBeGreaterThan(0);
  });

  it('k-means separates two clouds; silhouette is near 1 for them and near 0 for a random split', () => {
    const xy = new Float64Array([0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1]);
    const { labels } = kmeans(xy, 2, lcg(1));
    expect(labels[0]).toBe(labels[1]);
    expect(labels[0]).not.toBe(labels[3]);
    expect(silhouette(xy, labels, 2)).toBeGreaterThan(0.95);
    expect(silhouette(xy, new Int32Array([0, 1, 0, 1, 0, 1]), 2)).toBeLessThan(0.1);
  });

  it("uses Pol.is's smoothed proportion tests", () => {
    expect(propTest(0, 0)).toBeCloseTo(2 * 1 * (1 - 0.5));
    expect(propTest(9, 10)).toBeGreaterThan(1.2816);
    expect(propTest(5, 10)).toBeLessThan(1.2816);
    expect(twoPropTest(18, 20, 2, 20)).toBeGreaterThan(3);
    expect(twoPropTest(10, 20, 10, 20)).toBeCloseTo(0);
  });
});
