// Notify benchmark (`npx tsx bench/notify.ts [--quick] [--no-postgres] [--no-pglite]`):
// 1. sends accepted per second through the API (POST /notify/v2/notifications/email with a
//    Notify JWT, from a load client in its own process) on PostgreSQL and PGlite, beside a raw
//    INSERT of the same notification row through the same driver in the same run (targets:
//    ≥ 1,500/s on PostgreSQL and ≥ 40% of the raw rate);
// 2. email delivery to a local SMTP sink: messages per second draining a backlog (target ≥ 300/s),
//    and the queue lag (accepted → handed to the relay) p99 at a steady 200 sends/s (target < 2 s);
// 3. memory before and after 100,000 sends (10,000 with --quick): it must not grow without bound.
// Run with `node --expose-gc --import tsx bench/notify.ts` for exact heap figures.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { notifyFixture, smtpSink } from '../src/modules/notify/testing.js';
import { store } from '../src/modules/notify/store.js';
import { fmt, interleave, load1, median, pct, report, run, type Check } from './lib.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const DURATION = QUICK ? 4 : 8; // seconds a side, over ROUNDS interleaved rounds
const ROUNDS = QUICK ? 2 : 4;
const CONNECTIONS = 32;
const BACKLOG = QUICK ? 1500 : 6000;
const LAG_SECONDS = QUICK ? 4 : 10;
const LAG_RATE = 200;
const MEMORY_SENDS = QUICK ? 10_000 : 100_000;
const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const TARGETS = { pgSendsPerSec: 1500, ratio: 0.4, deliveryPerSec: 300, lagP99Ms: 2000 };
const log = (s: string) => process.stderr.write(s + '\n');

export interface NotifyBenchResult {
  db: 'pglite' | 'postgres';
  accept: { apiPerSec: number; rawPerSec: number; ratio: number; p50: number; p99: number; errors: number; pass: boolean };
  delivery: { messages: number; perSec: number; pass: boolean };
  lag: { rate: number; sent: number; p50: number; p99: number; max: number; pass: boolean };
  memory: { sends: number; rssBeforeMb: number; rssAfterMb: number; heapBeforeMb: number; heapAfterMb: number };
}

/** The load client, in its own process: autocannon with a fresh Notify JWT each second. */
const CLIENT = `
const w = JSON.parse(process.env.BENCH_CLIENT);
const { createHmac } = require('node:crypto');
const autocannon = require(w.autocannon);
let token = '', at = 0;
function auth() {
  const now = Math.floor(Date.now() / 1000);
  if (now !== at) {
    at = now;
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = enc({ typ: 'JWT', alg: 'HS256' }), body = enc({ iss: w.serviceId, iat: now });
    token = head + '.' + body + '.' + createHmac('sha256', w.secret).update(head + '.' + body).digest('base64url');
  }
  return 'Bearer ' + token;
}
autocannon({
  url: w.url, connections: w.connections, ...(w.amount ? { amount: w.amount } : { duration: w.duration }),
  requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, headers: { 'content-type': 'application/json', authorization: auth() }, body: w.body }) }],
}, (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify({ requests: r.requests.total, duration: r.duration, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts }));
});
`;

