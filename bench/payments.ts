// Payments benchmark (`npx tsx bench/payments.ts [--quick] [--no-postgres]`): on PGlite and
// PostgreSQL, create + get payment pairs per second through the HTTP API (POST /pay/v1/payments
// then GET it, 10 clients), beside a raw INSERT and SELECT of the same row through the same
// driver in the same run; the ratio is what the API costs over the bare database work (target
// ≥ 40%). Then an open-loop 200 creates/s on PostgreSQL for the p99 create latency (target
// < 25 ms). The HTTP client (autocannon, chaining each create to its get) runs in its own process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { createRequire } from 'node:module';
import { payFixture } from '../src/modules/payments/testing.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const DURATION = QUICK ? 2 : 6; // seconds per measurement
const ROUNDS = QUICK ? 2 : 3;
const CLIENTS = 10;
const RATE = 200; // creates per second for the latency run
const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const RATIO_TARGET = 0.4;
const P99_TARGET_MS = 25;
const log = (s: string) => process.stderr.write(s + '\n');

export interface PaymentsResult {
  db: 'pglite' | 'postgres'; apiPairsPerSec: number; rawPairsPerSec: number; ratio: number; pass: boolean;
  apiP50: number; apiP99: number; errors: number; latency?: { rate: number; sent: number; p50: number; p99: number; max: number; errors: number; pass: boolean };
}

const BODY = JSON.stringify({ amount: 14500, reference: 'BENCH-1', description: 'Pay your council tax', return_url: 'https://service.example.gov.uk/completed' });

/** The load client, in its own process: closed loop (create then get) or open loop (creates at a fixed rate). */
const CLIENT = `
const w = JSON.parse(process.env.BENCH_CLIENT);
const headers = { authorization: 'Bearer ' + w.key, 'content-type': 'application/json', accept: 'application/json' };
const lat = []; let done = 0, errors = 0;
async function create() {
  const t0 = performance.now();
  const r = await fetch(w.base + '/pay/v1/payments', { method: 'POST', headers, body: w.body });
  const j = await r.json();
  lat.push(performance.now() - t0);
  if (r.status !== 201) { errors++; return null; }
  return j.payment_id;
}
async function closed() {
  // autocannon (raw sockets, pre-built requests) keeps the client's share of the CPU small.
  const autocannon = require(w.autocannon);
  const r = await autocannon({
    url: w.base, connections: w.clients, duration: w.seconds,
    requests: [
      { method: 'POST', path: '/pay/v1/payments', headers, body: w.body,
        onResponse: (status, body, context) => { context.id = status === 201 ? JSON.parse(body).payment_id : 'missing'; } },
      { method: 'GET', headers, setupRequest: (req, context) => ({ ...req, path: '/pay/v1/payments/' + context.id }) },
    ],
  });
  done = Math.floor(r.requests.total / 2);
  errors = r.non2xx + r.errors + r.timeouts;
  lat.push(r.latency.p50, r.latency.p99);
}
async function open() {
  const total = Math.round(w.rate * w.seconds), gap = 1000 / w.rate, start = performance.now(), inflight = [];
  for (let i = 0; i < total; i++) {
    const wait = start + i * gap - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(create().then((id) => { if (id) done++; }, () => { errors++; }));
  }
  await Promise.all(inflight);
}
(w.mode === 'open' ? open() : closed()).then(() => process.stdout.write(JSON.stringify({ done, errors, lat })));
`;

