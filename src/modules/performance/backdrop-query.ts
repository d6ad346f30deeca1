// Backdrop's read API query language: start_at, end_at, duration, period, group_by, collect
// (with :sum, :mean, :count, :set), filter_by, sort_by, limit, flatten — parsed with Backdrop's
// 400 messages, and answered in its { "data": [...] } shapes: raw records, periods, groups, or
// groups each with their periods under "values" (empty periods filled with _count 0).
import { VALID_KEY, validTimestamp } from './backdrop-records.js';
import { addPeriods, periodStart, PERIODS, type Period } from './ranges.js';

export class QueryError extends Error {}

type Value = string | number | boolean | null;
type Row = Record<string, unknown> & { _timestamp?: string };
export interface Query {
  startAt: Date | null;
  endAt: Date | null;
  period: Period | null;
  groupBy: string[];
  collect: Array<{ field: string; op: 'list' | 'sum' | 'mean' | 'count' | 'set' }>;
  filterBy: Array<{ field: string; value: string }>;
  sortBy: { field: string; desc: boolean } | null;
  limit: number | null;
  flatten: boolean;
}

const ALLOWED = new Set(['start_at', 'end_at', 'duration', 'period', 'group_by', 'collect', 'filter_by', 'sort_by', 'limit', 'flatten']);
const MAX_PERIODS = 10_000;

const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));
function single(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new QueryError(`${name} may be given only once`);
  return String(v);
}
const fieldOk = (f: string) => VALID_KEY.test(f) && f.length <= 100;

export function parseQuery(q: Record<string, unknown>, now = new Date()): Query {
  for (const k of Object.keys(q)) if (!ALLOWED.has(k)) throw new QueryError('An unrecognised parameter was provided');
  const period = single(q, 'period');
  if (period !== undefined && !(PERIODS as string[]).includes(period))
    throw new QueryError(`'period' must be one of ${JSON.stringify(PERIODS)}`);
  const p = (period as Period | undefined) ?? null;
  const parseDate = (name: string) => {
    const raw = single(q, name);
    if (raw === undefined) return null;
    const d = validTimestamp(raw);
    if (!d) throw new QueryError(`${name} is not a valid datetime`);
    return d;
  };
  let startAt = parseDate('start_at');
  let endAt = parseDate('end_at');
  const durationRaw = single(q, 'duration');
  if (durationRaw !== undefined) {
    if (!/^\d{1,6}$/.test(durationRaw) || Number(durationRaw) < 1) throw new QueryError('duration must be a positive integer');
    if (!p) throw new QueryError('duration can be used only with period');
    if (startAt && endAt) throw new QueryError('give either start_at or end_at with duration, not both');
    const n = Number(durationRaw);
    if (startAt) {
      startAt = periodStart(startAt, p);
      endAt = addPeriods(startAt, p, n);
    } else {
      // Ending at end_at, or with the current period (so the latest, still filling, is included).
      const end = endAt ? periodStart(endAt, p) : addPeriods(periodStart(now, p), p, 1);
      endAt = end;
      startAt = addPeriods(end, p, -n);
    }
  } else if (p && startAt) startAt = periodStart(startAt, p);
  if (startAt && endAt && endAt <= startAt) throw new QueryError('end_at must be after start_at');
  if (p && startAt && endAt) {
    const span = (endAt.getTime() - startAt.getTime()) / (addPeriods(startAt, p, 1).getTime() - startAt.getTime());
    if (span > MAX_PERIODS) throw new QueryError(`a query may cover at most ${MAX_PERIODS} periods`);
  }

  const groupBy = list(q.group_by);
  for (const g of groupBy) {
    if (!fieldOk(g)) throw new QueryError('Cannot group by an invalid field name');
    if (g.startsWith('_')) throw new QueryError('Cannot group by internal fields, internal fields start with an underscore');
  }
  const collect = list(q.collect).map((c) => {
    const [field, op = 'list', extra] = c.split(':');
    if (extra !== undefined || !['list', 'sum', 'mean', 'count', 'set'].includes(op)) throw new QueryError('Unknown collection method');
    if (!fieldOk(field)) throw new QueryError('Cannot collect an invalid field name');
    if (field.startsWith('_')) throw new QueryError('Cannot collect internal fields, internal fields start with an underscore');
    if (groupBy.includes(field)) throw new QueryError('Cannot collect by a field that is used for group_by');
    return { field, op: op as Query['collect'][number]['op'] };
  });
  if (collect.length && !groupBy.length && !p) throw new QueryError("collect can be used only with either ['group_by', 'period']");
  const filterBy = list(q.filter_by).map((f) => {
    const i = f.indexOf(':');
    if (i < 0) throw new QueryError('filter_by must be a field name and value separated by a colon (:) eg. authority:Westminster');
    const field = f.slice(0, i);
    if (!fieldOk(field)) throw new QueryError('Cannot filter by an invalid field name');
    return { field, value: f.slice(i + 1) };
  });
  let sortBy: Query['sortBy'] = null;
  const sort = single(q, 'sort_by');
  if (sort !== undefined) {
    const m = /^(.+):(ascending|descending)$/.exec(sort);
    if (!m) throw new QueryError('sort_by must be a field name and sort direction separated by a colon (:) eg. authority:ascending');
    if (!fieldOk(m[1])) throw new QueryError('Cannot sort by an invalid field name');
    if (p && !groupBy.length)
      throw new QueryError('Cannot sort for period queries without group_by. Period queries are always sorted by time.');
    sortBy = { field: m[1], desc: m[2] === 'descending' };
  }
  const limitRaw = single(q, 'limit');
  if (limitRaw !== undefined && !/^\d{1,7}$/.test(limitRaw)) throw new QueryError('limit must be a positive integer');
  const flattenRaw = single(q, 'flatten');
  if (flattenRaw !== undefined && flattenRaw !== 'true' && flattenRaw !== 'false') throw new QueryError('flatten must be true or false');
  return {
    startAt,
    endAt,
    period: p,
    groupBy,
    collect,
    filterBy,
    sortBy,
    limit: limitRaw === undefined ? null : Number(limitRaw),
    flatten: flattenRaw === 'true',
  };
}

