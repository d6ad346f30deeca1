// Performance benchmark (`npm run bench:performance [-- --quick]`), in one run on PostgreSQL:
// 1. ingestion: outbox events (payments, notify receipts, feedback, consent — as the platforms
//    append them) turned into measurements by the module's own subscriber (raw rows, minute/hour/
//    day rollups, keyed people, the NOTIFY) in its batches of INGEST_BATCH events a transaction,
//    against a raw multi-row INSERT of the same measurement rows into the same table, as many rows
//    a statement; rounds interleaved (targets ≥ 20,000 events/s and ≥ 40% of the raw insert);
// 2. event → Server-Sent Event on /performance/services/{slug}/live at 200 events/s, each event
//    committed in its own transaction as a payment would be: from the start of its transaction to
//    the first SSE whose figures include it (target p99 < 1 s), from this process and from a second
//    process that ingests nothing and hears of changes only through LISTEN/NOTIFY;
// 3. KPI query (`performance.kpis`, periods from the last hour to 13 weeks) p95 with 10,000,000
//    raw measurements over 13 months (target < 50 ms) against the same with 100,000 (target ≤ 2×),
//    two databases filled by generate_series in SQL (raw rows, then their rollups), queries
//    alternating between them;
// 4. the service page with its performance panel (two months of demo history) against a bare
//    Fastify route serving the same bytes, alternating slices (target ≥ 20%).
// --quick: shorter runs and 500,000 vs 5,000 measurements — a check that it works; its figures
// are not comparable with a full run's. Exits non-zero on a miss.
// BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); BENCH_PORT_BASE: ports
// from there (default: any free port).
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { perfFixture } from '../src/modules/performance/testing.js';
import { fromEvent } from '../src/modules/performance/measure.js';
import { INGEST_BATCH } from '../src/modules/performance/index.js';
import type { Measurement } from '../src/modules/performance/measure.js';
import type { StoredEvent } from '../src/kernel/events.js';
import { report, run } from './lib.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = 3;
const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const PORT_BASE = Number(process.env.BENCH_PORT_BASE || 0);
const port = (i: number) => (PORT_BASE ? PORT_BASE + i : 0);
const INGEST_EVENTS = QUICK ? 20_000 : 100_000; // per round and side
const INGEST_SERVICES = 50;
const SSE_RATE = 200; // events a second
const SSE_SECONDS = QUICK ? 4 : 20;
const KPI_LARGE = QUICK ? 500_000 : 10_000_000;
const KPI_SMALL = QUICK ? 5_000 : 100_000;
const KPI_SERVICES = 100;
const KPI_QUERIES = QUICK ? 100 : 500; // per round and side
const PAGE_SECONDS = QUICK ? 1 : 5; // per side, in slices
const PAGE_SLICES = QUICK ? 2 : 5;
const PAGE = '/services/apply-for-a-blue-badge';
const log = (s: string) => process.stderr.write(s + '\n');
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// 1. Ingestion

/** The SQL that appends `n` events as the platforms do, spread over the services. */
const EVENTS_SQL = `
INSERT INTO kernel.events (stream, type, payload)
SELECT 'bench:' || g, t.type,
  CASE t.type
    WHEN 'payments.card_payment_succeeded' THEN jsonb_build_object('payment_id', md5(g::text), 'service_id', s, 'live', true, 'amount', 1000 + g % 5000)
    WHEN 'payments.card_payment_started' THEN jsonb_build_object('payment_id', md5(g::text), 'service_id', s, 'live', true, 'amount', 1000 + g % 5000)
    WHEN 'notify.notification.status' THEN jsonb_build_object('service_id', s, 'receipts', jsonb_build_array(jsonb_build_object('id', md5(g::text), 'status', CASE WHEN g % 20 = 0 THEN 'permanent-failure' ELSE 'delivered' END, 'notification_type', CASE WHEN g % 3 = 0 THEN 'sms' ELSE 'email' END)))
    WHEN 'catalogue.feedback.received' THEN jsonb_build_object('service_id', s, 'rating', 1 + g % 5)
    ELSE jsonb_build_object('service_id', s, 'record_id', md5(g::text), 'opt_in', true, 'status', 'given')
  END
FROM generate_series(1, $1::int) g,
LATERAL (SELECT ($2::uuid[])[1 + g % cardinality($2::uuid[])] AS s) sv,
LATERAL (SELECT (ARRAY['payments.card_payment_started','payments.card_payment_succeeded','payments.card_payment_succeeded',
                       'notify.notification.status','notify.notification.status','catalogue.feedback.received',
                       'consent.record.given'])[1 + (g * 7919) % 7] AS type) t
ORDER BY g`;

