// An experiment's results: exposures per variant (with the sample-ratio check against the split
// the flag plans), and for each metric — primary and guardrails, from the performance module by
// the same targeting key — every variant against control: difference, always-valid interval and
// p-value, probability to beat control, CUPED where people have pre-exposure values.
import type { CompiledFlag } from './flagd.js';
import * as stats from './stats.js';

export const METRICS = ['completion', 'payment_success', 'satisfaction', 'time_to_complete'] as const;
/** Metrics where 1 per key means it happened (absent keys count 0); others average the keys that have a value. */
const CONVERSION = new Set(['completion', 'payment_success']);
/** Metrics where less is better. */
export const LOWER_IS_BETTER = new Set(['time_to_complete']);

export interface PerKey {
  perKey(input: {
    serviceId: string;
    metric: string;
    from: Date;
    to?: Date;
    keys?: string[];
  }): Promise<Array<{ key: string; value: number; at: string }>>;
}

export interface VariantResult {
  variant: string;
  n: number;
  mean: number;
  control: boolean;
  effect: stats.Effect | null;
  chanceToBeat: number | null;
}
export interface MetricResult {
  metric: string;
  kind: 'conversion' | 'mean';
  cuped: boolean;
  variants: VariantResult[];
}
export interface Results {
  exposures: Array<{ variant: string; n: number; planned: number }>;
  srm: { chi2: number; p: number; mismatch: boolean };
  metrics: MetricResult[];
  plannedPerArm: number | null;
}

/** The planned split: a top-level `fractional` in the flag's targeting, or equal weights over the variants. */
export function plannedWeights(flag: CompiledFlag | undefined, variants: string[]): number[] {
  const t = flag?.def.targeting as Record<string, unknown> | undefined;
  const f = t && Array.isArray(t.fractional) ? (t.fractional as unknown[]) : null;
  if (f) {
    const buckets = f.filter((b): b is unknown[] => Array.isArray(b));
    return variants.map((v) => buckets.filter((b) => b[0] === v).reduce((s, b) => s + (typeof b[1] === 'number' ? b[1] : 1), 0));
  }
  return variants.map(() => 1);
}

export async function computeResults(input: {
  perf: PerKey | null;
  serviceId: string;
  startedAt: Date;
  stoppedAt: Date | null;
  control: string;
  flag: CompiledFlag | undefined;
  exposures: Array<{ key: string; variant: string }>;
  metrics: string[];
  plannedN: number;
  cupedDays?: number;
}): Promise<Results> {
  const variants = [...new Set([input.control, ...Object.keys(input.flag?.def.variants ?? {}), ...input.exposures.map((e) => e.variant)])];
  const byVariant = new Map(variants.map((v) => [v, [] as string[]]));
  for (const e of input.exposures) byVariant.get(e.variant)!.push(e.key);
  const weights = plannedWeights(input.flag, variants);
  const counts = variants.map((v) => byVariant.get(v)!.length);
  const wsum = weights.reduce((s, w) => s + w, 0) || 1;
  const total = counts.reduce((s, n) => s + n, 0);
  const served = variants.map((v, i) => ({ v, i })).filter(({ i }) => weights[i] > 0 || counts[i] > 0);
  const srm = stats.srm(
    served.map(({ i }) => counts[i]),
    served.map(({ i }) => weights[i]),
  );
  const metrics: MetricResult[] = [];
  const keys = input.exposures.map((e) => e.key);
  for (const metric of input.metrics) {
    const to = input.stoppedAt ?? new Date();
    const rows =
      input.perf && keys.length ? await input.perf.perKey({ serviceId: input.serviceId, metric, from: input.startedAt, to, keys }) : [];
    const after = new Map(rows.map((r) => [r.key, r.value]));
    const preFrom = new Date(input.startedAt.getTime() - (input.cupedDays ?? 28) * 86_400_000);
    const preRows =
      input.perf && keys.length
        ? await input.perf.perKey({ serviceId: input.serviceId, metric, from: preFrom, to: input.startedAt, keys })
        : [];
    const before = new Map(preRows.map((r) => [r.key, r.value]));
    const conversion = CONVERSION.has(metric) || !METRICS.includes(metric as (typeof METRICS)[number]);
    const obs = variants.map((v) =>
      byVariant
        .get(v)!
        .filter((k) => conversion || after.has(k))
        .map((k) => ({ y: after.get(k) ?? 0, x: before.get(k) ?? 0 })),
    );
    const useCuped = before.size > 0;
    const arms = useCuped ? stats.cuped(obs).arms : obs.map((o) => stats.summarise(o.map((p) => p.y)));
    const ci = variants.indexOf(input.control);
    metrics.push({
      metric,
      kind: conversion && CONVERSION.has(metric) ? 'conversion' : 'mean',
      cuped: useCuped,
      variants: variants.map((v, i) => {
        const control = i === ci;
        const effect = control || !arms[i].n || !arms[ci].n ? null : stats.compare(arms[ci], arms[i], { plannedN: input.plannedN });
        let chance: number | null = null;
        if (effect) {
          chance =
            CONVERSION.has(metric) && !useCuped
              ? stats.probabilityToBeatBinomial(
                  Math.round(arms[ci].mean * arms[ci].n),
                  arms[ci].n,
                  Math.round(arms[i].mean * arms[i].n),
                  arms[i].n,
                )
              : stats.probabilityToBeatGaussian(arms[ci], arms[i]);
          if (LOWER_IS_BETTER.has(metric)) chance = 1 - chance;
        }
        return {
          variant: v,
          n: arms[i].n,
          mean: obs[i].length ? obs[i].reduce((s, o) => s + o.y, 0) / obs[i].length : 0,
          control,
          effect,
          chanceToBeat: chance,
        };
      }),
    });
  }
  return {
    exposures: variants.map((v, i) => ({ variant: v, n: counts[i], planned: total ? (total * weights[i]) / wsum : 0 })),
    srm,
    metrics,
    plannedPerArm: null,
  };
}