function runClient(data: Record<string, unknown>): Promise<{ done: number; errors: number; lat: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT], { env: { ...process.env, BENCH_CLIENT: JSON.stringify(data) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load client exited with ${code}`))));
  });
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** The same row the API writes, inserted and read back through the app's own driver (10 at a time). */
async function raw(built: BuiltApp, serviceId: string, seconds: number): Promise<number> {
  const db = built.kernel.db;
  let n = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < end) {
      const id = randomBytes(13).toString('hex'); // 26 characters, like a payment id
      await db.query(`INSERT INTO payments.payments (payment_id, service_id, live, amount, description, reference, return_url, language, gateway)
        VALUES ($1, $2, false, 14500, 'Pay your council tax', 'BENCH-1', 'https://service.example.gov.uk/completed', 'en', 'sandbox')`, [id, serviceId]);
      await db.query('SELECT * FROM payments.payments WHERE payment_id = $1', [id]);
      n++;
    }
  }));
  return n / seconds;
}

async function benchDb(db: 'pglite' | 'postgres', databaseUrl: string | undefined): Promise<PaymentsResult> {
  log(`\n[payments/${db}] building the app…`);
  const config = testConfig({ databaseUrl, logLevel: 'silent', rateLimitPerMinute: 1_000_000_000 });
  config.pay = { ...config.pay, rateLimitPostPerSecond: 1_000_000, rateLimitGetPerSecond: 1_000_000, keyCacheSeconds: 5 };
  const built = await buildApp({ config });
  try {
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;
    const f = await payFixture(built);
    const client = { base, key: f.keys.test, body: BODY, clients: CLIENTS, autocannon: createRequire(import.meta.url).resolve('autocannon') };
    log(`[payments/${db}] warming up…`);
    await runClient({ ...client, mode: 'closed', seconds: 1 });
    await raw(built, f.service.id, 1);
    // Alternate short API and raw windows so that load from elsewhere on the machine falls on both alike.
    log(`[payments/${db}] ${ROUNDS} rounds of create + get through the API (${DURATION / ROUNDS} s) then raw insert + select (${DURATION / ROUNDS} s)`);
    let apiDone = 0; let apiErrors = 0; let rawSum = 0; const apiLat: number[][] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const a = await runClient({ ...client, mode: 'closed', seconds: DURATION / ROUNDS });
      apiDone += a.done; apiErrors += a.errors; apiLat.push(a.lat);
      rawSum += await raw(built, f.service.id, DURATION / ROUNDS);
    }
    const apiRate = apiDone / DURATION;
    const rawRate = rawSum / ROUNDS;
    const result: PaymentsResult = {
      db, apiPairsPerSec: apiRate, rawPairsPerSec: rawRate, ratio: apiRate / rawRate, pass: apiRate / rawRate >= RATIO_TARGET && apiErrors === 0,
      apiP50: Math.max(...apiLat.map((l) => l[0])), apiP99: Math.max(...apiLat.map((l) => l[1])), errors: apiErrors, // autocannon's, over both requests
    };
    if (db === 'postgres') {
      log(`[payments/${db}] open loop: ${RATE} creates/s for ${DURATION} s`);
      const o = await runClient({ ...client, mode: 'open', rate: RATE, seconds: DURATION });
      const p99 = pct(o.lat, 99);
      result.latency = { rate: RATE, sent: o.lat.length, p50: pct(o.lat, 50), p99, max: Math.max(...o.lat), errors: o.errors, pass: p99 < P99_TARGET_MS && o.errors === 0 };
    }
    return result;
  } finally {
    await built.close();
  }
}

export async function benchPayments(opts: { postgres?: boolean } = {}): Promise<{ results: PaymentsResult[]; notes: string[] }> {
  const results: PaymentsResult[] = [];
  const notes: string[] = [];
  results.push(await benchDb('pglite', undefined));
  if (opts.postgres !== false) {
    let fresh: Awaited<ReturnType<typeof freshPostgres>> | undefined;
    try { fresh = await freshPostgres(PG_BASE); } catch (e) { notes.push(`PostgreSQL skipped: unreachable (${(e as Error).message})`); }
    if (fresh) { try { results.push(await benchDb('postgres', fresh.url)); } finally { await fresh.drop(); } }
  }
  return { results, notes };
}

export function paymentsTable(results: PaymentsResult[]): string {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');
  const lines = [
    'measurement                          db        API pairs/s  raw pairs/s   ratio   target  API p50 ms  API p99 ms  result',
    '-----------------------------------  --------  -----------  -----------  ------  -------  ----------  ----------  ------',
  ];
  for (const r of results) {
    lines.push(`${'create + get payment'.padEnd(35)}  ${r.db.padEnd(8)}  ${f(r.apiPairsPerSec).padStart(11)}  ${f(r.rawPairsPerSec).padStart(11)}  ${(f(r.ratio * 100, 1) + '%').padStart(6)}  ${'≥ 40%'.padStart(7)}  ${f(r.apiP50, 1).padStart(10)}  ${f(r.apiP99, 1).padStart(10)}  ${r.pass ? 'PASS' : 'MISS'}`);
  }
  for (const r of results) {
    if (!r.latency) continue;
    const l = r.latency;
    lines.push(`${`create latency at ${l.rate}/s (open loop)`.padEnd(35)}  ${r.db.padEnd(8)}  ${`${l.sent} sent`.padStart(11)}  ${''.padStart(11)}  ${''.padStart(6)}  ${'< 25 ms'.padStart(7)}  ${f(l.p50, 1).padStart(10)}  ${f(l.p99, 1).padStart(10)}  ${l.pass ? 'PASS' : 'MISS'}`);
  }
  return lines.join('\n');
}

async function main() {
  const { results, notes } = await benchPayments({ postgres: !args.has('--no-postgres') });
  console.log(`\nPayments benchmark — ${QUICK ? 'quick, ' : ''}${DURATION} s per measurement, ${CLIENTS} clients; node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`);
  console.log('ratio = (create + get pairs/s through the API) ÷ (raw INSERT + SELECT pairs/s of the same row, same driver), measured in this run\n');
  console.log(paymentsTable(results));
  for (const r of results) if (r.errors || r.latency?.errors) notes.push(`${r.db}: ${r.errors} API errors${r.latency ? `, ${r.latency.errors} in the latency run` : ''}`);
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/payments.ts')) {
  main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
}
