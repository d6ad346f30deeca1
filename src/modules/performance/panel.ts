// The performance panel on every catalogue service page, placed beside the accountable
// office-holder: the four KPIs for the last 30 days against the 30 before, a chart of daily
// transactions with its table, and the people using it right now (kept live with JavaScript).
import type { Kernel } from '../../kernel/module.js';
import { translator, type Lang } from '../../kernel/views.js';
import type { Service } from '../catalogue/schema.js';
import type { PerformanceService } from './service.js';
import { report } from './report.js';
import { chartWithTable, kpiCards } from './present.js';
import { fmt } from './format.js';

export function servicePanel(k: Kernel, perf: PerformanceService) {
  return async (s: Service, lang: Lang) => {
    const t = translator(k.views.messages, lang);
    const r = await report(k.db, perf, s.id, 'month');
    const html = k.views.env.render('performance/views/panel.njk', {
      t,
      lang,
      slug: s.slug,
      cards: kpiCards(t, lang, r.kpis, r.previousKpis, 'month'),
      chartData: chartWithTable(t, lang, `perf-chart-${s.slug}`, t('performance.panel.chart'), r.series, 'transactions', [], 160),
      liveSrc: `/performance/services/${encodeURIComponent(s.slug)}/live`,
      liveUsers: fmt(r.kpis.liveUsers, 'count', lang),
    });
    return { title: t('performance.panel.title'), html, placement: 'accountable' as const };
  };
}
