// Figures only the team holds — what the service cost, and transactions by phone, post or in
// person — read from its Backdrop-style data sets `cost` and `transactions-by-channel`. A record
// with a `period` (day, week, month, quarter, year) covers that span from its _timestamp and is
// shared pro rata with the range asked about; one without counts wholly where its _timestamp falls.
import type { Queryable } from '../../kernel/db.js';
import { addPeriods, type Period } from './ranges.js';

export const COST_TYPE = 'cost';
export const CHANNEL_TYPE = 'transactions-by-channel';
/** Channels the platform measures itself: a team's own figure for these is shown, never added twice. */
const DIGITAL = new Set(['digital', 'online', 'web']);

export interface TeamFigures {
  cost: number | null;
  offline: number | null;
  offlineByChannel: Record<string, number>;
}

function spanOf(ts: Date, period: unknown): { from: Date; to: Date } | null {
  if (period === 'year') return { from: ts, to: addPeriods(ts, 'month', 12) };
  if (typeof period === 'string' && ['hour', 'day', 'week', 'month', 'quarter'].includes(period))
    return { from: ts, to: addPeriods(ts, period as Period, 1) };
  return null;
}

/** The share of a record's figure that falls in [from, to). */
export function share(ts: Date, period: unknown, from: Date, to: Date): number {
  const span = spanOf(ts, period);
  if (!span) return ts >= from && ts < to ? 1 : 0;
  const overlap = Math.min(span.to.getTime(), to.getTime()) - Math.max(span.from.getTime(), from.getTime());
  return overlap > 0 ? overlap / (span.to.getTime() - span.from.getTime()) : 0;
}

const num = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() && Number.isFinite(Number(v)) ? Number(v) : null;

export async function teamFigures(db: Queryable, serviceId: string, from: Date, to: Date): Promise<TeamFigures> {
  const { rows } = await db.query<{ data_type: string; ts: Date; data: Record<string, unknown> }>(
    `SELECT d.data_type, r.ts, r.data FROM performance.records r JOIN performance.data_sets d ON d.id = r.data_set_id
      WHERE d.service_id = $1 AND r.service_id = $1 AND d.data_type = ANY($2::text[])
        AND r.ts >= $3::timestamptz - interval '1 year' AND r.ts < $4`,
    [serviceId, [COST_TYPE, CHANNEL_TYPE], from.toISOString(), to.toISOString()],
  );
  let cost: number | null = null;
  let offline: number | null = null;
  const offlineByChannel: Record<string, number> = {};
  for (const r of rows) {
    const part = share(new Date(r.ts), r.data.period, from, to);
    if (part === 0) continue;
    if (r.data_type === COST_TYPE) {
      const c = num(r.data.cost);
      if (c !== null) cost = (cost ?? 0) + c * part;
    } else {
      const n = num(r.data.count);
      const channel = String(r.data.channel ?? '').toLowerCase();
      if (n === null || !channel || DIGITAL.has(channel)) continue;
      offline = (offline ?? 0) + n * part;
      offlineByChannel[channel] = (offlineByChannel[channel] ?? 0) + n * part;
    }
  }
  return { cost, offline, offlineByChannel };
}
