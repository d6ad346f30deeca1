// Opinion groups as Pol.is describes its method, in one pure file (no I/O, no imports):
// 1. the vote matrix (participants × statements; agree 1, disagree -1, pass 0, unseen missing),
//    keeping participants who voted on at least min(7, statements) statements;
// 2. PCA: unseen votes take the statement's mean, columns are centred, and the first two
//    principal components are found by power iteration on XᵀX;
// 3. each participant's projection is scaled by √(statements / statements they voted on)
//    (Pol.is's "sparsity-aware" scaling: people who voted on few statements are not all
//    squeezed into the centre);
// 4. k-means (k-means++ seeding from a fixed seed, the best of a few restarts) for k = 2…5,
//    keeping the k with the best silhouette and rejecting any k that leaves a group of one;
// 5. each group's representative statements: how much more (ra) the group agrees (or
//    disagrees) than everyone else, with Pol.is's smoothed proportions (1+n)/(2+N) and z-tests
//    at 90% for both the proportion and the difference; and
// 6. consensus across groups: Pol.is's "group-aware consensus", the product over groups of the
//    smoothed probability of agreeing (or disagreeing), with every group on the same side.
// Pol.is first reduces participants to ~100 base clusters; at the sizes here (thousands of
// people) clustering the people directly costs little and needs no weighted silhouette.

export type Vote = -1 | 0 | 1;
/** Marks an unseen cell of the matrix. */
export const UNSEEN = 127;

export interface VoteMatrix {
  participants: number;
  statements: number;
  /** Row-major, participants × statements: -1, 0, 1 or UNSEEN. */
  cells: Int8Array;
}

export function emptyMatrix(participants: number, statements: number): VoteMatrix {
  return { participants, statements, cells: new Int8Array(participants * statements).fill(UNSEEN) };
}

export interface Representative {
  statement: number;
  direction: 'agree' | 'disagree';
  /** Smoothed probability the group votes this way, and its z-score against 0.5. */
  p: number;
  pTest: number;
  /** How many times more likely than everyone else, and the z-score of the difference. */
  r: number;
  rTest: number;
  /** Group members who voted this way, and who saw it. */
  n: number;
  seen: number;
}

export interface Consensus {
  statement: number;
  direction: 'agree' | 'disagree';
  /** Group-aware consensus: the product over groups of each group's smoothed probability. */
  score: number;
  /** The lowest of the groups' smoothed probabilities. */
  minP: number;
}

export interface OpinionGroups {
  /** Participant indices that voted enough to be placed. */
  placed: number[];
  /** Per participant index: [x, y] (NaN when not placed). */
  projection: Float64Array;
  /** Per participant index: the group, or -1. */
  groupOf: Int32Array;
  groups: Array<{ id: number; members: number[]; centre: [number, number]; representative: Representative[] }>;
  consensus: Consensus[];
  k: number;
  silhouette: number | null;
}

export interface Options {
  minVotes?: number;
  maxK?: number;
  seed?: number;
  restarts?: number;
  /** Representative statements per group. */
  perGroup?: number;
}

const Z90 = 1.2816;

/** A small seeded generator (LCG) so results are the same every run. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** Pol.is's one-proportion test: how far (succ+1)/(n+1) is above one half. */
export function propTest(succ: number, n: number): number {
  return 2 * Math.sqrt(n + 1) * ((succ + 1) / (n + 1) - 0.5);
}

/** Two-proportion z-test with add-one smoothing: is group 1's rate above group 2's? */
export function twoPropTest(succ1: number, n1: number, succ2: number, n2: number): number {
  const a1 = succ1 + 1,
    b1 = n1 + 1,
    a2 = succ2 + 1,
    b2 = n2 + 1;
  const p1 = a1 / b1,
    p2 = a2 / b2,
    p = (a1 + a2) / (b1 + b2);
  const se = Math.sqrt(p * (1 - p) * (1 / b1 + 1 / b2));
  return se === 0 ? 0 : (p1 - p2) / se;
}

