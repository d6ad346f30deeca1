// Figures as people read them, in English or Welsh: whole numbers with separators, rates as
// percentages, money in pounds, and a change against the previous period in words (never
// colour or an arrow alone).
import type { Lang } from '../../kernel/views.js';

const NUM = { en: new Intl.NumberFormat('en-GB'), cy: new Intl.NumberFormat('cy-GB') };
const PCT = {
  en: new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 1 }),
  cy: new Intl.NumberFormat('cy-GB', { style: 'percent', maximumFractionDigits: 1 }),
};
const GBP = {
  en: new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' }),
  cy: new Intl.NumberFormat('cy-GB', { style: 'currency', currency: 'GBP' }),
};

export type Kind = 'count' | 'rate' | 'money' | 'pence';

export function fmt(v: number | null | undefined, kind: Kind, lang: Lang): string | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  if (kind === 'rate') return PCT[lang].format(v);
  if (kind === 'money') return GBP[lang].format(v);
  if (kind === 'pence') return GBP[lang].format(v / 100);
  return NUM[lang].format(Math.round(v));
}

/**
 * The change from `prev` to `cur`: rates compare in percentage points, everything else in per
 * cent. `better` says which way is good (cost per transaction is better lower).
 */
export function change(cur: number | null, prev: number | null, kind: Kind, better: 'up' | 'down' = 'up') {
  if (cur === null || prev === null) return null;
  const diff = kind === 'rate' ? (cur - prev) * 100 : prev === 0 ? null : ((cur - prev) / Math.abs(prev)) * 100;
  if (diff === null) return null;
  const rounded = Math.round(diff * 10) / 10;
  const direction = rounded > 0 ? 'up' : rounded < 0 ? 'down' : 'same';
  return {
    direction,
    amount: Math.abs(rounded),
    unit: kind === 'rate' ? 'points' : 'percent',
    good: direction === 'same' ? null : direction === better,
  } as const;
}
