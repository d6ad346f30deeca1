// The shared view as a page shows it (the same words and numbers room.js writes when it follows
// changes live): each service's chosen KPIs over the period, with the period before when asked,
// and which one is highlighted.
import type { Lang } from '../../kernel/views.js';
import type { Kpis } from '../performance/index.js';
import type { RoomFigures } from './figures.js';
import type { Kpi, SharedView } from './view.js';

const RATES = new Set<Kpi>(['completionRate', 'userSatisfaction', 'digitalTakeUp']);
const locale = (lang: Lang) => (lang === 'cy' ? 'cy-GB' : 'en-GB');

export function formatKpi(kpi: Kpi, v: number | null | undefined, lang: Lang, none: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return none;
  if (RATES.has(kpi)) return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(v);
  if (kpi === 'costPerTransaction') return new Intl.NumberFormat(locale(lang), { style: 'currency', currency: 'GBP' }).format(v);
  return new Intl.NumberFormat(locale(lang)).format(Math.round(v));
}

export function presentView(
  view: SharedView,
  figures: RoomFigures,
  names: Map<string, string>,
  lang: Lang,
  t: (k: string, p?: Record<string, string | number>) => string,
) {
  const none = t('rooms.view.noData');
  return view.services.map((id) => {
    const f = figures.services[id];
    return {
      id,
      name: names.get(id) ?? id,
      rows: view.kpis.map((kpi) => ({
        kpi,
        label: t(`rooms.kpi.${kpi}`),
        value: formatKpi(kpi, f?.current[kpi as keyof Kpis] as number | null, lang, none),
        previous: view.filters.compare ? formatKpi(kpi, f?.previous?.[kpi as keyof Kpis] as number | null, lang, none) : null,
        highlighted: view.highlight?.service === id && view.highlight.kpi === kpi,
      })),
    };
  });
}