function runClient(
  data: Record<string, unknown>,
): Promise<{ requests: number; duration: number; p50: number; p99: number; non2xx: number; errors: number }> {
  const req = createRequire(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT], {
      env: { ...process.env, BENCH_CLIENT: JSON.stringify({ ...data, autocannon: req.resolve('autocannon') }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load client exited with ${code}`))));
  });
}

const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
const quantile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : 0);
const gc = () => {
  (globalThis as { gc?: () => void }).gc?.();
};

async function app(url: string | undefined, smtpUrl?: string): Promise<BuiltApp> {
  const base = testConfig();
  const config: Config = testConfig({
    // PGlite on disk, as `npm start` runs it (in memory, the 100,000 rows would be resident memory).
    databaseUrl: url,
    dataDir: url ? 'memory://' : mkdtempSync(join(tmpdir(), 'cityscape-bench-notify-')),
    rateLimitPerMinute: 1e9,
    smtpUrl,
    notify: { ...base.notify, rateLimitPerMinute: 1e9, dailyLimits: { email: 1e9, sms: 1e9, letter: 1e9 }, concurrency: 50 },
  });
  const built = await buildApp({ config });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  return built;
}

async function benchDb(db: 'pglite' | 'postgres', url: string | undefined): Promise<NotifyBenchResult> {
  log(`\n== ${db}`);
  const sink = await smtpSink();
  const built = await app(url, sink.url);
  try {
    const fx = await notifyFixture(built);
    const tpl = await built.modules.notify.service.createTemplate(
      fx.service.id,
      { type: 'email', name: 'Bench', subject: 'Your reference ((ref))', body: 'Hello ((name)),\n\nYour reference is ((ref)).' },
      'bench@example.gov.uk',
    );
    const port = (built.app.server.address() as AddressInfo).port;
    const key = fx.keys.live;
    const client = (extra: Record<string, unknown>) =>
      runClient({
        url: `http://127.0.0.1:${port}/notify/v2/notifications/email`,
        serviceId: key.slice(-73, -37),
        secret: key.slice(-36),
        connections: CONNECTIONS,
        body: JSON.stringify({
          template_id: tpl.id,
          email_address: 'someone@example.com',
          personalisation: { name: 'Ada', ref: 'ABC-123' },
          reference: 'bench',
        }),
        ...extra,
      });

    // 1. Sends accepted per second through the API, and a raw insert of the same row through the
    // same driver, in interleaved rounds (ABBA) so load from elsewhere falls on both alike.
    const template = await built.modules.notify.service.template(fx.service.id, tpl.id);
    const row = () => ({
      id: randomUUID(),
      service_id: fx.service.id,
      api_key_id: null,
      key_type: 'live' as const,
      type: 'email' as const,
      template_id: template.id,
      template_version: template.version,
      recipient: 'someone@example.com',
      normalised_to: 'someone@example.com',
      reference: 'bench',
      status: 'raw',
      subject: 'Your reference ABC-123',
      body: 'Hello Ada,\n\nYour reference is ABC-123.',
      address: null,
      postage: null,
      billable_units: 1,
      sender: null,
      one_click_unsubscribe_url: null,
      precompiled: false,
      created_by_name: null,
      simulated: false,
      scheduled_for: null,
    });
    const rawRound = async (seconds: number) => {
      let n = 0;
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (performance.now() < end) {
            await store.insertNotification(built.kernel.db, row());
            n++;
          }
        }),
      );
      return { n, seconds: (performance.now() - t0) / 1000 };
    };
    await client({ amount: 1000 });
    await rawRound(0.5);
    const slice = DURATION / ROUNDS;
    const rounds = await interleave(ROUNDS, {
      api: () => client({ duration: slice }),
      raw: () => rawRound(slice),
    });
    const apis = rounds.api;
    const raws = rounds.raw;
    const api = {
      accepted: apis.reduce((t, r) => t + r.requests - r.non2xx, 0),
      duration: apis.reduce((t, r) => t + r.duration, 0),
      p50: median(apis.map((r) => r.p50)),
      p99: Math.max(...apis.map((r) => r.p99)),
      non2xx: apis.reduce((t, r) => t + r.non2xx, 0),
      errors: apis.reduce((t, r) => t + r.errors, 0),
    };
    const apiPerSec = api.accepted / api.duration;
    const rawPerSec = raws.reduce((t, r) => t + r.n, 0) / raws.reduce((t, r) => t + r.seconds, 0);
    const ratio = apiPerSec / rawPerSec;
    for (let i = 0; i < ROUNDS; i++)
      log(
        `  round ${i + 1}: API ${Math.round((apis[i].requests - apis[i].non2xx) / apis[i].duration)} sends/s, raw INSERT ${Math.round(raws[i].n / raws[i].seconds)} rows/s`,
      );
    log(
      `API: ${Math.round(apiPerSec)} sends/s accepted (p50 ${api.p50} ms, p99 ${api.p99} ms, non-2xx ${api.non2xx}, errors ${api.errors}); raw INSERT ${Math.round(rawPerSec)} rows/s → API is ${(ratio * 100).toFixed(0)}% of raw`,
    );
    await built.kernel.db.query("DELETE FROM notify.notifications WHERE status = 'raw'");

    // 3. Memory before and after many sends (no workers yet: every one is queued).
    gc();
    const before = process.memoryUsage();
    await client({ amount: MEMORY_SENDS });
    gc();
    const after = process.memoryUsage();
    log(
      `memory: rss ${mb(before.rss)} → ${mb(after.rss)} MB, heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB after ${MEMORY_SENDS} sends`,
    );
    // The queued backlog is not part of the delivery runs below.
    await built.kernel.db.query("UPDATE notify.notifications SET status = 'cancelled' WHERE status = 'created'");
    await built.kernel.db.query("DELETE FROM pgboss.job WHERE name = 'notify.deliver'");
    await built.kernel.db.exec('VACUUM ANALYZE notify.notifications');
    await built.kernel.db.exec('VACUUM ANALYZE pgboss.job');

    // 2a. Delivery rate: a backlog drained to the SMTP sink.
    const svc = built.modules.notify.service;
    const ids: string[] = [];
    for (let i = 0; i < BACKLOG; i++)
      ids.push(
        (
          await svc.sendEmail(fx.service.id, {
            templateId: tpl.id,
            to: `r${i}@example.com`,
            personalisation: { name: 'Ada', ref: String(i) },
          })
        ).id,
      );
    const received0 = sink.received.length;
    const t0 = Date.now();
    await built.startWorkers();
    while (sink.received.length - received0 < BACKLOG) await new Promise((r) => setTimeout(r, 50));
    const perSec = BACKLOG / ((Date.now() - t0) / 1000);
    log(`delivery: ${BACKLOG} emails to the SMTP sink at ${Math.round(perSec)}/s`);

    // 2b. Queue lag at a steady rate: accepted → the relay's answer recorded.
    // Open loop: each send starts on schedule, whether or not earlier ones have been answered.
    const pendingSends: Array<Promise<string>> = [];
    const start = Date.now();
    for (let i = 0; i < LAG_RATE * LAG_SECONDS; i++) {
      const wait = start + (i * 1000) / LAG_RATE - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pendingSends.push(
        svc
          .sendEmail(fx.service.id, { templateId: tpl.id, to: `lag${i}@example.com`, personalisation: { name: 'Ada', ref: String(i) } })
          .then((r) => r.id),
      );
    }
    const lagIds = await Promise.all(pendingSends);
    const sentRate = lagIds.length / ((Date.now() - start) / 1000);
    let lags: number[] = [];
    for (;;) {
      const { rows } = await built.kernel.db.query<{ lag: number }>(
        `SELECT extract(epoch FROM (completed_at - created_at)) * 1000 AS lag FROM notify.notifications WHERE id = ANY($1::uuid[]) AND completed_at IS NOT NULL`,
        [lagIds],
      );
      if (rows.length === lagIds.length) {
        lags = rows.map((r) => Number(r.lag)).sort((a, b) => a - b);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const lag = {
      rate: Math.round(sentRate),
      sent: lagIds.length,
      p50: Math.round(quantile(lags, 0.5)),
      p99: Math.round(quantile(lags, 0.99)),
      max: Math.round(lags[lags.length - 1] ?? 0),
      pass: quantile(lags, 0.99) < TARGETS.lagP99Ms && sentRate >= LAG_RATE * 0.9,
    };
    log(`queue lag at ${lag.rate} sends/s: p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms`);

    return {
      db,
      accept: {
        apiPerSec: Math.round(apiPerSec),
        rawPerSec: Math.round(rawPerSec),
        ratio: Math.round(ratio * 100) / 100,
        p50: api.p50,
        p99: api.p99,
        errors: api.errors + api.non2xx,
        pass: ratio >= TARGETS.ratio && (db !== 'postgres' || apiPerSec >= TARGETS.pgSendsPerSec) && api.errors + api.non2xx === 0,
      },
      delivery: { messages: BACKLOG, perSec: Math.round(perSec), pass: perSec >= TARGETS.deliveryPerSec },
      lag,
      memory: {
        sends: MEMORY_SENDS,
        rssBeforeMb: mb(before.rss),
        rssAfterMb: mb(after.rss),
        heapBeforeMb: mb(before.heapUsed),
        heapAfterMb: mb(after.heapUsed),
      },
    };
  } finally {
    await built.close();
    if (!url) rmSync(built.kernel.config.dataDir, { recursive: true, force: true });
    await sink.close();
  }
}

