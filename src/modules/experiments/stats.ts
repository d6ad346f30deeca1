// The statistics of experiments, in one pure file (no I/O), so they can be read and checked:
// - sample-ratio mismatch: Pearson's chi-squared against the planned split (flag at p < 0.001);
// - frequentist effect: difference of means with its standard error, a fixed-horizon z-test, and
//   the always-valid confidence sequence of Howard et al. (2021, "Time-uniform, nonparametric,
//   nonasymptotic confidence sequences", normal mixture, eq. 14) in GrowthBook's parametrisation,
//   so looking every day does not inflate false positives;
// - Bayesian probability to beat control (exact Beta–Beta for conversions, Gaussian otherwise);
// - CUPED (Deng et al. 2013): variance reduction with a pre-exposure covariate;
// - power and required sample size at design.
// Reference values in stats.test.ts were computed independently with Python's scipy 1.17.

// ---- distributions ---------------------------------------------------------------------

/** ln Γ(x), Lanczos (g = 7, n = 9): ~15 significant digits for x > 0. */
export function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) (series below a+1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lead);
  }
  // Lentz's continued fraction.
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lead) * h;
}

/** Chi-squared survival function P(X ≥ x) with k degrees of freedom. */
export const chiSquaredSf = (x: number, k: number) => gammaQ(k / 2, x / 2);

/** Standard normal CDF, through Q(1/2, z²/2) = erfc(|z|/√2). */
export function normalCdf(z: number): number {
  if (!Number.isFinite(z)) return z > 0 ? 1 : 0;
  const tail = 0.5 * gammaQ(0.5, (z * z) / 2);
  return z >= 0 ? 1 - tail : tail;
}

/** Standard normal quantile: Acklam's rational approximation refined by one Halley step. */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

// ---- sample-ratio mismatch -------------------------------------------------------------

export const SRM_THRESHOLD = 0.001;

/** Pearson's chi-squared of observed counts against planned weights (any scale). */
export function srm(observed: number[], weights: number[]): { chi2: number; p: number; mismatch: boolean } {
  const total = observed.reduce((s, x) => s + x, 0);
  const wsum = weights.reduce((s, x) => s + x, 0);
  if (total === 0 || observed.length < 2 || wsum <= 0) return { chi2: 0, p: 1, mismatch: false };
  let chi2 = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = (total * weights[i]) / wsum;
    if (e > 0) chi2 += (observed[i] - e) ** 2 / e;
  }
  const p = chiSquaredSf(chi2, observed.length - 1);
  return { chi2, p, mismatch: p < SRM_THRESHOLD };
}

// ---- per-arm summaries -----------------------------------------------------------------

export interface Arm {
  n: number;
  mean: number;
  /** Sample variance of one observation (n − 1 denominator). */
  variance: number;
}

export function summarise(values: ArrayLike<number>): Arm {
  const n = values.length;
  if (!n) return { n: 0, mean: 0, variance: 0 };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { n, mean, variance: n > 1 ? ss / (n - 1) : 0 };
}

/** A conversion arm from counts: Bernoulli mean and variance. */
export const proportion = (conversions: number, n: number): Arm => {
  const p = n ? conversions / n : 0;
  return { n, mean: p, variance: n > 1 ? (p * (1 - p) * n) / (n - 1) : 0 };
};

// ---- frequentist: fixed horizon and always-valid ----------------------------------------

export interface Effect {
  /** Treatment mean − control mean. */
  difference: number;
  /** Difference relative to the control mean (null when the control mean is 0). */
  relative: number | null;
  standardError: number;
  /** Fixed-horizon two-sided p-value (valid only if looked at once, at the planned size). */
  pFixed: number;
  ciFixed: [number, number];
  /** Always-valid two-sided p-value and confidence sequence: valid at every look. */
  pSequential: number;
  ciSequential: [number, number];
}

