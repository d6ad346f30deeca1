// Public pages: every service's KPIs by organisation (/performance), one service's figures
// beside its accountable office-holder (/performance/services/{slug}), and every figure as CSV
// and JSON open data. Pages work without JavaScript; with it, /performance/assets/live.js keeps
// the "right now" figures current over Server-Sent Events.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../../kernel/module.js';
import { BadRequest } from '../../kernel/errors.js';
import { formErrors } from '../../kernel/forms.js';
import { createCache } from '../../kernel/cache.js';
import { renderPage, requestLang, translator, type Lang } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Service } from '../catalogue/schema.js';
import type { PerformanceService, Kpis } from './service.js';
import { PERIODS, type Period } from './ranges.js';
import { report, windowOf, type Report } from './report.js';
import { chartWithTable, chartNotes, kpiCards, volumesView, KPI_CARDS, changeText } from './present.js';
import { staffStore } from './staff-store.js';
import { fmt } from './format.js';
import { PLATFORM_SERVICE_ID } from './measure.js';
import { csv } from './csv.js';

const here = dirname(fileURLToPath(import.meta.url));
const STATIC = join(here, 'static');
export const LICENCE = 'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/';

/** The period asked for, or the default with an error for the summary when it is not one we know. */
export function periodParam(req: FastifyRequest, fallback: Period): { period: Period; bad: boolean } {
  const raw = (req.query as Record<string, unknown> | undefined)?.period;
  if (raw === undefined || raw === '') return { period: fallback, bad: false };
  return typeof raw === 'string' && (PERIODS as string[]).includes(raw)
    ? { period: raw as Period, bad: false }
    : { period: fallback, bad: true };
}

function strictPeriod(req: FastifyRequest, fallback: Period): Period {
  const { period, bad } = periodParam(req, fallback);
  if (bad) throw new BadRequest(`period must be one of ${PERIODS.join(', ')}`, [{ field: 'period', message: 'Unknown period' }]);
  return period;
}

const localName = (lang: Lang, en: string, cy: string | null | undefined) => (lang === 'cy' && cy ? cy : en);

function kpisJson(k: Kpis) {
  return {
    transactions: k.transactions,
    starts: k.starts,
    completion_rate: k.completionRate,
    user_satisfaction: k.userSatisfaction,
    cost_per_transaction: k.costPerTransaction,
    digital_take_up: k.digitalTakeUp,
    live_users: k.liveUsers,
  };
}

export function reportJson(s: Service, r: Report) {
  return {
    licence: LICENCE,
    service: { slug: s.slug, name: s.name, organisation: s.organisation.slug },
    period: r.period,
    start_at: r.from.toISOString(),
    end_at: r.to.toISOString(),
    kpis: kpisJson(r.kpis),
    previous: { start_at: r.previous.from.toISOString(), end_at: r.previous.to.toISOString(), kpis: kpisJson(r.previousKpis) },
    series: r.series.map((p) => ({
      _start_at: p.start.toISOString(),
      _end_at: p.end.toISOString(),
      starts: p.starts,
      transactions: p.transactions,
      page_views: p.pageViews,
      satisfaction_responses: p.satisfactionResponses,
      user_satisfaction: p.satisfaction,
    })),
    volumes: {
      payments_succeeded: r.volumes.paymentsSucceeded,
      payments_failed: r.volumes.paymentsFailed,
      refunds: r.volumes.refunds,
      amount_taken_pence: r.volumes.amountTaken,
      amount_refunded_pence: r.volumes.amountRefunded,
      notifications: r.volumes.notifications,
      page_views: r.volumes.pageViews,
      visitors: r.volumes.visitors,
      offline_transactions: r.volumes.offline,
      availability: r.volumes.availability,
    },
  };
}

