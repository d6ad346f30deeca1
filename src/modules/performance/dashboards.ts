// /dashboards: the office-holder's real-time view. Staff see the ministers and councillors
// accountable for the services they may see; each one's portfolio lists their services with the
// KPIs for a period against the period before, and people using them now and transactions today,
// kept live over one Server-Sent Events stream (fed by LISTEN/NOTIFY, so any process serves it).
import type { FastifyInstance } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { formErrors } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { PerformanceService } from './service.js';
import { staffOf, staffOnly, visibleServices } from './staff.js';
import { periodParam } from './pages.js';
import { windowOf } from './report.js';
import { KPI_CARDS, changeText } from './present.js';
import { fmt } from './format.js';
import { PERIODS, periodStart } from './ranges.js';

const MAX_LIVE = 50;

export function dashboards(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, perf: PerformanceService) {
  staffOnly(app, k, catalogue, (scope) => {
    scope.get('/dashboards', async (req, reply) => {
      const lang = requestLang(req);
      const t = translator(k.views.messages, lang);
      const services = await visibleServices(catalogue, staffOf(req));
      const details = await Promise.all(services.map((s) => catalogue.getServiceDetail(s.slug)));
      const holders = new Map<string, { name: string; roles: Set<string>; services: typeof details }>();
      for (const d of details) {
        if (!d.office_holder) continue;
        const h = holders.get(d.office_holder.name) ?? { name: d.office_holder.name, roles: new Set<string>(), services: [] };
        h.roles.add(d.office_holder.role);
        h.services.push(d);
        holders.set(h.name, h);
      }
      const wanted = (req.query as Record<string, unknown>).holder;
      const holder = typeof wanted === 'string' ? holders.get(wanted) : undefined;
      if (!holder) {
        return renderPage(k.views, req, reply.status(typeof wanted === 'string' ? 404 : 200), 'performance/views/dashboards.njk', {
          title: t('performance.dashboards.title'),
          notFound: typeof wanted === 'string',
          holders: [...holders.values()]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((h) => ({ name: h.name, roles: [...h.roles].join('; '), count: h.services.length })),
        });
      }
      const { period, bad } = periodParam(req, 'day');
      const w = windowOf(period);
      const ids = holder.services.map((s) => s.id);
      const now = new Date();
      const [cur, prev, today] = await Promise.all([
        perf.figures(ids, w),
        perf.figures(ids, w.previous),
        perf.figures(ids, { from: periodStart(now, 'day'), to: now }),
      ]);
      const rows = holder.services
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((s) => {
          const c = cur.get(s.id)!.kpis;
          const p = prev.get(s.id)!.kpis;
          return {
            slug: s.slug,
            name: lang === 'cy' && s.name_cy ? s.name_cy : s.name,
            liveUsers: fmt(c.liveUsers, 'count', lang),
            today: fmt(today.get(s.id)!.kpis.transactions, 'count', lang),
            cells: KPI_CARDS.map((card) => ({
              value: fmt(c[card.key] as number | null, card.kind, lang),
              change: changeText(t, c[card.key] as number | null, p[card.key] as number | null, card.kind, card.better, period, lang),
            })),
          };
        });
      return renderPage(k.views, req, reply.status(bad ? 400 : 200), 'performance/views/portfolio.njk', {
        title: t('performance.dashboards.portfolio', { name: holder.name }),
        holder: { name: holder.name, roles: [...holder.roles].join('; ') },
        rows,
        period,
        periodItems: PERIODS.map((p) => ({ value: p, text: t(`performance.period.${p}`), checked: p === period })),
        headings: KPI_CARDS.map((c) => t(`performance.kpi.${c.key}`)),
        liveSrc: `/performance/live?services=${rows
          .slice(0, MAX_LIVE)
          .map((r) => encodeURIComponent(r.slug))
          .join(',')}`,
        ...formErrors(bad ? [{ field: 'period', message: t('performance.period.error') }] : []),
      });
    });
  });
}
