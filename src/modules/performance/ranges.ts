// Time arithmetic in UTC: rollup buckets, a range split into whole days, whole hours and
// minutes at its edges (so any range is read from at most three small index ranges), and the
// reporting periods (hour, day, week from Monday, month, quarter) with their previous period.
export type Grain = 'minute' | 'hour' | 'day';
export type Period = 'hour' | 'day' | 'week' | 'month' | 'quarter';
export const PERIODS: Period[] = ['hour', 'day', 'week', 'month', 'quarter'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const floorTo = (d: Date, ms: number) => new Date(Math.floor(d.getTime() / ms) * ms);
export const ceilTo = (d: Date, ms: number) => new Date(Math.ceil(d.getTime() / ms) * ms);

export function bucketOf(d: Date, grain: Grain): Date {
  return floorTo(d, grain === 'minute' ? MINUTE : grain === 'hour' ? HOUR : DAY);
}

/**
 * [from, to) as rollup reads: whole days in the middle, whole hours either side, and minutes at
 * the edges. `from` rounds down and `to` up to the minute (so a range ending now includes this
 * minute); edges older than `minuteKeptSince` (when minute rollups are gone) round to the hour.
 */
export function split(from: Date, to: Date, minuteKeptSince: Date): Array<{ grain: Grain; from: Date; to: Date }> {
  let a = floorTo(from, MINUTE);
  let b = ceilTo(to, MINUTE);
  if (a < minuteKeptSince) a = floorTo(a, HOUR);
  if (b < minuteKeptSince) b = ceilTo(b, HOUR);
  if (b <= a) return [];
  const parts: Array<{ grain: Grain; from: Date; to: Date }> = [];
  const add = (grain: Grain, x: Date, y: Date) => {
    if (y > x) parts.push({ grain, from: x, to: y });
  };
  const ha = ceilTo(a, HOUR);
  const hb = floorTo(b, HOUR);
  if (hb <= ha) {
    add('minute', a, b);
    return parts;
  }
  const da = ceilTo(ha, DAY);
  const db = floorTo(hb, DAY);
  add('minute', a, ha);
  if (db > da) {
    add('hour', ha, da);
    add('day', da, db);
    add('hour', db, hb);
  } else add('hour', ha, hb);
  add('minute', hb, b);
  // Adjacent parts of one grain read as one.
  return parts.reduce<typeof parts>((out, p) => {
    const last = out[out.length - 1];
    if (last && last.grain === p.grain && last.to.getTime() === p.from.getTime()) last.to = p.to;
    else out.push({ ...p });
    return out;
  }, []);
}

/** The start of the period containing `d`. */
export function periodStart(d: Date, period: Period): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (period) {
    case 'hour':
      return floorTo(d, HOUR);
    case 'day':
      return floorTo(d, DAY);
    case 'week': {
      const day = floorTo(d, DAY);
      const sinceMonday = (day.getUTCDay() + 6) % 7;
      return new Date(day.getTime() - sinceMonday * DAY);
    }
    case 'month':
      return new Date(Date.UTC(y, m, 1));
    case 'quarter':
      return new Date(Date.UTC(y, m - (m % 3), 1));
  }
}

/** `d` moved by n periods (n may be negative). */
export function addPeriods(d: Date, period: Period, n: number): Date {
  switch (period) {
    case 'hour':
      return new Date(d.getTime() + n * HOUR);
    case 'day':
      return new Date(d.getTime() + n * DAY);
    case 'week':
      return new Date(d.getTime() + 7 * n * DAY);
    case 'month':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()));
    case 'quarter':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 3 * n, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()));
  }
}

/** The current period so far and the whole previous one, for "compared with last week". */
export function currentAndPrevious(period: Period, now = new Date()) {
  const start = periodStart(now, period);
  const prevStart = addPeriods(start, period, -1);
  // The same length of the previous period, so a Tuesday morning compares with last Tuesday morning.
  const elapsed = now.getTime() - start.getTime();
  return {
    current: { from: start, to: now },
    previous: { from: prevStart, to: new Date(Math.min(prevStart.getTime() + elapsed, start.getTime())) },
  };
}

/** The bucket starts of `period` covering [from, to). */
export function periodBuckets(from: Date, to: Date, period: Period, max = 5000): Date[] {
  const out: Date[] = [];
  for (let d = periodStart(from, period); d < to && out.length < max; d = addPeriods(d, period, 1)) out.push(d);
  return out;
}

export const utcDay = (d: Date) => d.toISOString().slice(0, 10);
export const MS = { MINUTE, HOUR, DAY };
