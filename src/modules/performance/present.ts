// Reports as pages show them: KPI cards with the change in words, charts with their tables,
// and the dates of buckets in the reader's language. Shared by the service page, the list of
// services and the panel on each catalogue service page.
import type { Lang } from '../../kernel/views.js';
import type { Kpis } from './service.js';
import type { Period } from './ranges.js';
import type { Point, Report } from './report.js';
import { barChart } from './charts.js';
import { change, fmt, type Kind } from './format.js';

type Tr = (key: string, params?: Record<string, string | number>) => string;

export const KPI_CARDS: Array<{ key: keyof Kpis; kind: Kind; better: 'up' | 'down'; missing: 'noData' | 'notReported' }> = [
  { key: 'transactions', kind: 'count', better: 'up', missing: 'noData' },
  { key: 'completionRate', kind: 'rate', better: 'up', missing: 'noData' },
  { key: 'userSatisfaction', kind: 'rate', better: 'up', missing: 'noData' },
  { key: 'costPerTransaction', kind: 'money', better: 'down', missing: 'notReported' },
  { key: 'digitalTakeUp', kind: 'rate', better: 'up', missing: 'notReported' },
];

/** "up 3.5 percentage points on the 7 days before (better)", or null when there is nothing to compare. */
export function changeText(t: Tr, cur: number | null, prev: number | null, kind: Kind, better: 'up' | 'down', period: Period, lang: Lang) {
  const c = change(cur, prev, kind, better);
  if (!c) return null;
  const previous = t(`performance.period.previous.${period}`);
  const amount = new Intl.NumberFormat(lang === 'cy' ? 'cy-GB' : 'en-GB', { maximumFractionDigits: 1 }).format(c.amount);
  if (c.direction === 'same') return { text: t('performance.change.same', { previous }), direction: c.direction, good: null };
  const key = `performance.change.${c.direction}${c.unit === 'points' ? 'Points' : 'Percent'}`;
  const verdict = c.good ? t('performance.change.better') : t('performance.change.worse');
  return { text: `${t(key, { amount, previous })} (${verdict})`, direction: c.direction, good: c.good };
}

export function kpiCards(t: Tr, lang: Lang, cur: Kpis, prev: Kpis, period: Period) {
  return KPI_CARDS.map((c) => ({
    key: c.key,
    label: t(`performance.kpi.${c.key}`),
    value: fmt(cur[c.key] as number | null, c.kind, lang) ?? t(`performance.kpi.${c.missing}`),
    known: cur[c.key] !== null,
    hint: t(`performance.kpi.hint.${c.key}`),
    change: changeText(t, cur[c.key] as number | null, prev[c.key] as number | null, c.kind, c.better, period, lang),
  }));
}

const LABELS: Record<Lang, Record<'long' | 'short' | 'time', Intl.DateTimeFormat>> = {
  en: {
    long: new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
    short: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }),
    time: new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }),
  },
  cy: {
    long: new Intl.DateTimeFormat('cy-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
    short: new Intl.DateTimeFormat('cy-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }),
    time: new Intl.DateTimeFormat('cy-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }),
  },
};

/** A bucket's name: a day for day buckets, "from–to" times (UTC) for shorter ones, "week of" for weeks. */
export function bucketLabel(p: Point, lang: Lang): { long: string; short: string } {
  const f = LABELS[lang];
  const ms = p.end.getTime() - p.start.getTime();
  if (ms === 86_400_000) return { long: f.long.format(p.start), short: f.short.format(p.start) };
  if (ms > 86_400_000)
    return { long: `${f.long.format(p.start)} – ${f.long.format(new Date(p.end.getTime() - 1))}`, short: f.short.format(p.start) };
  const time = `${f.time.format(p.start)}–${f.time.format(p.end)} UTC`;
  return { long: `${f.long.format(p.start)}, ${time}`, short: f.time.format(p.start) };
}

/** A chart and the table that goes with it, for one of the series' measures. */
export function chartWithTable(
  t: Tr,
  lang: Lang,
  id: string,
  title: string,
  series: Point[],
  measure: 'transactions' | 'starts' | 'pageViews',
  marks: Array<{ index: number; n: number }> = [],
  height?: number,
) {
  const unit = measure === 'transactions' ? 'transactionsUnit' : measure === 'starts' ? 'startsUnit' : 'viewsUnit';
  const rows = series.map((p) => {
    const label = bucketLabel(p, lang);
    const count = fmt(p[measure], 'count', lang)!;
    return { label: label.long, short: label.short, value: p[measure], text: t(`performance.page.${unit}`, { count }), count };
  });
  return {
    id,
    title,
    svg: barChart({ id, title, bars: rows, marks, height, axisLabel: (v) => fmt(v, 'count', lang)! }),
    rows: rows.map((r) => ({ label: r.label, count: r.count })),
  };
}

export function volumesView(t: Tr, lang: Lang, r: Report) {
  const v = r.volumes;
  const n = (x: number) => fmt(x, 'count', lang)!;
  const channelName = (c: string) => {
    const key = `performance.page.channels.${c}`;
    const s = t(key);
    return s === key ? c : s;
  };
  return {
    payments:
      v.paymentsSucceeded + v.paymentsFailed + v.refunds > 0
        ? [
            { label: t('performance.page.paymentsSucceeded'), value: n(v.paymentsSucceeded) },
            { label: t('performance.page.amountTaken'), value: fmt(v.amountTaken, 'pence', lang) },
            { label: t('performance.page.paymentsFailed'), value: n(v.paymentsFailed) },
            { label: t('performance.page.refunds'), value: n(v.refunds) },
            { label: t('performance.page.amountRefunded'), value: fmt(v.amountRefunded, 'pence', lang) },
          ]
        : null,
    notifications: Object.entries(v.notifications)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, x]) => ({ channel: channelName(c), delivered: n(x.delivered), failed: n(x.failed) })),
    offline: Object.entries(v.offline)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, x]) => ({ channel: channelName(c), count: n(x) })),
    pageViews: n(v.pageViews),
    visitors: n(v.visitors),
    availability:
      v.availability === null
        ? null
        : t('performance.page.availabilityText', { share: fmt(v.availability, 'rate', lang)!, probes: n(v.probes) }),
    top: {
      pages: r.top.pages.map((x) => ({ name: x.dim, count: n(x.n) })),
      referrers: r.top.referrers.map((x) => ({ name: x.dim, count: n(x.n) })),
      devices: r.top.devices.map((x) => {
        const key = `performance.page.devices.${x.dim}`;
        const s = t(key);
        return { name: s === key ? x.dim : s, count: n(x.n) };
      }),
    },
  };
}

/** Notes (the team's annotations and the service's decisions) falling in the chart's buckets: numbered marks and their list. */
export function chartNotes(series: Point[], notes: Array<{ date: string; text: string; link: string | null; kind: 'note' | 'decision' }>) {
  const marks: Array<{ index: number; n: number }> = [];
  const items: Array<{ n: number; date: string; text: string; link: string | null; kind: string }> = [];
  const sorted = [...notes].sort((a, b) => a.date.localeCompare(b.date));
  for (const note of sorted) {
    const at = new Date(`${note.date}T12:00:00Z`);
    const index = series.findIndex((p) => at >= p.start && at < p.end);
    const dayIndex = index >= 0 ? index : series.findIndex((p) => p.start.toISOString().slice(0, 10) === note.date);
    if (dayIndex < 0) continue;
    const n = items.length + 1;
    marks.push({ index: dayIndex, n });
    items.push({ n, ...note });
  }
  return { marks, items };
}
