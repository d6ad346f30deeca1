// The use cases other modules call (record, kpis, perKey) and the figures pages and live
// streams show. KPIs follow the Service Standard's definitions (README "KPI definitions"):
// completions and starts come from forms when the service uses forms, from payments otherwise.
import type { Db, Queryable } from '../../kernel/db.js';
import type { Events } from '../../kernel/events.js';
import { BadRequest } from '../../kernel/errors.js';
import { measurement, TYPE, UUID, type Measurement } from './measure.js';
import { writeMeasurements } from './ingest.js';
import type { Partitions } from './partitions.js';
import { store, type RollupSum } from './store.js';
import { split, MS } from './ranges.js';
import { teamFigures } from './team-figures.js';
import { MINUTE_ROLLUPS_KEPT_MS } from './rollup.js';

export interface RecordInput {
  serviceId: string;
  type: string;
  key?: string;
  value?: number;
  at?: Date;
  props?: Record<string, string | number>;
}
export interface Kpis {
  completionRate: number | null;
  userSatisfaction: number | null;
  costPerTransaction: number | null;
  digitalTakeUp: number | null;
  transactions: number;
  starts: number;
  liveUsers: number;
}
export interface PerKeyRow {
  key: string;
  value: number;
  at: string;
}

export const T = {
  formStarted: 'forms.started',
  formSubmitted: 'forms.submission.created',
  payStarted: 'payments.card_payment_started',
  paySucceeded: 'payments.card_payment_succeeded',
  payFailed: 'payments.card_payment_failed',
  payRefunded: 'payments.card_payment_refunded',
  satisfaction: 'satisfaction',
  delivered: 'notify.delivered',
  notifyFailed: 'notify.failed',
  pageView: 'page.view',
  visitor: 'page.visitor',
  probe: 'availability.probe',
} as const;
const KPI_TYPES = [T.formStarted, T.formSubmitted, T.payStarted, T.paySucceeded, T.satisfaction];
/** Minute rollups are kept this long; older range edges are read to the hour. */
export const MINUTE_ROLLUP_MS = MINUTE_ROLLUPS_KEPT_MS;
export const LIVE_WINDOW_MS = 5 * MS.MINUTE;

const NAMED_METRICS: Record<string, string[]> = {
  completion: [T.formSubmitted, 'completion'],
  satisfaction: [T.satisfaction],
  payment_success: [T.paySucceeded, 'payment_success'],
};

/** Sums by type for one service ("n" and "total" of each). */
export function byType(rows: RollupSum[], serviceId?: string) {
  const out = new Map<string, { n: number; total: number }>();
  for (const r of rows) if (!serviceId || r.service_id === serviceId) out.set(r.type, { n: r.n, total: r.total });
  return (type: string) => out.get(type) ?? { n: 0, total: 0 };
}

function validRange(from: unknown, to: unknown): { from: Date; to: Date } {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw new BadRequest('range.from must be a valid Date');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new BadRequest('range.to must be a valid Date');
  return { from, to };
}

