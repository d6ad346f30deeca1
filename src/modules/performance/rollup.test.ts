// Rollup increments (the hot path of ingestion) against a plain recount of the same rows, and
// input cleaning's fast path against its careful one.
import { describe, expect, it } from 'vitest';
import { increments, MINUTE_ROLLUPS_KEPT_MS } from './rollup.js';
import { cleanText, type Measurement } from './measure.js';

const S = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];

function naive(rows: Measurement[], now: number) {
  const out: Record<string, Record<string, { n: number; total: number }>> = { minute: {}, hour: {}, day: {} };
  const size = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
  const add = (grain: keyof typeof size, s: string, type: string, dim: string, at: number, v: number) => {
    const k = `${s}|${type}|${dim}|${new Date(Math.floor(at / size[grain]) * size[grain]).toISOString()}`;
    const had = (out[grain][k] ??= { n: 0, total: 0 });
    had.n++;
    had.total += v;
  };
  for (const m of rows) {
    for (const grain of ['minute', 'hour', 'day'] as const) {
      if (grain === 'minute' && m.at.getTime() < now - MINUTE_ROLLUPS_KEPT_MS) continue;
      add(grain, m.serviceId, m.type, '', m.at.getTime(), m.value ?? 0);
      if (m.dim) add(grain, m.serviceId, m.type, m.dim, m.at.getTime(), m.value ?? 0);
    }
    for (const name of m.type === 'page.view' ? ['referrer', 'device'] : []) {
      const v = m.props?.[name];
      if (v !== undefined && v !== '') add('day', m.serviceId, `page.view.${name}`, String(v), m.at.getTime(), m.value ?? 0);
    }
  }
  return out;
}

describe('rollup increments', () => {
  it('match a plain recount: per grain, total and breakdowns, old rows without minutes, sorted by key', () => {
    const now = Date.parse('2024-06-10T12:34:56Z');
    const types = ['payments.card_payment_succeeded', 'notify.delivered', 'page.view'];
    let seed = 7;
    const r = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const rows: Measurement[] = Array.from({ length: 3000 }, (_, i) => ({
      serviceId: S[i % 2],
      type: types[i % 3],
      at: new Date(now - Math.floor(r() * 4 * 86_400_000)),
      dim: i % 3 === 1 ? (i % 2 ? 'sms' : 'email') : '',
      key: null,
      value: i % 3 === 0 ? 100 + (i % 7) : null,
      props: i % 3 === 2 ? { referrer: i % 5 ? 'www.gov.uk' : '', device: i % 2 ? 'mobile' : 'desktop' } : null,
    }));
    const inc = increments(rows, now);
    const expected = naive(rows, now);
    for (const grain of ['minute', 'hour', 'day'] as const) {
      const got = Object.fromEntries(
        inc[grain].map((x) => [`${x.serviceId}|${x.type}|${x.dim}|${x.bucket.toISOString()}`, { n: x.n, total: x.total }]),
      );
      expect(got).toEqual(expected[grain]);
      const keys = inc[grain].map((x) => `${x.serviceId}\u0001${x.type}\u0001${x.dim}\u0001${x.bucket.getTime()}`);
      expect(keys).toEqual([...keys].sort());
    }
    expect(inc.minute.every((x) => x.bucket.getTime() >= now - MINUTE_ROLLUPS_KEPT_MS - 60_000)).toBe(true);
  });

  it('clean text: plain text as is, NUL and lone surrogates removed or replaced, then cut', () => {
    expect(cleanText('www.gov.uk')).toBe('www.gov.uk');
    expect(cleanText(42)).toBe('42');
    expect(cleanText('a\u0000b')).toBe('ab');
    expect(cleanText('x\ud800y')).toBe('x\ufffdy');
    expect(cleanText('ok \ud83d\ude00')).toBe('ok \ud83d\ude00');
    expect(cleanText('abcdef', 3)).toBe('abc');
    expect(cleanText({})).toBeNull();
  });
});