/**
 * The first `count` principal components of the centred matrix x (n × m): subspace iteration
 * (all components at once, orthonormalised each round, so it converges at the rate of the
 * first eigenvalue left out), then Rayleigh–Ritz to order and separate them within the subspace.
 */
export function principalComponents(x: Float64Array, n: number, m: number, count = 2, iterations = 100): Float64Array[] {
  let basis: Float64Array[] = [];
  for (let c = 0; c < count; c++) {
    const v = new Float64Array(m);
    for (let j = 0; j < m; j++) v[j] = 1 + ((j * 7919 + c * 104729) % 1000) / 1000; // fixed, non-degenerate start
    orthogonalise(v, basis);
    normalise(v);
    basis.push(v);
  }
  const u = new Float64Array(n * count);
  const apply = (vs: Float64Array[]): Float64Array[] => {
    const ws = vs.map(() => new Float64Array(m));
    if (count === 2) {
      // The usual case, unrolled: one pass over each row for both components (memory is the cost).
      const [v0, v1] = vs;
      const [w0, w1] = ws;
      for (let i = 0; i < n; i++) {
        const row = i * m;
        let s0 = 0,
          s1 = 0;
        for (let j = 0; j < m; j++) {
          const xv = x[row + j];
          s0 += xv * v0[j];
          s1 += xv * v1[j];
        }
        if (s0 === 0 && s1 === 0) continue;
        for (let j = 0; j < m; j++) {
          const xv = x[row + j];
          w0[j] += xv * s0;
          w1[j] += xv * s1;
        }
      }
      return ws;
    }
    for (let i = 0; i < n; i++) {
      const row = i * m;
      for (let c = 0; c < count; c++) {
        const v = vs[c];
        let s = 0;
        for (let j = 0; j < m; j++) s += x[row + j] * v[j];
        u[i * count + c] = s;
      }
      for (let c = 0; c < count; c++) {
        const ui = u[i * count + c];
        if (ui === 0) continue;
        const w = ws[c];
        for (let j = 0; j < m; j++) w[j] += x[row + j] * ui;
      }
    }
    return ws;
  };
  for (let it = 0; it < iterations; it++) {
    const ws = apply(basis);
    const next: Float64Array[] = [];
    for (const w of ws) {
      orthogonalise(w, next);
      if (normalise(w) === 0) w[next.length % m] = 1;
      next.push(w);
    }
    // Converged when each new vector lies in the old subspace.
    let residual = 0;
    for (const w of next) {
      let inside = 0;
      for (const b of basis) {
        let d = 0;
        for (let j = 0; j < m; j++) d += w[j] * b[j];
        inside += d * d;
      }
      residual = Math.max(residual, 1 - inside);
    }
    basis = next;
    if (residual < 1e-10) break;
  }
  // Rayleigh–Ritz: the small matrix Bᵀ XᵀX B, diagonalised (Jacobi), rotates the basis into the components.
  const xb = apply(basis);
  const h: number[][] = basis.map((bi) => xb.map((w) => bi.reduce((acc, v, j) => acc + v * w[j], 0)));
  const rot = jacobi(h);
  const order = rot.values.map((_, i) => i).sort((a, b) => rot.values[b] - rot.values[a]);
  return order.map((k) => {
    const v = new Float64Array(m);
    for (let c = 0; c < count; c++) {
      const coef = rot.vectors[c][k];
      for (let j = 0; j < m; j++) v[j] += coef * basis[c][j];
    }
    normalise(v);
    // A fixed sign, so the picture does not flip between runs: the largest loading is positive.
    let big = 0;
    for (let j = 0; j < m; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) for (let j = 0; j < m; j++) v[j] = -v[j];
    return v;
  });
}

