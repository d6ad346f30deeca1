// One service's figures for a reporting window (the last hour, day, week, month or quarter),
// compared with the window before it, with a series of buckets for the charts and the volumes by
// channel. The same object feeds the page, the service panel and the CSV/JSON downloads.
import type { Db } from '../../kernel/db.js';
import { store } from './store.js';
import { T, type Kpis, type PerformanceService } from './service.js';
import { MS, floorTo, type Grain, type Period } from './ranges.js';
import { teamFigures } from './team-figures.js';

export const WINDOWS: Record<Period, { ms: number; grain: Grain; stepMs: number }> = {
  hour: { ms: MS.HOUR, grain: 'minute', stepMs: 5 * MS.MINUTE },
  day: { ms: MS.DAY, grain: 'hour', stepMs: MS.HOUR },
  week: { ms: 7 * MS.DAY, grain: 'day', stepMs: MS.DAY },
  month: { ms: 30 * MS.DAY, grain: 'day', stepMs: MS.DAY },
  quarter: { ms: 91 * MS.DAY, grain: 'day', stepMs: 7 * MS.DAY },
};

export interface Point {
  start: Date;
  end: Date;
  starts: number;
  transactions: number;
  pageViews: number;
  satisfactionResponses: number;
  satisfaction: number | null;
}

export interface Report {
  period: Period;
  from: Date;
  to: Date;
  previous: { from: Date; to: Date };
  kpis: Kpis;
  previousKpis: Kpis;
  series: Point[];
  volumes: {
    paymentsSucceeded: number;
    paymentsFailed: number;
    refunds: number;
    amountTaken: number;
    amountRefunded: number;
    notifications: Record<string, { delivered: number; failed: number }>;
    pageViews: number;
    visitors: number;
    offline: Record<string, number>;
    availability: number | null;
    probes: number;
  };
  top: {
    pages: Array<{ dim: string; n: number }>;
    referrers: Array<{ dim: string; n: number }>;
    devices: Array<{ dim: string; n: number }>;
  };
}

const SERIES_TYPES = [T.formStarted, T.formSubmitted, T.payStarted, T.paySucceeded, T.pageView, T.satisfaction];

/** The window ending now, and the one before it. Bucket edges align to the step (whole days, hours, 5 minutes). */
export function windowOf(period: Period, now = new Date()) {
  const w = WINDOWS[period];
  const to = now;
  const from = new Date(to.getTime() - w.ms);
  return { from, to, previous: { from: new Date(from.getTime() - w.ms), to: from } };
}

export async function report(db: Db, perf: PerformanceService, serviceId: string, period: Period, now = new Date()): Promise<Report> {
  const w = WINDOWS[period];
  const { from, to, previous } = windowOf(period, now);
  // The buckets: the last n whole steps, the latest one still filling.
  const n = Math.round(w.ms / w.stepMs);
  const lastStart = floorTo(now, w.stepMs);
  const seriesFrom = new Date(lastStart.getTime() - (n - 1) * w.stepMs);
  const [kpis, previousKpis, rows, dims, team, pages, referrers, devices] = await Promise.all([
    perf.kpis(serviceId, { from, to }),
    perf.kpis(serviceId, previous),
    store.series(db, serviceId, SERIES_TYPES, w.grain, seriesFrom, new Date(lastStart.getTime() + w.stepMs)),
    perf.sumsWithDims(
      [serviceId],
      [T.paySucceeded, T.payFailed, T.payRefunded, T.delivered, T.notifyFailed, T.pageView, T.visitor, T.probe],
      from,
      to,
    ),
    teamFigures(db, serviceId, from, to),
    store.topDims(db, serviceId, T.pageView, floorTo(from, MS.DAY), to),
    store.topDims(db, serviceId, 'page.view.referrer', floorTo(from, MS.DAY), to),
    store.topDims(db, serviceId, 'page.view.device', floorTo(from, MS.DAY), to),
  ]);
  const formsBased = rows.some((r) => r.type === T.formStarted || r.type === T.formSubmitted);
  const series: Point[] = [];
  for (let i = 0; i < n; i++) {
    const start = new Date(seriesFrom.getTime() + i * w.stepMs);
    const end = new Date(start.getTime() + w.stepMs);
    const inBucket = rows.filter((r) => r.bucket >= start && r.bucket < end);
    const sum = (type: string) => inBucket.filter((r) => r.type === type).reduce((a, r) => a + r.n, 0);
    const sat = inBucket.filter((r) => r.type === T.satisfaction);
    const satN = sat.reduce((a, r) => a + r.n, 0);
    const satTotal = sat.reduce((a, r) => a + r.total, 0);
    series.push({
      start,
      end,
      starts: sum(formsBased ? T.formStarted : T.payStarted),
      transactions: sum(formsBased ? T.formSubmitted : T.paySucceeded),
      pageViews: sum(T.pageView),
      satisfactionResponses: satN,
      satisfaction: satN ? (satTotal / satN - 1) / 4 : null,
    });
  }
  const get = (type: string, dim = '') => dims.find((r) => r.type === type && r.dim === dim) ?? { n: 0, total: 0 };
  const notifications: Record<string, { delivered: number; failed: number }> = {};
  for (const r of dims) {
    if (!r.dim || (r.type !== T.delivered && r.type !== T.notifyFailed)) continue;
    notifications[r.dim] ??= { delivered: 0, failed: 0 };
    notifications[r.dim][r.type === T.delivered ? 'delivered' : 'failed'] += r.n;
  }
  const probes = get(T.probe);
  return {
    period,
    from,
    to,
    previous,
    kpis,
    previousKpis,
    series,
    volumes: {
      paymentsSucceeded: get(T.paySucceeded).n,
      paymentsFailed: get(T.payFailed).n,
      refunds: get(T.payRefunded).n,
      amountTaken: get(T.paySucceeded).total,
      amountRefunded: get(T.payRefunded).total,
      notifications,
      pageViews: get(T.pageView).n,
      visitors: get(T.visitor).n,
      offline: team.offlineByChannel,
      availability: probes.n ? probes.total / probes.n : null,
      probes: probes.n,
    },
    top: { pages, referrers, devices },
  };
}