/** Backdrop's time format: 2013-01-28T00:00:00+00:00. */
export const bdTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

function matches(v: unknown, want: string): boolean {
  if (typeof v === 'boolean') return String(v) === want;
  if (typeof v === 'number') return want.trim() !== '' && Number(want) === v;
  if (v === null) return want === 'null';
  return String(v) === want;
}

function collected(rows: Row[], c: Query['collect'][number]): Value | Value[] {
  const values = rows.map((r) => r[c.field]).filter((v) => v !== undefined) as Value[];
  if (c.op === 'list') return values;
  if (c.op === 'set') return [...new Set(values)];
  if (c.op === 'count') return values.length;
  const nums = values.filter((v) => v !== null);
  if (nums.some((v) => typeof v !== 'number')) throw new QueryError('invalid collect function');
  const sum = (nums as number[]).reduce((a, b) => a + b, 0);
  if (c.op === 'sum') return sum;
  return nums.length ? sum / nums.length : null;
}
const collectKey = (c: Query['collect'][number]) => (c.op === 'list' ? c.field : `${c.field}:${c.op}`);

function aggregate(rows: Row[], q: Query): Record<string, unknown> {
  const out: Record<string, unknown> = { _count: rows.length };
  for (const c of q.collect) out[collectKey(c)] = collected(rows, c);
  return out;
}

function periods(rows: Row[], q: Query): Array<Record<string, unknown>> {
  const p = q.period!;
  const buckets = new Map<number, Row[]>();
  for (const r of rows) {
    if (!r._timestamp) continue;
    const s = periodStart(new Date(r._timestamp), p).getTime();
    if (!buckets.has(s)) buckets.set(s, []);
    buckets.get(s)!.push(r);
  }
  let starts = [...buckets.keys()].sort((a, b) => a - b);
  if (q.startAt && q.endAt) {
    starts = [];
    for (let d = periodStart(q.startAt, p); d < q.endAt; d = addPeriods(d, p, 1)) starts.push(d.getTime());
  }
  return starts.map((s) => {
    const start = new Date(s);
    return { _start_at: bdTime(start), _end_at: bdTime(addPeriods(start, p, 1)), ...aggregate(buckets.get(s) ?? [], q) };
  });
}

function sortRows(rows: Array<Record<string, unknown>>, by: Query['sortBy']) {
  if (!by) return rows;
  const cmp = (a: unknown, b: unknown) => {
    if (a === b) return 0;
    if (a === undefined || a === null) return 1;
    if (b === undefined || b === null) return -1;
    return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
  };
  return [...rows].sort((x, y) => (by.desc ? -1 : 1) * cmp(x[by.field], y[by.field]));
}

/** Answers a parsed query over records already limited to [startAt, endAt). */
export function answer(records: Row[], q: Query): Array<Record<string, unknown>> {
  const rows = records.filter((r) => q.filterBy.every((f) => matches(r[f.field], f.value)));
  let data: Array<Record<string, unknown>>;
  if (!q.groupBy.length && !q.period) data = sortRows(rows, q.sortBy);
  else if (!q.groupBy.length) data = periods(rows, q);
  else {
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      if (q.groupBy.some((g) => r[g] === undefined)) continue;
      const k = JSON.stringify(q.groupBy.map((g) => r[g]));
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(r);
    }
    data = [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, rs]) => {
        const values = JSON.parse(k) as Value[];
        const head = Object.fromEntries(q.groupBy.map((g, i) => [g, values[i]]));
        return q.period ? { ...head, ...aggregate(rs, q), values: periods(rs, q) } : { ...head, ...aggregate(rs, q) };
      });
    data = sortRows(data, q.sortBy);
    if (q.period && q.flatten) {
      data = data.flatMap((g) =>
        (g.values as Array<Record<string, unknown>>).map((v) => ({ ...Object.fromEntries(q.groupBy.map((f) => [f, g[f]])), ...v })),
      );
    }
  }
  return q.limit === null ? data : data.slice(0, q.limit);
}