/** Eigenvalues and eigenvectors (columns) of a small symmetric matrix, by cyclic Jacobi rotations. */
function jacobi(a: number[][]): { values: number[]; vectors: number[][] } {
  const k = a.length;
  const m = a.map((r) => [...r]);
  const v: number[][] = a.map((_, i) => a.map((__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += m[p][q] * m[p][q];
    if (off < 1e-24) break;
    for (let p = 0; p < k; p++)
      for (let q = p + 1; q < k; q++) {
        if (Math.abs(m[p][q]) < 1e-300) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let r = 0; r < k; r++) {
          const mrp = m[r][p],
            mrq = m[r][q];
          m[r][p] = c * mrp - s * mrq;
          m[r][q] = s * mrp + c * mrq;
        }
        for (let r = 0; r < k; r++) {
          const mpr = m[p][r],
            mqr = m[q][r];
          m[p][r] = c * mpr - s * mqr;
          m[q][r] = s * mpr + c * mqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r][p],
            vrq = v[r][q];
          v[r][p] = c * vrp - s * vrq;
          v[r][q] = s * vrp + c * vrq;
        }
      }
  }
  return { values: m.map((r, i) => r[i]), vectors: v };
}

function orthogonalise(v: Float64Array, basis: Float64Array[]) {
  for (const b of basis) {
    let d = 0;
    for (let j = 0; j < v.length; j++) d += v[j] * b[j];
    for (let j = 0; j < v.length; j++) v[j] -= d * b[j];
  }
}
function normalise(v: Float64Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let j = 0; j < v.length; j++) v[j] /= norm;
  return norm;
}

/** k-means on 2-D points (xy interleaved); k-means++ seeding; the lowest-inertia of `restarts` runs. */
export function kmeans(xy: Float64Array, k: number, rand: () => number, restarts = 4): { labels: Int32Array; centres: Float64Array } {
  const n = xy.length / 2;
  let best: { labels: Int32Array; centres: Float64Array; inertia: number } | null = null;
  for (let r = 0; r < restarts; r++) {
    const centres = new Float64Array(2 * k);
    const first = Math.floor(rand() * n);
    centres[0] = xy[2 * first];
    centres[1] = xy[2 * first + 1];
    const d2 = new Float64Array(n).fill(Infinity);
    for (let c = 1; c < k; c++) {
      let total = 0;
      for (let i = 0; i < n; i++) {
        const dx = xy[2 * i] - centres[2 * (c - 1)],
          dy = xy[2 * i + 1] - centres[2 * (c - 1) + 1];
        d2[i] = Math.min(d2[i], dx * dx + dy * dy);
        total += d2[i];
      }
      let target = rand() * total,
        pick = n - 1;
      for (let i = 0; i < n; i++) {
        target -= d2[i];
        if (target <= 0) {
          pick = i;
          break;
        }
      }
      centres[2 * c] = xy[2 * pick];
      centres[2 * c + 1] = xy[2 * pick + 1];
    }
    const labels = new Int32Array(n).fill(-1);
    let inertia = 0;
    for (let it = 0; it < 100; it++) {
      let changed = false;
      inertia = 0;
      for (let i = 0; i < n; i++) {
        let bestC = 0,
          bestD = Infinity;
        for (let c = 0; c < k; c++) {
          const dx = xy[2 * i] - centres[2 * c],
            dy = xy[2 * i + 1] - centres[2 * c + 1];
          const d = dx * dx + dy * dy;
          if (d < bestD) {
            bestD = d;
            bestC = c;
          }
        }
        inertia += bestD;
        if (labels[i] !== bestC) {
          labels[i] = bestC;
          changed = true;
        }
      }
      const sum = new Float64Array(2 * k),
        count = new Int32Array(k);
      for (let i = 0; i < n; i++) {
        sum[2 * labels[i]] += xy[2 * i];
        sum[2 * labels[i] + 1] += xy[2 * i + 1];
        count[labels[i]]++;
      }
      for (let c = 0; c < k; c++)
        if (count[c] > 0) {
          centres[2 * c] = sum[2 * c] / count[c];
          centres[2 * c + 1] = sum[2 * c + 1] / count[c];
        }
      if (!changed) break;
    }
    if (!best || inertia < best.inertia) best = { labels, centres, inertia };
  }
  return { labels: best!.labels, centres: best!.centres };
}