export function createPerformanceService(deps: { db: Db; events: Events; partitions: Partitions }) {
  const { db, events, partitions } = deps;
  const minuteKeptSince = () => new Date(Date.now() - MINUTE_ROLLUP_MS);

  async function sums(serviceIds: string[], types: string[] | null, from: Date, to: Date, q: Queryable = db) {
    return store.sums(q, serviceIds, types, split(from, to, minuteKeptSince()));
  }

  function kpisFrom(get: ReturnType<typeof byType>, team: Awaited<ReturnType<typeof teamFigures>>, liveUsers: number): Kpis {
    const formsBased = get(T.formStarted).n + get(T.formSubmitted).n > 0;
    const starts = formsBased ? get(T.formStarted).n : get(T.payStarted).n;
    const digital = formsBased ? get(T.formSubmitted).n : get(T.paySucceeded).n;
    const transactions = digital + (team.offline ?? 0);
    const sat = get(T.satisfaction);
    return {
      completionRate: starts > 0 ? Math.min(1, digital / starts) : null,
      userSatisfaction: sat.n > 0 ? (sat.total / sat.n - 1) / 4 : null,
      costPerTransaction: team.cost !== null && transactions > 0 ? team.cost / transactions : null,
      digitalTakeUp: team.offline !== null && transactions > 0 ? digital / transactions : null,
      transactions: Math.round(transactions * 100) / 100,
      starts,
      liveUsers,
    };
  }

  return {
    /**
     * A measurement. With `tx` it is appended to the outbox in the caller's transaction (so it
     * counts exactly when the caller's change commits) and written by the subscriber within a
     * second; with null it is written at once.
     */
    async record(tx: Queryable | null, m: RecordInput): Promise<void> {
      const row = measurement({ serviceId: m?.serviceId, type: m?.type, key: m?.key, value: m?.value, at: m?.at, props: m?.props });
      if (!row) throw new BadRequest('performance.record needs a service id (uuid) and a type like "custom.document_uploaded"');
      if (m.key !== undefined && (typeof m.key !== 'string' || m.key.includes('@')))
        throw new BadRequest('performance.record: key must be a pseudonymous string, never an email address');
      if (tx) {
        await events.append(tx, {
          stream: `performance.service:${row.serviceId}`,
          type: 'performance.recorded',
          payload: {
            service_id: row.serviceId,
            type: row.type,
            key: row.key,
            value: row.value,
            at: row.at.toISOString(),
            props: row.props,
          },
        });
        return;
      }
      await partitions.ensureMonth(row.at);
      await db.transaction((t) => writeMeasurements(t, [row]));
    },

    /** Writes measurements now, in one transaction (page analytics, probes, benches). */
    async write(rows: Measurement[]): Promise<void> {
      if (!rows.length) return;
      await db.transaction((t) => writeMeasurements(t, rows));
    },

    async kpis(serviceId: string, range: { from: Date; to: Date }): Promise<Kpis> {
      if (typeof serviceId !== 'string' || !UUID.test(serviceId)) throw new BadRequest('serviceId must be a uuid');
      const { from, to } = validRange(range?.from, range?.to);
      const [rows, team, live] = await Promise.all([
        sums([serviceId], KPI_TYPES, from, to),
        teamFigures(db, serviceId, from, to),
        store.liveUsers(db, [serviceId], new Date(Date.now() - LIVE_WINDOW_MS)),
      ]);
      return kpisFrom(byType(rows), team, live.get(serviceId) ?? 0);
    },

    async perKey(input: { serviceId: string; metric: string; from: Date; to?: Date; keys?: string[] }): Promise<PerKeyRow[]> {
      const { serviceId, metric, keys } = input ?? ({} as typeof input);
      if (typeof serviceId !== 'string' || !UUID.test(serviceId)) throw new BadRequest('serviceId must be a uuid');
      if (typeof metric !== 'string' || (!(metric in NAMED_METRICS) && metric !== 'time_to_complete' && !TYPE.test(metric)))
        throw new BadRequest(`Unknown metric "${String(metric).slice(0, 100)}"`);
      const { from, to } = validRange(input.from, input.to ?? new Date());
      if (keys !== undefined && (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string') || keys.length > 100_000))
        throw new BadRequest('keys must be an array of strings');
      if (keys && !keys.length) return [];
      if (metric === 'time_to_complete') {
        const rows = await store.perKey(db, serviceId, [T.formStarted, T.formSubmitted], from, to, keys ?? null);
        const started = new Map(rows.filter((r) => r.type === T.formStarted).map((r) => [r.key, r.first_at]));
        return rows
          .filter((r) => r.type === T.formSubmitted && started.has(r.key) && r.first_at >= started.get(r.key)!)
          .map((r) => ({ key: r.key, value: (r.first_at.getTime() - started.get(r.key)!.getTime()) / 1000, at: r.first_at.toISOString() }));
      }
      const types = NAMED_METRICS[metric] ?? [metric];
      const rows = await store.perKey(db, serviceId, types, from, to, keys ?? null);
      const out = new Map<string, PerKeyRow>();
      for (const r of rows) {
        const had = out.get(r.key);
        if (metric === 'satisfaction') {
          if (!had || had.at < r.last_at.toISOString())
            out.set(r.key, { key: r.key, value: r.last_value ?? 0, at: r.last_at.toISOString() });
        } else if (metric in NAMED_METRICS) {
          const at = r.first_at.toISOString();
          if (!had || at < had.at) out.set(r.key, { key: r.key, value: 1, at });
        } else {
          const value = r.nv > 0 ? r.total : r.n;
          out.set(r.key, { key: r.key, value: (had?.value ?? 0) + value, at: r.last_at.toISOString() });
        }
      }
      return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    /** Rollup sums with every breakdown (dim) as well as the totals. */
    sumsWithDims: (serviceIds: string[], types: string[], from: Date, to: Date) =>
      store.sums(db, serviceIds, types, split(from, to, minuteKeptSince()), { dims: true }),

    /** KPIs and volumes of several services over one range, from two queries (dashboards, live figures). */
    async figures(serviceIds: string[], range: { from: Date; to: Date }) {
      const ids = serviceIds.filter((id) => UUID.test(id));
      const [rows, live] = await Promise.all([
        sums(ids, null, range.from, range.to),
        store.liveUsers(db, ids, new Date(Date.now() - LIVE_WINDOW_MS)),
      ]);
      const out = new Map<string, { kpis: Kpis; volume: (type: string) => { n: number; total: number } }>();
      for (const id of ids) {
        const get = byType(rows, id);
        const team = await teamFigures(db, id, range.from, range.to);
        out.set(id, { kpis: kpisFrom(get, team, live.get(id) ?? 0), volume: get });
      }
      return out;
    },
  };
}
export type PerformanceService = ReturnType<typeof createPerformanceService>;