/** ρ of the normal mixture, tuned so the sequence is tightest at `plannedN` observations (GrowthBook's choice). */
export function mixtureRho(alpha: number, plannedN: number): number {
  return (-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / plannedN;
}

/**
 * Half-width of the asymptotic confidence sequence (Howard et al. normal mixture) for an
 * estimate with variance `varEstimate` after N observations in all: with s² = var·N,
 * s·√(2(Nρ+1)/(N²ρ) · ln(√(Nρ+1)/α)).
 */
export function sequentialHalfWidth(varEstimate: number, N: number, alpha: number, plannedN: number, rhoAlpha = alpha): number {
  const rho = mixtureRho(rhoAlpha, plannedN);
  const s2 = varEstimate * N;
  return Math.sqrt(s2) * Math.sqrt(((2 * (N * rho + 1)) / (N * N * rho)) * Math.log(Math.sqrt(N * rho + 1) / alpha));
}

/** The smallest α whose sequence excludes 0 (the always-valid p-value), capped at 1. */
export function sequentialP(difference: number, varEstimate: number, N: number, plannedN: number, alphaForRho = 0.05): number {
  if (varEstimate <= 0 || N <= 0) return 1;
  const rho = mixtureRho(alphaForRho, plannedN);
  const s2 = varEstimate * N;
  const p = Math.sqrt(N * rho + 1) * Math.exp(-(difference * difference * N * N * rho) / (2 * s2 * (N * rho + 1)));
  return Math.min(1, p);
}

export function compare(control: Arm, treatment: Arm, opts: { alpha?: number; plannedN?: number } = {}): Effect {
  const alpha = opts.alpha ?? 0.05;
  const difference = treatment.mean - control.mean;
  const v = (control.n ? control.variance / control.n : 0) + (treatment.n ? treatment.variance / treatment.n : 0);
  const se = Math.sqrt(v);
  const z = normalQuantile(1 - alpha / 2);
  const N = control.n + treatment.n;
  const plannedN = opts.plannedN ?? Math.max(N, 1000);
  const pFixed = se > 0 ? 2 * (1 - normalCdf(Math.abs(difference) / se)) : 1;
  const hw = se > 0 && N > 0 ? sequentialHalfWidth(v, N, alpha, plannedN) : Infinity;
  return {
    difference,
    relative: control.mean !== 0 ? difference / control.mean : null,
    standardError: se,
    pFixed,
    ciFixed: [difference - z * se, difference + z * se],
    pSequential: sequentialP(difference, v, N, plannedN, alpha),
    ciSequential: [difference - hw, difference + hw],
  };
}

// ---- Bayesian --------------------------------------------------------------------------

const lnBeta = (a: number, b: number) => lnGamma(a) + lnGamma(b) - lnGamma(a + b);

/**
 * P(p_B > p_A) for conversions with uniform priors, Beta(1+x, 1+n−x) posteriors: Evan Miller's
 * exact sum when B has at most 20,000 successes, the Gaussian approximation beyond.
 */
export function probabilityToBeatBinomial(xa: number, na: number, xb: number, nb: number): number {
  const aA = xa + 1;
  const bA = na - xa + 1;
  const aB = xb + 1;
  const bB = nb - xb + 1;
  if (aB - 1 > 20_000) return probabilityToBeatGaussian(proportion(xa, na), proportion(xb, nb));
  let total = 0;
  for (let i = 0; i < aB; i++) total += Math.exp(lnBeta(aA + i, bA + bB) - Math.log(bB + i) - lnBeta(1 + i, bB) - lnBeta(aA, bA));
  return Math.min(1, Math.max(0, total));
}

/** P(μ_B > μ_A) with flat priors and Gaussian posteriors (large-sample means). */
export function probabilityToBeatGaussian(control: Arm, treatment: Arm): number {
  const v = (control.n ? control.variance / control.n : 0) + (treatment.n ? treatment.variance / treatment.n : 0);
  if (v <= 0) return treatment.mean > control.mean ? 1 : treatment.mean < control.mean ? 0 : 0.5;
  return normalCdf((treatment.mean - control.mean) / Math.sqrt(v));
}

// ---- CUPED -----------------------------------------------------------------------------

export interface Observation {
  y: number;
  /** Pre-exposure value of the same metric (0 when the person had none). */
  x: number;
}

/** θ = cov(y, x) / var(x), pooled over every arm (so the adjustment does not bias the difference). */
export function cupedTheta(all: Observation[]): number {
  const n = all.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (const o of all) {
    mx += o.x;
    my += o.y;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (const o of all) {
    sxy += (o.x - mx) * (o.y - my);
    sxx += (o.x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/** CUPED-adjusted arms: y − θ(x − mean x over everyone). */
export function cuped(arms: Observation[][]): { theta: number; arms: Arm[] } {
  const all = arms.flat();
  const theta = cupedTheta(all);
  const mx = all.length ? all.reduce((s, o) => s + o.x, 0) / all.length : 0;
  return { theta, arms: arms.map((a) => summarise(a.map((o) => o.y - theta * (o.x - mx)))) };
}

// ---- design ----------------------------------------------------------------------------

/** People per arm to detect a relative change `mde` of a conversion rate `baseline` (two-sided). */
export function sampleSizeProportion(baseline: number, mde: number, alpha = 0.05, power = 0.8): number {
  const p2 = baseline * (1 + mde);
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.ceil((z * z * (baseline * (1 - baseline) + p2 * (1 - p2))) / (p2 - baseline) ** 2);
}

/** People per arm to detect an absolute change `delta` of a mean with standard deviation `sd`. */
export function sampleSizeMean(sd: number, delta: number, alpha = 0.05, power = 0.8): number {
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.ceil((2 * z * z * sd * sd) / (delta * delta));
}

/** Power of the two-sided test for a relative change `mde` of `baseline` with `n` per arm. */
export function powerProportion(baseline: number, mde: number, n: number, alpha = 0.05): number {
  const p2 = baseline * (1 + mde);
  const se = Math.sqrt((baseline * (1 - baseline) + p2 * (1 - p2)) / n);
  return normalCdf(Math.abs(p2 - baseline) / se - normalQuantile(1 - alpha / 2));
}

// ---- a seeded random source for simulations -------------------------------------------

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
