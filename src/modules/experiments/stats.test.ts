// stats.ts against values computed independently with Python 3 and scipy 1.17 (the calls are
// written beside each value), and the A/A simulation: 1,000 experiments with no real
// difference, each inspected after every batch of users, keep the sequential method's false
// positives at or below 5% while a fixed-horizon test inspected the same way exceeds it.
import { describe, expect, it } from 'vitest';
import {
  chiSquaredSf,
  compare,
  cuped,
  normalCdf,
  normalQuantile,
  powerProportion,
  probabilityToBeatBinomial,
  proportion,
  sampleSizeProportion,
  seededRandom,
  sequentialHalfWidth,
  srm,
  summarise,
} from './stats.js';

const close = (actual: number, expected: number, rel = 1e-6) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * rel + 1e-12);

describe('distributions (scipy.stats)', () => {
  it('normal', () => {
    close(normalCdf(1.5), 0.9331927987311419); // norm.cdf(1.5)
    close(normalCdf(-3.2), 0.0006871379379158471); // norm.cdf(-3.2)
    close(normalQuantile(0.975), 1.959963984540054); // norm.ppf(0.975)
    close(normalQuantile(0.8), 0.8416212335729143); // norm.ppf(0.8)
  });
  it('chi-squared', () => {
    close(chiSquaredSf(7.5, 3), 0.0575584519726364); // chi2.sf(7.5, 3)
  });
});

describe('sample-ratio mismatch (scipy.stats.chisquare)', () => {
  it('computes the statistic and p-value, and flags p < 0.001', () => {
    const a = srm([5100, 4900], [50, 50]); // chisquare([5100, 4900]) → 4.0, 0.04550026389635857
    close(a.chi2, 4.0);
    close(a.p, 0.04550026389635857);
    expect(a.mismatch).toBe(false);
    const b = srm([5300, 4700], [1, 1]); // chisquare([5300, 4700]) → 36.0, 1.9731752900753933e-09
    close(b.p, 1.9731752900753933e-9, 1e-5);
    expect(b.mismatch).toBe(true);
    const c = srm([3400, 3300, 3150], [34, 33, 33]);
    const d = srm([3400, 3300, 3150], [1, 1, 1]); // chisquare([3400, 3300, 3150]) → 9.64467005076142, 0.008047972960729484
    close(d.chi2, 9.64467005076142);
    close(d.p, 0.008047972960729484);
    expect(c.p).toBeGreaterThan(d.p);
  });
});

describe('effects', () => {
  it('two proportions: difference, standard error, fixed-horizon p (closed form with scipy.stats.norm)', () => {
    // pa=0.1, pb=0.12; se = sqrt(pa(1-pa)/na + pb(1-pb)/nb) (unpooled, n denominators) = 0.013985706989637671; p = 2·norm.sf(z) = 0.15270801019387792
    // stats.ts uses the n−1 sample variance, so compare with that (≈ 1 + 1/(2n) larger): recomputed below.
    const e = compare(proportion(100, 1000), proportion(120, 1000));
    close(e.difference, 0.02, 1e-9);
    close(e.standardError, 0.013985706989637671 * Math.sqrt(1000 / 999), 1e-9);
    close(e.pFixed, 0.1529133733038476); // 2·norm.sf(0.02 / (0.013985706989637671·sqrt(1000/999)))
    close(e.relative!, 0.2, 1e-9);
  });

  it('the confidence sequence (Howard et al. normal mixture, GrowthBook’s ρ)', () => {
    // Python: rho = (-2 ln α + ln(-2 ln α + 1)) / n*; s2 = var·N; hw = sqrt(s2)·sqrt(2(Nρ+1)/(N²ρ)·ln(sqrt(Nρ+1)/α))
    // with var = 0.013985706989637671², N = 2000, α = 0.05, n* = 10000 → 0.04704634807883662
    close(sequentialHalfWidth(0.013985706989637671 ** 2, 2000, 0.05, 10000), 0.04704634807883662);
    const e = compare(proportion(100, 1000), proportion(120, 1000), { plannedN: 10000 });
    expect(e.ciSequential[1] - e.ciSequential[0]).toBeGreaterThan(e.ciFixed[1] - e.ciFixed[0]);
    expect(e.pSequential).toBeGreaterThan(e.pFixed);
    // The always-valid p-value is exactly the α at which the sequence touches 0.
    const v = e.standardError ** 2;
    close(sequentialHalfWidth(v, 2000, e.pSequential, 10000, 0.05), Math.abs(e.difference));
  });

  it('probability to beat control (scipy.integrate.quad of beta.pdf × beta.cdf)', () => {
    close(probabilityToBeatBinomial(100, 1000, 120, 1000), 0.9231834389735598, 1e-6);
    close(probabilityToBeatBinomial(50, 500, 45, 500), 0.29584523269623964, 1e-6);
  });

  it('CUPED (numpy: θ = cov(y,x)/var(x), var(y − θ(x − x̄)))', () => {
    const x = [3, 5, 2, 8, 6, 4, 7, 5, 9, 1];
    const y = [4, 6, 2, 9, 8, 4, 9, 5, 11, 2];
    const obs = x.map((xi, i) => ({ x: xi, y: y[i] }));
    const r = cuped([obs.slice(0, 5), obs.slice(5)]);
    close(r.theta, 1.1833333333333331); // np.cov(y,x)[0,1] / np.var(x, ddof=1)
    const adjusted = cuped([obs]).arms[0];
    close(adjusted.variance, 0.4425925925925924); // np.var(adj, ddof=1)
    close(adjusted.mean, 6.0);
    close(summarise(y).variance, 9.777777777777779);
  });

  it('power and sample size (closed form with scipy.stats.norm.ppf)', () => {
    // n = (z_{1-α/2} + z_{power})² (p1(1-p1) + p2(1-p2)) / (p2-p1)² → 14748.045020841912; 6271.254907744911
    expect(sampleSizeProportion(0.1, 0.1)).toBe(14749);
    expect(sampleSizeProportion(0.5, 0.05)).toBe(6272);
    close(powerProportion(0.1, 0.1, 10000), 0.63569595099226, 1e-6); // norm.cdf(|Δ|/se − z)
  });
});

describe('A/A simulation: peeking after every batch', () => {
  it('the sequential method keeps false positives ≤ 5%; a fixed-horizon test peeked the same way does not', () => {
    const random = seededRandom(20261206);
    const EXPERIMENTS = 1000;
    const BATCHES = 20;
    const PER_BATCH = 250; // per arm
    const RATE = 0.1;
    let sequential = 0;
    let naive = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      let xa = 0;
      let xb = 0;
      let n = 0;
      let seqHit = false;
      let naiveHit = false;
      for (let b = 0; b < BATCHES; b++) {
        for (let i = 0; i < PER_BATCH; i++) {
          if (random() < RATE) xa++;
          if (random() < RATE) xb++;
        }
        n += PER_BATCH;
        const effect = compare(proportion(xa, n), proportion(xb, n), { plannedN: 2 * PER_BATCH * BATCHES });
        if (effect.pSequential < 0.05) seqHit = true;
        if (effect.pFixed < 0.05) naiveHit = true;
      }
      if (seqHit) sequential++;
      if (naiveHit) naive++;
    }
    const fprSequential = sequential / EXPERIMENTS;
    const fprNaive = naive / EXPERIMENTS;
    expect(fprSequential).toBeLessThanOrEqual(0.05);
    expect(fprNaive).toBeGreaterThan(0.05);
    // Printed for the README.
    console.log(`A/A: sequential FPR ${fprSequential}, naive peeking FPR ${fprNaive}`);
  });
});