async function ingestBench(built: BuiltApp) {
  const db = built.kernel.db;
  const services = Array.from({ length: INGEST_SERVICES }, () => crypto.randomUUID());
  // Only the performance subscriber: the module's own, with its batch size; drained by hand so
  // each round times exactly the events it added.
  await built.modules.performance.startWorkers!();
  const drain = () => built.kernel.events.drain();
  await drain(); // whatever the demo seed appended
  const raw = async (rows: Measurement[]) => {
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += INGEST_BATCH) {
      const chunk = rows.slice(i, i + INGEST_BATCH);
      const params: unknown[] = [];
      const values = chunk.map((r) => {
        params.push(r.serviceId, r.at.toISOString(), r.type, r.dim, r.key, r.value, r.props ? JSON.stringify(r.props) : null);
        const b = params.length - 7;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
      });
      await db.query(
        `INSERT INTO performance.measurements (service_id, at, type, dim, key, value, props) VALUES ${values.join(', ')}`,
        params,
      );
    }
    return (performance.now() - t0) / 1000;
  };
  let events = 0;
  let subjectSeconds = 0;
  let rawRows = 0;
  let rawSeconds = 0;
  let rowsMade = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const { rows: bounds } = await db.query<{ first: string }>('SELECT coalesce(max(id), 0)::text AS first FROM kernel.events');
    await db.query(EVENTS_SQL, [INGEST_EVENTS, services]);
    await db.query('ANALYZE kernel.events');
    // The raw side's rows: exactly the measurements these events give.
    const { rows: evs } = await db.query<StoredEvent>(
      'SELECT id, stream, type, payload, created_at FROM kernel.events WHERE id > $1 ORDER BY id',
      [bounds[0].first],
    );
    const rows = evs.flatMap(fromEvent);
    const before = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM performance.measurements')).rows[0].n);
    const sides: Array<() => Promise<void>> = [
      async () => {
        const t0 = performance.now();
        await drain();
        subjectSeconds += (performance.now() - t0) / 1000;
        events += evs.length;
      },
      async () => {
        rawSeconds += await raw(rows);
        rawRows += rows.length;
      },
    ];
    if (r % 2) sides.reverse();
    for (const side of sides) await side();
    const after = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM performance.measurements')).rows[0].n);
    rowsMade += after - before - rows.length;
    log(
      `[ingest]   round ${r + 1}: subscriber ${Math.round(events / subjectSeconds)} events/s, raw INSERT ${Math.round(rawRows / rawSeconds)} rows/s`,
    );
  }
  const pending = Number(
    (
      await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM kernel.events e, kernel.subscriptions s
          WHERE s.name = 'performance.measurements' AND (e.tx, e.id) > (s.last_tx, s.last_id)`,
      )
    ).rows[0].n,
  );
  return { perSec: events / subjectSeconds, rawPerSec: rawRows / rawSeconds, events, rowsMade, rawRows, pending };
}

// ---------------------------------------------------------------------------------------------
// 2. Event → SSE

interface Sse {
  close(): void;
  /** Arrival time of each figures event and its transactions figure. */
  seen: Array<{ at: number; transactions: number }>;
}

function openSse(base: string, path: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const seen: Sse['seen'] = [];
    const req = request(base + path, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${path} answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        const at = now();
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) seen.push({ at, transactions: JSON.parse(data.slice(6)).figures.transactions });
        }
      });
      resolve({ seen, close: () => req.destroy() });
    });
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
    });
    req.end();
  });
}

async function sseBench(built: BuiltApp, bases: Array<{ name: string; base: string }>) {
  const db = built.kernel.db;
  const { service } = await perfFixture(built);
  const path = `/performance/services/${service.slug}/live`;
  const streams = await Promise.all(bases.map((b) => openSse(b.base, path)));
  // Both streams show the starting figures (no payments yet) before the first event.
  for (let i = 0; i < 100 && streams.some((s) => !s.seen.length); i++) await sleep(50);
  if (streams.some((s) => !s.seen.length)) throw new Error('a live stream sent no figures');
  await built.kernel.events.start(); // the subscriber, woken by each commit's NOTIFY as in production
  const total = SSE_RATE * SSE_SECONDS;
  const sentAt: number[] = [];
  const interval = 1000 / SSE_RATE;
  const t0 = performance.now();
  let late = 0;
  // Each payment commits on its own, as independent payments do: a slow commit delays only itself.
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else if (wait < -interval) late++;
    sentAt.push(now());
    inFlight.push(
      db.transaction(async (tx) => {
        await built.kernel.events.append(tx, {
          stream: `payments.payment:bench-${i}`,
          type: 'payments.card_payment_succeeded',
          payload: { payment_id: `bench-${i}`, service_id: service.id, live: true, amount: 1250 },
        });
      }),
    );
  }
  await Promise.all(inFlight);
  const rate = total / ((performance.now() - t0) / 1000);
  for (let i = 0; i < 100 && streams.some((s) => (s.seen.at(-1)?.transactions ?? 0) < total); i++) await sleep(50);
  for (const s of streams) s.close();
  await built.kernel.events.stop();
  return bases.map((b, k) => {
    const seen = streams[k].seen;
    const lat: number[] = [];
    let missed = 0;
    let j = 0;
    for (let i = 0; i < total; i++) {
      while (j < seen.length && (seen[j].transactions < i + 1 || seen[j].at < sentAt[i])) j++;
      if (j >= seen.length) missed++;
      else lat.push(seen[j].at - sentAt[i]);
    }
    return {
      name: b.name,
      n: total,
      rate,
      late,
      updates: seen.length,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      max: Math.max(...lat),
      missed,
    };
  });
}

function child(script: string, env: Record<string, string>): { next<T>(): Promise<T>; stop(): void } {
  const c: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    next: <T>() =>
      new Promise<T>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`child exited with ${code}`));
        c.once('exit', onExit);
        c.once('message', (m) => {
          c.off('exit', onExit);
          resolve(m as T);
        });
      }),
    stop: () => {
      if (c.connected) c.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. KPI queries against history

const KPI_TYPES = [
  'forms.started',
  'forms.submission.created',
  'payments.card_payment_started',
  'payments.card_payment_succeeded',
  'satisfaction',
  'page.view',
];

/** A database with `n` raw measurements over the last 13 months and their rollups, filled in SQL. */
async function history(n: number) {
  const fresh = await freshPostgres(PG_BASE);
  const built = await buildApp({ config: testConfig({ databaseUrl: fresh.url, logLevel: 'silent', workers: false }) });
  const db = built.kernel.db;
  const services = Array.from({ length: KPI_SERVICES }, () => crypto.randomUUID());
  const days = 396;
  const t = performance.now();
  for (let back = 0; back <= 14; back++) {
    const d = new Date();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() - back);
    await built.modules.performance.partitions.ensureMonth(d);
  }
  // In slices, so no one statement holds a huge sort or transaction.
  const slice = 1_000_000;
  for (let from = 0; from < n; from += slice) {
    await db.query(
      `INSERT INTO performance.measurements (service_id, at, type, dim, key, value)
       SELECT ($2::uuid[])[1 + g % cardinality($2::uuid[])],
              now() - (random() * $3::float8) * interval '1 day',
              ($4::text[])[1 + (g / cardinality($2::uuid[])) % cardinality($4::text[])],
              '', 'k' || (g % 100000), CASE WHEN (g / cardinality($2::uuid[])) % cardinality($4::text[]) = 4 THEN 1 + g % 5 ELSE NULL END
         FROM generate_series($1::bigint + 1, $1::bigint + $5::bigint) g`,
      [from, services, days, KPI_TYPES, Math.min(slice, n - from)],
    );
  }
  const bucket = (unit: string) => `date_trunc('${unit}', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  for (const [table, unit, where] of [
    ['rollup_day', 'day', 'true'],
    ['rollup_hour', 'hour', 'true'],
    ['rollup_minute', 'minute', "at >= now() - interval '2 days'"],
  ] as const) {
    await db.query(
      `INSERT INTO performance.${table} (service_id, type, dim, bucket, n, total)
       SELECT service_id, type, '', ${bucket(unit)}, count(*), coalesce(sum(value), 0)
         FROM performance.measurements WHERE ${where} GROUP BY 1, 2, 4`,
    );
  }
  // The team's own figures, as the console or Backdrop API writes them: a cost and offline volumes a month.
  await db.query(
    `WITH ds AS (
       INSERT INTO performance.data_sets (service_id, data_group, data_type)
       SELECT s, 'svc-' || i || '-' || t, t FROM unnest($1::uuid[]) WITH ORDINALITY AS u(s, i), unnest(ARRAY['cost','transactions-by-channel']) t
       RETURNING id, service_id, data_type)
     INSERT INTO performance.records (data_set_id, service_id, id, ts, data)
     SELECT ds.id, ds.service_id, 'm' || m, date_trunc('month', now()) - m * interval '1 month',
            CASE ds.data_type WHEN 'cost' THEN jsonb_build_object('period', 'month', 'cost', 15000)
                 ELSE jsonb_build_object('period', 'month', 'channel', 'phone', 'count', 400) END
       FROM ds, generate_series(0, 12) m`,
    [services],
  );
  await db.query('ANALYZE');
  const counts = (
    await db.query<{ raw: string; hour: string; day: string }>(
      `SELECT (SELECT count(*) FROM performance.measurements)::text AS raw, (SELECT count(*) FROM performance.rollup_hour)::text AS hour,
              (SELECT count(*) FROM performance.rollup_day)::text AS day`,
    )
  ).rows[0];
  log(
    `[kpi] ${Number(counts.raw).toLocaleString('en-GB')} measurements (${Number(counts.hour).toLocaleString('en-GB')} hour and ${Number(counts.day).toLocaleString('en-GB')} day rollups) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  return { built, fresh, services, raw: Number(counts.raw) };
}

async function kpiBench() {
  log(`[kpi] filling two databases: ${KPI_SMALL.toLocaleString('en-GB')} and ${KPI_LARGE.toLocaleString('en-GB')} measurements…`);
  const small = await history(KPI_SMALL);
  const large = await history(KPI_LARGE);
  try {
    const periods = [3600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000, 91 * 86_400_000];
    let k = 0;
    const ask = async (h: typeof small, into: number[]) => {
      const service = h.services[k % h.services.length];
      const span = periods[k++ % periods.length];
      const to = new Date();
      const t = performance.now();
      const kpis = await h.built.modules.performance.kpis(service, { from: new Date(to.getTime() - span), to });
      into.push(performance.now() - t);
      if (kpis.costPerTransaction === null && span >= 30 * 86_400_000) throw new Error('the KPI query found no team figures');
    };
    const sLat: number[] = [];
    const lLat: number[] = [];
    for (let i = 0; i < 20; i++) {
      await ask(small, []);
      await ask(large, []);
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < KPI_QUERIES; i++) {
        // Alternate one by one, so both sides see the same machine.
        if (i % 2) {
          await ask(small, sLat);
          await ask(large, lLat);
        } else {
          await ask(large, lLat);
          await ask(small, sLat);
        }
      }
      log(
        `[kpi]   round ${r + 1}: p95 ${pct(lLat, 95).toFixed(2)} ms at ${large.raw.toLocaleString('en-GB')}, ${pct(sLat, 95).toFixed(2)} ms at ${small.raw.toLocaleString('en-GB')}`,
      );
    }
    return {
      large: { p50: pct(lLat, 50), p95: pct(lLat, 95), n: large.raw },
      small: { p50: pct(sLat, 50), p95: pct(sLat, 95), n: small.raw },
    };
  } finally {
    for (const h of [small, large]) {
      await h.built.close();
      await h.fresh.drop();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 4. The service page with the panel against a bare route

async function load(url: string, seconds: number) {
  const r = await autocannon({ url, connections: 10, workers: 1, duration: seconds });
  return {
    requests: r.requests.total,
    seconds: r.duration > 0 ? r.duration : seconds,
    bad: r.non2xx + r.errors + r.timeouts,
    p50: r.latency.p50,
  };
}

async function pageBench(base: string) {
  const res = await fetch(base + PAGE);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${PAGE} answered ${res.status}`);
  if (!body.toString('utf8').includes('/performance/assets/live.js')) throw new Error(`${PAGE} has no performance panel`);
  const bare = Fastify({ logger: false });
  const type = res.headers.get('content-type') ?? 'text/html';
  bare.get(PAGE, (_req, reply) => {
    reply.type(type).send(body);
  });
  await bare.listen({ port: port(1), host: '127.0.0.1' });
  const bareBase = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;
  try {
    await load(bareBase + PAGE, 1);
    await load(base + PAGE, 1);
    const city = { requests: 0, seconds: 0, bad: 0, p50: [] as number[] };
    const plain = { requests: 0, seconds: 0, bad: 0, p50: [] as number[] };
    for (let i = 0; i < PAGE_SLICES; i++) {
      const order =
        i % 2
          ? [
              [city, base],
              [plain, bareBase],
            ]
          : [
              [plain, bareBase],
              [city, base],
            ];
      for (const [into, b] of order as Array<[typeof city, string]>) {
        const l = await load(b + PAGE, PAGE_SECONDS / PAGE_SLICES);
        into.requests += l.requests;
        into.seconds += l.seconds;
        into.bad += l.bad;
        into.p50.push(l.p50);
      }
    }
    return {
      rps: city.requests / city.seconds,
      bareRps: plain.requests / plain.seconds,
      bad: city.bad,
      p50: pct(city.p50, 50),
      bytes: body.length,
    };
  } finally {
    await bare.close();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const load0 = loadavg()[0];
  const fresh = await freshPostgres(PG_BASE);
  const built = await buildApp({
    config: testConfig({ databaseUrl: fresh.url, logLevel: 'silent', rateLimitPerMinute: 1_000_000_000, workers: false }),
  });
  let other: ReturnType<typeof child> | undefined;
  try {
    await built.app.ready();
    await built.modules.catalogue.seedDemo!();
    log('[page] two months of demo history…');
    await built.modules.performance.seedDemo!();
    await built.app.listen({ port: port(0), host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;

    log(`[page] ${PAGE} with its panel against a bare Fastify route, ${PAGE_SLICES} alternating slices…`);
    const p = await pageBench(base);

    log(`[ingest] ${ROUNDS} rounds of ${INGEST_EVENTS.toLocaleString('en-GB')} events, subscriber and raw INSERT alternating…`);
    const ing = await ingestBench(built);

    log('[sse] a second process serving live streams…');
    other = child(new URL('./performance-server.ts', import.meta.url).pathname, {
      BENCH_SERVER: JSON.stringify({ databaseUrl: fresh.url, port: port(2) }),
    });
    const { port: otherPort } = await other.next<{ port: number }>();
    await built.modules.performance.hub.ready();
    log(`[sse] ${SSE_RATE} events/s for ${SSE_SECONDS} s, watched here and in the other process…`);
    const sse = await sseBench(built, [
      { name: 'same process', base },
      { name: 'another process', base: `http://127.0.0.1:${otherPort}` },
    ]);
    other.stop();
    other = undefined;

    const kpi = await kpiBench();

    const f = (n: number) => Math.round(n).toLocaleString('en-GB');
    const checks = [
      {
        what: 'events ingested (subscriber)',
        value: `${f(ing.perSec)}/s`,
        baseline: `raw multi-row INSERT ${f(ing.rawPerSec)} rows/s`,
        ratio: `${((ing.perSec / ing.rawPerSec) * 100).toFixed(1)}%`,
        target: '≥ 20,000/s, ≥ 40%',
        pass: ing.perSec >= 20_000 && ing.perSec / ing.rawPerSec >= 0.4 && ing.pending === 0 && ing.rowsMade === ing.rawRows,
      },
      ...sse.map((s) => ({
        what: `event → SSE, ${s.name}`,
        value: `p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms`,
        baseline: `${f(s.n)} events at ${f(s.rate)}/s, max ${s.max.toFixed(0)} ms`,
        ratio: '',
        target: 'p99 < 1 s',
        pass: s.p99 < 1000 && s.missed === 0,
      })),
      {
        what: `KPI query at ${f(kpi.large.n)}`,
        value: `p95 ${kpi.large.p95.toFixed(2)} ms`,
        baseline: `p95 ${kpi.small.p95.toFixed(2)} ms at ${f(kpi.small.n)}`,
        ratio: `${(kpi.large.p95 / kpi.small.p95).toFixed(2)}×`,
        target: '< 50 ms, ≤ 2×',
        pass: kpi.large.p95 < 50 && kpi.large.p95 <= 2 * kpi.small.p95,
      },
      {
        what: 'service page with the panel',
        value: `${f(p.rps)} req/s`,
        baseline: `bare Fastify ${f(p.bareRps)} req/s`,
        ratio: `${((p.rps / p.bareRps) * 100).toFixed(1)}%`,
        target: '≥ 20%',
        pass: p.rps / p.bareRps >= 0.2 && p.bad === 0,
      },
    ];
    const notes = [
      `ingestion: ${f(ing.events)} events gave ${f(ing.rowsMade)} measurements (raw side ${f(ing.rawRows)} rows), each batch also adding minute/hour/day rollups and the NOTIFY; ${ing.pending} events left unread`,
      ...sse.map(
        (s) =>
          `event → SSE (${s.name}): ${s.updates} updates sent${s.missed ? `, ${s.missed} events never shown` : ''}${s.late ? `, the generator fell behind ${s.late} times` : ''}`,
      ),
      `KPI query p50 ${kpi.large.p50.toFixed(2)} ms at ${f(kpi.large.n)}, ${kpi.small.p50.toFixed(2)} ms at ${f(kpi.small.n)} (periods: last hour, day, 7 days, 30 days, 13 weeks)`,
      `service page: ${f(p.bytes)} bytes, p50 ${p.p50} ms with 10 connections${p.bad ? `, ${p.bad} bad responses` : ''}`,
      `load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} at the end`,
    ];
    return report(
      `Performance (PostgreSQL, ${ROUNDS} interleaved rounds)`,
      checks.map((x) => ({
        metric: x.what,
        figure: x.ratio ? `${x.value} (${x.ratio})` : x.value,
        baseline: x.baseline,
        target: x.target,
        pass: x.pass,
        comparable: !QUICK,
      })),
      { notes, loadAtStart: Math.round(load0 * 100) / 100, notComparable: 'smaller scale and shorter runs: a check that it works' },
    );
  } finally {
    other?.stop();
    await built.close();
    await fresh.drop();
  }
}

run(main);