export async function benchNotify(opts: { postgres?: boolean; pglite?: boolean } = {}): Promise<NotifyBenchResult[]> {
  const results: NotifyBenchResult[] = [];
  if (opts.postgres !== false) {
    let fresh: Awaited<ReturnType<typeof freshPostgres>> | undefined;
    try {
      fresh = await freshPostgres(PG_BASE);
    } catch (err) {
      log(`PostgreSQL not reachable at ${PG_BASE}: ${(err as Error).message}; skipped`);
    }
    if (fresh) {
      try {
        results.push(await benchDb('postgres', fresh.url));
      } finally {
        await fresh.drop();
      }
    }
  }
  if (opts.pglite !== false) results.push(await benchDb('pglite', undefined));
  return results;
}

export function notifyChecks(results: NotifyBenchResult[]): Check[] {
  const checks: Check[] = [];
  for (const r of results) {
    checks.push({
      metric: `sends accepted through the API ÷ raw INSERT (${r.db})`,
      figure: `${pct(r.accept.ratio, 0)} (${fmt(r.accept.apiPerSec)}/s)`,
      baseline: `raw INSERT ${fmt(r.accept.rawPerSec)}/s`,
      target: `≥ ${pct(TARGETS.ratio, 0)}${r.db === 'postgres' ? ` and ≥ ${fmt(TARGETS.pgSendsPerSec)}/s` : ''}, no errors`,
      pass: r.accept.pass,
    });
    checks.push({
      metric: `email delivery to an SMTP sink, ${fmt(r.delivery.messages)} backlog (${r.db})`,
      figure: `${fmt(r.delivery.perSec)}/s`,
      target: `≥ ${TARGETS.deliveryPerSec}/s`,
      pass: r.delivery.pass,
    });
    checks.push({
      metric: `queue lag p99 at ${LAG_RATE} sends/s (${r.db})`,
      figure: `${fmt(r.lag.p99)} ms (${r.lag.rate}/s sent)`,
      target: `< ${fmt(TARGETS.lagP99Ms)} ms`,
      pass: r.lag.pass,
    });
  }
  return checks;
}

export function printNotify(results: NotifyBenchResult[], loadAtStart?: number): number {
  const notes = results.map(
    (r) =>
      `${r.db}: memory after ${fmt(r.memory.sends)} sends: rss ${r.memory.rssBeforeMb} → ${r.memory.rssAfterMb} MB, heap ${r.memory.heapBeforeMb} → ${r.memory.heapAfterMb} MB; API p50 ${r.accept.p50} ms, p99 ${r.accept.p99} ms`,
  );
  const code = report('Notify', notifyChecks(results), { notes, loadAtStart });
  console.log(JSON.stringify({ notify: results }));
  return code;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/notify.ts')) {
  run(async () => {
    const loadAtStart = load1();
    return printNotify(await benchNotify({ postgres: !args.has('--no-postgres'), pglite: !args.has('--no-pglite') }), loadAtStart);
  });
}
