// Results as the pages show them: percentages and intervals as words a team can read.
import type { ExperimentRow } from './experiments.js';
import { LOWER_IS_BETTER, type Results } from './results.js';

type T = (key: string, params?: Record<string, string | number>) => string;

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

export function presentResults(t: T, r: Results, row: Pick<ExperimentRow, 'control_variant' | 'primary_metric'>) {
  return {
    exposures: r.exposures.map((e) => ({ variant: e.variant, n: e.n, planned: Math.round(e.planned) })),
    srm: { mismatch: r.srm.mismatch, p: r.srm.p.toPrecision(2), chi2: r.srm.chi2.toFixed(2) },
    plannedPerArm: r.plannedPerArm,
    metrics: r.metrics.map((m) => {
      const conv = m.kind === 'conversion';
      const num = (x: number) => (conv ? pct(x) : x.toFixed(2));
      const diff = (x: number) => (conv ? `${(x * 100).toFixed(2)} ${t('experiments.results.points')}` : x.toFixed(2));
      return {
        metric: m.metric,
        name: t(`experiments.metrics.${m.metric.startsWith('custom.') ? 'custom' : m.metric}`, { name: m.metric }),
        primary: m.metric === row.primary_metric,
        cuped: m.cuped,
        rows: m.variants.map((v) => {
          const e = v.effect;
          const better = e ? (LOWER_IS_BETTER.has(m.metric) ? e.ciSequential[1] < 0 : e.ciSequential[0] > 0) : false;
          const worse = e ? (LOWER_IS_BETTER.has(m.metric) ? e.ciSequential[0] > 0 : e.ciSequential[1] < 0) : false;
          return {
            variant: v.variant,
            control: v.control,
            n: v.n,
            value: num(v.mean),
            difference: e ? diff(e.difference) : '',
            relative: e && e.relative !== null ? pct(e.relative) : '',
            interval: e ? `${diff(e.ciSequential[0])} ${t('experiments.results.to')} ${diff(e.ciSequential[1])}` : '',
            p: e ? e.pSequential.toPrecision(2) : '',
            chance: v.chanceToBeat !== null ? pct(v.chanceToBeat, 0) : '',
            verdict: e ? (better ? 'better' : worse ? 'worse' : 'unclear') : 'control',
          };
        }),
      };
    }),
  };
}