export function performancePages(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, perf: PerformanceService) {
  const { views, db } = k;
  const tr = { en: translator(views.messages, 'en'), cy: translator(views.messages, 'cy') };
  const render = (req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown>) =>
    renderPage(views, req, reply, `performance/views/${view}.njk`, ctx);
  // Everyone's figures for a period, computed at most once every few seconds a process.
  const listCache = createCache<Awaited<ReturnType<typeof allFigures>>>({ ttlMs: 5000, max: 20 });
  catalogue.onChange(() => listCache.clear()); // a service renamed or added shows at once

  async function allFigures(period: Period) {
    const services = await catalogue.listServices();
    const w = windowOf(period);
    const ids = [...services.map((s) => s.id), PLATFORM_SERVICE_ID];
    const [cur, prev] = await Promise.all([perf.figures(ids, w), perf.figures(ids, w.previous)]);
    return { services, w, cur, prev };
  }

  const periodItems = (t: (typeof tr)['en'], period: Period) =>
    PERIODS.map((p) => ({ value: p, text: t(`performance.period.${p}`), checked: p === period }));

  app.get('/performance', async (req, reply) => {
    const lang = requestLang(req);
    const t = tr[lang];
    const { period, bad } = periodParam(req, 'week');
    const { services, cur, prev } = await listCache.wrap(period, () => allFigures(period));
    const orgs = new Map<string, { name: string; slug: string; rows: unknown[] }>();
    const orgNames = new Map((await catalogue.listOrganisations()).map((o) => [o.id, localName(lang, o.name, o.name_cy)]));
    for (const s of services) {
      const f = cur.get(s.id)!.kpis;
      const p = prev.get(s.id)!.kpis;
      const g = orgs.get(s.organisation.id) ?? {
        name: orgNames.get(s.organisation.id) ?? s.organisation.name,
        slug: s.organisation.slug,
        rows: [],
      };
      g.rows.push({
        slug: s.slug,
        name: localName(lang, s.name, s.name_cy),
        cells: KPI_CARDS.map((c) => ({
          value: fmt(f[c.key] as number | null, c.kind, lang),
          change: changeText(t, f[c.key] as number | null, p[c.key] as number | null, c.kind, c.better, period, lang),
        })),
        liveUsers: fmt(f.liveUsers, 'count', lang),
      });
      orgs.set(s.organisation.id, g);
    }
    const platform = cur.get(PLATFORM_SERVICE_ID)!.volume;
    return render(req, reply.status(bad ? 400 : 200), 'index', {
      title: t('performance.title'),
      period,
      periodItems: periodItems(t, period),
      organisations: [...orgs.values()].sort((a, b) => a.name.localeCompare(b.name, lang === 'cy' ? 'cy' : 'en-GB')),
      headings: KPI_CARDS.map((c) => t(`performance.kpi.${c.key}`)),
      platform: {
        accounts: fmt(platform('identity.account.created').n, 'count', lang),
        proved: fmt(platform('identity.account.identity_proved').n, 'count', lang),
      },
      ...formErrors(bad ? [{ field: 'period', message: t('performance.period.error') }] : []),
    });
  });

  app.get('/performance/services.json', { config: { api: true } }, async (req, reply) => {
    const period = strictPeriod(req, 'week');
    const { services, w, cur, prev } = await listCache.wrap(period, () => allFigures(period));
    return reply.header('access-control-allow-origin', '*').send({
      licence: LICENCE,
      period,
      start_at: w.from.toISOString(),
      end_at: w.to.toISOString(),
      services: services.map((s) => ({
        slug: s.slug,
        name: s.name,
        organisation: s.organisation.slug,
        kpis: kpisJson(cur.get(s.id)!.kpis),
        previous: kpisJson(prev.get(s.id)!.kpis),
      })),
    });
  });

  app.get('/performance/services.csv', { config: { api: true } }, async (req, reply) => {
    const period = strictPeriod(req, 'week');
    const { services, w, cur } = await listCache.wrap(period, () => allFigures(period));
    const header = [
      'service',
      'name',
      'organisation',
      'start_at',
      'end_at',
      'transactions',
      'starts',
      'completion_rate',
      'user_satisfaction',
      'cost_per_transaction',
      'digital_take_up',
      'live_users',
    ];
    const rows = services.map((s) => {
      const k = cur.get(s.id)!.kpis;
      return [
        s.slug,
        s.name,
        s.organisation.slug,
        w.from.toISOString(),
        w.to.toISOString(),
        k.transactions,
        k.starts,
        k.completionRate,
        k.userSatisfaction,
        k.costPerTransaction,
        k.digitalTakeUp,
        k.liveUsers,
      ];
    });
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="service-performance-${period}.csv"`)
      .send(csv([header, ...rows]));
  });

  async function serviceReport(req: FastifyRequest, fallback: Period, strict: boolean) {
    const s = await catalogue.getServiceDetail((req.params as { slug: string }).slug);
    const p = strict ? { period: strictPeriod(req, fallback), bad: false } : periodParam(req, fallback);
    return { s, ...p, r: await report(db, perf, s.id, p.period) };
  }

  app.get('/performance/services/:slug', async (req, reply) => {
    const lang = requestLang(req);
    const t = tr[lang];
    const { s, period, bad, r } = await serviceReport(req, 'week', false);
    const name = localName(lang, s.name, s.name_cy);
    const holder = s.office_holder;
    const first = r.series[0].start.toISOString().slice(0, 10);
    const last = r.series[r.series.length - 1].end.toISOString().slice(0, 10);
    const notes = chartNotes(r.series, [
      ...(await staffStore.annotations(db, s.id, first, last)).map((n) => ({
        date: n.on_date,
        text: n.text,
        link: n.link,
        kind: 'note' as const,
      })),
      ...s.decisions
        .filter((d) => d.decided_on >= first && d.decided_on <= last)
        .map((d) => ({
          date: d.decided_on,
          text: d.decision,
          link: `/services/${encodeURIComponent(s.slug)}#decisions`,
          kind: 'decision' as const,
        })),
    ]);
    return render(req, reply.status(bad ? 400 : 200), 'service', {
      title: t('performance.page.title', { service: name }),
      name,
      service: s,
      holder,
      period,
      periodItems: periodItems(t, period),
      cards: kpiCards(t, lang, r.kpis, r.previousKpis, period),
      liveUsers: fmt(r.kpis.liveUsers, 'count', lang),
      charts: [
        chartWithTable(t, lang, 'chart-transactions', t('performance.page.chartTransactions'), r.series, 'transactions', notes.marks),
        chartWithTable(t, lang, 'chart-starts', t('performance.page.chartStarts'), r.series, 'starts'),
        chartWithTable(t, lang, 'chart-views', t('performance.page.chartPageViews'), r.series, 'pageViews'),
      ],
      notes: notes.items,
      volumes: volumesView(t, lang, r),
      liveSrc: `/performance/services/${encodeURIComponent(s.slug)}/live`,
      ...formErrors(bad ? [{ field: 'period', message: t('performance.period.error') }] : []),
    });
  });

  app.get('/performance/services/:slug/figures.json', { config: { api: true } }, async (req, reply) => {
    const { s, r } = await serviceReport(req, 'week', true);
    return reply.header('access-control-allow-origin', '*').send(reportJson(s, r));
  });

  app.get('/performance/services/:slug/figures.csv', { config: { api: true } }, async (req, reply) => {
    const { s, period, r } = await serviceReport(req, 'week', true);
    const header = ['_start_at', '_end_at', 'starts', 'transactions', 'page_views', 'satisfaction_responses', 'user_satisfaction'];
    const rows = r.series.map((p) => [
      p.start.toISOString(),
      p.end.toISOString(),
      p.starts,
      p.transactions,
      p.pageViews,
      p.satisfactionResponses,
      p.satisfaction,
    ]);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${s.slug}-${period}.csv"`)
      .send(csv([header, ...rows]));
  });

  for (const [file, type] of [
    ['live.js', 'text/javascript; charset=utf-8'],
    ['performance.css', 'text/css; charset=utf-8'],
  ] as const) {
    app.get(`/performance/assets/${file}`, (_req, reply) => reply.type(type).sendFile(file, STATIC, { maxAge: '1h' } as any));
  }
}