/** Mean silhouette of a labelling of 2-D points (exact, O(n²)). */
export function silhouette(xy: Float64Array, labels: Int32Array, k: number): number {
  const n = labels.length;
  const size = new Int32Array(k);
  for (let i = 0; i < n; i++) size[labels[i]]++;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const xi = xy[2 * i],
      yi = xy[2 * i + 1];
    for (let j = 0; j < n; j++) {
      const dx = xi - xy[2 * j],
        dy = yi - xy[2 * j + 1];
      sums[labels[j]] += Math.sqrt(dx * dx + dy * dy);
    }
    const own = labels[i];
    if (size[own] <= 1) continue; // a point alone in its group scores 0
    const a = sums[own] / (size[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && size[c] > 0) b = Math.min(b, sums[c] / size[c]);
    const s = Math.max(a, b) === 0 ? 0 : (b - a) / Math.max(a, b);
    total += s;
  }
  return total / n;
}

/** Opinion groups, representative statements and consensus from a vote matrix. */
export function opinionGroups(matrix: VoteMatrix, opts: Options = {}): OpinionGroups {
  const { participants: P, statements: S, cells } = matrix;
  const minVotes = Math.min(opts.minVotes ?? 7, S);
  const rand = lcg(opts.seed ?? 42);
  const projection = new Float64Array(2 * P).fill(NaN);
  const groupOf = new Int32Array(P).fill(-1);
  const empty: OpinionGroups = { placed: [], projection, groupOf, groups: [], consensus: [], k: 0, silhouette: null };
  if (P === 0 || S === 0) return empty;

  const placed: number[] = [];
  const voted = new Int32Array(P);
  for (let p = 0; p < P; p++) {
    let c = 0;
    for (let s = 0; s < S; s++) if (cells[p * S + s] !== UNSEEN) c++;
    voted[p] = c;
    if (c >= Math.max(1, minVotes)) placed.push(p);
  }
  const n = placed.length;
  if (n === 0) return empty;

  // Centre each statement's column on its mean over placed participants; unseen → the mean (0 once centred).
  const mean = new Float64Array(S);
  const seen = new Int32Array(S);
  for (const p of placed)
    for (let s = 0; s < S; s++) {
      const v = cells[p * S + s];
      if (v !== UNSEEN) {
        mean[s] += v;
        seen[s]++;
      }
    }
  for (let s = 0; s < S; s++) mean[s] = seen[s] ? mean[s] / seen[s] : 0;
  const x = new Float64Array(n * S);
  for (let i = 0; i < n; i++) {
    const p = placed[i];
    for (let s = 0; s < S; s++) {
      const v = cells[p * S + s];
      x[i * S + s] = v === UNSEEN ? 0 : v - mean[s];
    }
  }
  const [pc1, pc2] = principalComponents(x, n, S, 2);
  const xy = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    let a = 0,
      b = 0;
    for (let s = 0; s < S; s++) {
      const v = x[i * S + s];
      a += v * pc1[s];
      b += v * pc2[s];
    }
    const scale = Math.sqrt(S / Math.max(1, voted[placed[i]]));
    xy[2 * i] = a * scale;
    xy[2 * i + 1] = b * scale;
    projection[2 * placed[i]] = xy[2 * i];
    projection[2 * placed[i] + 1] = xy[2 * i + 1];
  }

  // k from 2 to 5 by silhouette; a k that leaves anyone alone in a group is never chosen.
  const maxK = Math.min(opts.maxK ?? 5, n - 1);
  let chosen: { k: number; labels: Int32Array; centres: Float64Array; score: number } | null = null;
  for (let k = 2; k <= maxK; k++) {
    const { labels, centres } = kmeans(xy, k, rand, opts.restarts ?? 4);
    const size = new Int32Array(k);
    for (let i = 0; i < n; i++) size[labels[i]]++;
    if (size.some((c) => c < 2)) continue;
    const score = silhouette(xy, labels, k);
    if (!chosen || score > chosen.score + 1e-12) chosen = { k, labels, centres, score };
  }
  if (!chosen) return { ...empty, placed, projection };

  // Order groups by size (largest first) so ids are stable for the same data.
  const order = Array.from({ length: chosen.k }, (_, c) => c);
  const sizes = order.map((c) => chosen!.labels.filter((l) => l === c).length);
  order.sort((a, b) => sizes[b] - sizes[a] || chosen!.centres[2 * a] - chosen!.centres[2 * b]);
  const rename = new Int32Array(chosen.k);
  order.forEach((c, i) => (rename[c] = i));
  const members: number[][] = order.map(() => []);
  for (let i = 0; i < n; i++) {
    const g = rename[chosen.labels[i]];
    members[g].push(placed[i]);
    groupOf[placed[i]] = g;
  }

  // Per group and statement: agrees, disagrees, seen.
  const K = chosen.k;
  const na = new Int32Array(K * S),
    nd = new Int32Array(K * S),
    ns = new Int32Array(K * S);
  for (let g = 0; g < K; g++)
    for (const p of members[g])
      for (let s = 0; s < S; s++) {
        const v = cells[p * S + s];
        if (v === UNSEEN) continue;
        ns[g * S + s]++;
        if (v === 1) na[g * S + s]++;
        else if (v === -1) nd[g * S + s]++;
      }
  const totA = new Int32Array(S),
    totD = new Int32Array(S),
    totS = new Int32Array(S);
  for (let g = 0; g < K; g++)
    for (let s = 0; s < S; s++) {
      totA[s] += na[g * S + s];
      totD[s] += nd[g * S + s];
      totS[s] += ns[g * S + s];
    }

  const perGroup = opts.perGroup ?? 5;
  const groups = members.map((m, g) => {
    const candidates: Array<Representative & { score: number }> = [];
    for (let s = 0; s < S; s++) {
      const seenG = ns[g * S + s];
      if (seenG === 0) continue;
      const seenO = totS[s] - seenG;
      for (const direction of ['agree', 'disagree'] as const) {
        const succ = direction === 'agree' ? na[g * S + s] : nd[g * S + s];
        const succO = (direction === 'agree' ? totA[s] : totD[s]) - succ;
        const p = (1 + succ) / (2 + seenG);
        const pO = (1 + succO) / (2 + seenO);
        const r = p / pO;
        const pTest = propTest(succ, seenG);
        const rTest = twoPropTest(succ, seenG, succO, seenO);
        if (p > 0.5 && pTest > Z90 && rTest > Z90) {
          candidates.push({ statement: s, direction, p, pTest, r, rTest, n: succ, seen: seenG, score: r * rTest * p * pTest });
        }
      }
    }
    candidates.sort((a, b) => b.score - a.score || a.statement - b.statement);
    const representative = candidates.slice(0, perGroup).map(({ score: _score, ...rest }) => rest);
    const centre: [number, number] = [0, 0];
    for (const p of m) {
      centre[0] += projection[2 * p] / m.length;
      centre[1] += projection[2 * p + 1] / m.length;
    }
    return { id: g, members: m, centre, representative };
  });

  const consensus: Consensus[] = [];
  for (let s = 0; s < S; s++) {
    for (const direction of ['agree', 'disagree'] as const) {
      let score = 1,
        minP = 1,
        everyGroupSaw = true;
      for (let g = 0; g < K; g++) {
        const seenG = ns[g * S + s];
        if (seenG === 0) everyGroupSaw = false;
        const succ = direction === 'agree' ? na[g * S + s] : nd[g * S + s];
        const p = (1 + succ) / (2 + seenG);
        score *= p;
        minP = Math.min(minP, p);
      }
      if (everyGroupSaw && minP > 0.6) consensus.push({ statement: s, direction, score, minP });
    }
  }
  consensus.sort((a, b) => b.score - a.score || a.statement - b.statement);

  return { placed, projection, groupOf, groups, consensus, k: K, silhouette: chosen.score };
}
