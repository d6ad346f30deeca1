// The Backdrop-compatible write and read API over HTTP: bearer keys per service, Backdrop's
// record rules and 400s (one bad record writes nothing), upsert by _id, private data sets
// invisible to other services, the query language's shapes, and team figures feeding the KPIs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { perfFixture } from './testing.js';
import { datasets } from './backdrop-records.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await t.startWorkers();
});
afterAll(() => t?.close());

const write = (path: string, body: unknown, key?: string, method: 'POST' | 'PUT' = 'POST') =>
  t.app.inject({
    method,
    url: `/performance/data/${path}`,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
const read = (path: string, key?: string) =>
  t.app.inject({ method: 'GET', url: `/performance/data/${path}`, headers: key ? { authorization: `Bearer ${key}` } : {} });

async function makePublic(slug: string, type: string) {
  const ds = (await datasets.get(t.kernel.db, slug, type))!;
  await datasets.setPublic(t.kernel.db, ds.service_id, ds.id, true);
}

describe('write API', () => {
  it('needs the service’s own performance key', async () => {
    const a = await perfFixture(t);
    const b = await perfFixture(t);
    const rec = { _timestamp: '2024-04-01T00:00:00+00:00', channel: 'phone', count: 3 };
    const none = await write(`${a.service.slug}/transactions-by-channel`, rec);
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('bearer');
    expect(none.json()).toEqual({ status: 'error', message: 'Unauthorized: invalid or no token given.' });
    expect((await write(`${a.service.slug}/transactions-by-channel`, rec, 'cs_performance_live_nonsense')).statusCode).toBe(401);
    expect((await write(`${a.service.slug}/transactions-by-channel`, rec, b.key)).statusCode).toBe(401);
    const payKey = (
      await t.modules.catalogue.service.createApiKey({ kind: 'cli' }, { serviceSlug: a.service.slug, platform: 'pay', type: 'live' })
    ).secret;
    expect((await write(`${a.service.slug}/transactions-by-channel`, rec, payKey)).statusCode).toBe(401);
    const ok = await write(`${a.service.slug}/transactions-by-channel`, rec, a.key);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ok' });
  });

  it('takes one object or a list, upserts by _id, and rejects a batch with any bad record', async () => {
    const { service, key } = await perfFixture(t);
    const path = `${service.slug}/volumes`;
    expect(
      (
        await write(
          path,
          [
            { _id: 'w1', _timestamp: '2024-04-01T00:00:00Z', count: 1 },
            { _id: 'w2', _timestamp: '2024-04-08T00:00:00+01:00', count: 2 },
          ],
          key,
        )
      ).statusCode,
    ).toBe(200);
    expect((await write(path, { _id: 'w1', _timestamp: '2024-04-01T00:00:00Z', count: 10 }, key)).statusCode).toBe(200);
    const bad: Array<[unknown, RegExp]> = [
      [{ 'bad key': 1 }, /is not a valid key/],
      [{ nested: { a: 1 } }, /must be a string, number, boolean or null/],
      [{ _timestamp: 'yesterday' }, /_timestamp is not a valid datetime/],
      [{ _timestamp: '2024-04-01T00:00:00' }, /_timestamp is not a valid datetime/], // no time zone
      [{ _id: 'has space' }, /_id is not a valid id/],
      [{ _start_at: '2024-04-01T00:00:00Z' }, /not a recognised internal field/],
      [{ text: 'a\u0000b' }, /NUL/],
      [{ text: '\ud800' }, /not valid Unicode/],
      [{ text: 'x'.repeat(10_001) }, /longer than/],
      ['[1, 2]', /must be a JSON object/],
      ['"just a string"', /JSON object or a list/],
      ['{not json', /JSON/],
    ];
    for (const [body, message] of bad) {
      const res = await write(path, Array.isArray(body) || typeof body === 'string' ? body : [{ _id: 'ok1', count: 5 }, body], key);
      expect(res.statusCode, JSON.stringify(body).slice(0, 50)).toBe(400);
      expect(res.json().status).toBe('error');
      expect(res.json().message).toMatch(message);
    }
    const tooBig = await write(path, '[' + Array.from({ length: 10_001 }, () => '{}').join(',') + ']', key);
    expect(tooBig.statusCode).toBe(400);
    const huge = await write(path, '{"n": 1e400}', key);
    expect(huge.statusCode).toBe(400);
    const got = await read(`${path}?sort_by=count:ascending`, key);
    expect(got.statusCode).toBe(200);
    expect(got.json().data.map((r: any) => [r._id, r.count])).toEqual([
      ['w2', 2],
      ['w1', 10],
    ]); // nothing of the bad batches, w1 replaced
    expect(got.json().data[1]).toMatchObject({ _timestamp: '2024-04-01T00:00:00+00:00', _week_start_at: '2024-04-01T00:00:00+00:00' });
    // PUT [] empties the data set; PUT anything else is not implemented.
    expect((await write(path, [{ a: 1 }], key, 'PUT')).json().message).toBe('Not implemented: you can only pass an empty JSON list');
    expect((await write(path, [], key, 'PUT')).statusCode).toBe(200);
    expect((await read(path, key)).json().data).toEqual([]);
  });
});

describe('read API', () => {
  it('keeps private data sets from everyone but their service, and shares public ones', async () => {
    const a = await perfFixture(t);
    const b = await perfFixture(t);
    await write(`${a.service.slug}/cost`, { _timestamp: '2024-04-01T00:00:00Z', cost: 1000 }, a.key);
    const anon = await read(`${a.service.slug}/cost`);
    expect(anon.statusCode).toBe(404);
    expect(anon.json()).toEqual({ status: 'error', message: 'data_set not found' });
    expect((await read(`${a.service.slug}/cost`, b.key)).statusCode).toBe(404);
    expect((await read(`${a.service.slug}/no-such-type`, a.key)).statusCode).toBe(404);
    const own = await read(`${a.service.slug}/cost`, a.key);
    expect(own.statusCode).toBe(200);
    expect(own.headers['cache-control']).toContain('no-store');
    await makePublic(a.service.slug, 'cost');
    const pub = await read(`${a.service.slug}/cost`);
    expect(pub.statusCode).toBe(200);
    expect(pub.headers['access-control-allow-origin']).toBe('*');
    expect(pub.json().data[0]).toMatchObject({ cost: 1000 });
  });

  it('answers Backdrop’s queries in Backdrop’s shapes', async () => {
    const { service, key } = await perfFixture(t);
    const path = `${service.slug}/transactions-by-channel`;
    const recs = [
      ['2024-04-01T09:00:00Z', 'phone', 10],
      ['2024-04-02T09:00:00Z', 'phone', 5],
      ['2024-04-03T09:00:00Z', 'paper', 7],
      ['2024-04-16T09:00:00Z', 'phone', 1],
    ].map(([ts, channel, count]) => ({ _timestamp: ts, channel, count }));
    await write(path, recs, key);
    const q = async (query: string) => {
      const res = await read(`${path}?${query}`, key);
      return { status: res.statusCode, body: res.json() };
    };
    const weeks = await q('period=week&start_at=2024-04-01T00:00:00Z&end_at=2024-04-22T00:00:00Z&collect=count:sum');
    expect(weeks.body.data).toEqual([
      { _start_at: '2024-04-01T00:00:00+00:00', _end_at: '2024-04-08T00:00:00+00:00', _count: 3, 'count:sum': 22 },
      { _start_at: '2024-04-08T00:00:00+00:00', _end_at: '2024-04-15T00:00:00+00:00', _count: 0, 'count:sum': 0 },
      { _start_at: '2024-04-15T00:00:00+00:00', _end_at: '2024-04-22T00:00:00+00:00', _count: 1, 'count:sum': 1 },
    ]);
    const groups = await q('group_by=channel&collect=count:sum&collect=count:mean&sort_by=_count:descending');
    expect(groups.body.data).toEqual([
      { channel: 'phone', _count: 3, 'count:sum': 16, 'count:mean': 16 / 3 },
      { channel: 'paper', _count: 1, 'count:sum': 7, 'count:mean': 7 },
    ]);
    const both = await q(
      'group_by=channel&period=month&start_at=2024-04-01T00:00:00Z&end_at=2024-05-01T00:00:00Z&collect=count:sum&filter_by=channel:paper',
    );
    expect(both.body.data).toEqual([
      {
        channel: 'paper',
        _count: 1,
        'count:sum': 7,
        values: [{ _start_at: '2024-04-01T00:00:00+00:00', _end_at: '2024-05-01T00:00:00+00:00', _count: 1, 'count:sum': 7 }],
      },
    ]);
    const flat = await q('group_by=channel&period=month&start_at=2024-04-01T00:00:00Z&end_at=2024-05-01T00:00:00Z&flatten=true&limit=1');
    expect(flat.body.data).toEqual([
      { channel: 'paper', _start_at: '2024-04-01T00:00:00+00:00', _end_at: '2024-05-01T00:00:00+00:00', _count: 1 },
    ]);
    const lastTwoDays = await q('period=day&duration=2&end_at=2024-04-03T00:00:00Z');
    expect(lastTwoDays.body.data.map((d: any) => [d._start_at.slice(0, 10), d._count])).toEqual([
      ['2024-04-01', 1],
      ['2024-04-02', 1],
    ]);
    const listed = await q('group_by=channel&collect=count&filter_by=channel:phone');
    expect(listed.body.data[0].count).toEqual([10, 5, 1]);

    for (const [query, message] of [
      ['foo=bar', /unrecognised parameter/],
      ['period=fortnight', /'period' must be one of/],
      ['start_at=yesterday', /start_at is not a valid datetime/],
      ['collect=count:sum', /collect can be used only with/],
      ['group_by=channel&collect=channel:sum', /Cannot collect by a field that is used for group_by/],
      ['group_by=_id', /Cannot group by internal fields/],
      ['group_by=count&collect=channel:sum', /invalid collect function/],
      ['filter_by=channel', /field name and value separated by a colon/],
      ['sort_by=count:sideways', /sort direction/],
      ['period=week&sort_by=count:ascending', /Cannot sort for period queries without group_by/],
      ['limit=-1', /limit must be a positive integer/],
      ['duration=3', /duration can be used only with period/],
      ['period=hour&start_at=1970-01-01T00:00:00Z&end_at=2024-01-01T00:00:00Z', /at most/],
      ['start_at=2024-05-01T00:00:00Z&end_at=2024-04-01T00:00:00Z', /end_at must be after start_at/],
      ['period=day&period=week', /only once/],
    ] as const) {
      const res = await q(query);
      expect(res.status, query).toBe(400);
      expect(res.body.message, query).toMatch(message);
    }
  });
});

describe('team figures in the KPIs', () => {
  it('divides the reported cost by all transactions, and counts digital take-up against offline volumes', async () => {
    const { service, key } = await perfFixture(t);
    const now = new Date();
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    for (const k of ['a', 'b', 'c'])
      await t.modules.performance.record(null, {
        serviceId: service.id,
        type: 'forms.submission.created',
        key: k,
        at: new Date(dayStart.getTime() + 3600_000),
      });
    const ts = dayStart.toISOString();
    await write(
      `${service.slug}/transactions-by-channel`,
      [
        { _timestamp: ts, period: 'day', channel: 'phone', count: 6 },
        { _timestamp: ts, period: 'day', channel: 'digital', count: 999 },
      ],
      key,
    );
    await write(`${service.slug}/cost`, { _timestamp: ts, period: 'day', cost: 450 }, key);
    const k = await t.modules.performance.kpis(service.id, { from: dayStart, to: new Date(dayStart.getTime() + 86_400_000) });
    expect(k.transactions).toBe(9); // 3 online + 6 by phone (the team's own "digital" figure is not added twice)
    expect(k.digitalTakeUp).toBeCloseTo(3 / 9);
    expect(k.costPerTransaction).toBeCloseTo(50);
    // Half of the day: half of its cost and phone calls, pro rata.
    const half = await t.modules.performance.kpis(service.id, { from: dayStart, to: new Date(dayStart.getTime() + 43_200_000) });
    expect(half.transactions).toBeCloseTo(3 + 3);
    expect(half.costPerTransaction).toBeCloseTo(225 / 6);
  });
});
