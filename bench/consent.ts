// Consent benchmark (`npm run bench:consent [-- --quick]`), in one run on PostgreSQL:
// 1. consent.decide, warm, in process: p50 latency (target < 0.5 ms) and decisions per second
//    with 64 in flight (target ≥ 20,000), beside the same question asked of PostgreSQL directly
//    (the query the cache saves), rounds interleaved;
// 2. consent record creation through the HTTP API (POST /consent/service/individual/record/
//    data-agreement/{id}/ with X-ConsentBB-IndividualId, 10 clients in their own process) beside
//    a raw INSERT of the same row through the same driver (10 at a time), rounds interleaved
//    (target ≥ 40%);
// 3. a withdrawal seen by another process (its own pool, LISTEN connection and cache): from the
//    start of the withdrawal here to its first "not allowed" there (target p99 < 1 s).
// Exits non-zero on a miss.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { consentKey } from '../src/modules/consent/testing.js';
import { interleave, load1, report } from './lib.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = 3;
const SECONDS = QUICK ? 1 : 3; // per round and side
const SUBJECTS = QUICK ? 500 : 5000;
const WITHDRAWALS = QUICK ? 20 : 200;
const CLIENTS = 10;
const PURPOSE = 'dpv:ServiceProvision';
const ATTRS = ['dwp/benefits.pip_mobility'];
const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const log = (s: string) => process.stderr.write(s + '\n');
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

interface Setup {
  built: BuiltApp;
  orgId: string;
  serviceId: string;
  agreementId: string;
  revisionId: string;
  revisionHash: string;
}

/** Individuals of the organisation (with accounts: citizens who consented; without: API-only). */
async function individuals(s: Setup, n: number, withAccounts: boolean): Promise<string[]> {
  const { rows } = await s.built.kernel.db.query<{ id: string }>(
    `INSERT INTO consent.individuals (id, organisation_id, account_id, external_id)
     SELECT gen_random_uuid(), $1, CASE WHEN $2 THEN gen_random_uuid() END, 'bench-' || g FROM generate_series(1, $3) g RETURNING id`,
    [s.orgId, withAccounts, n],
  );
  return rows.map((r) => r.id);
}

/** The row the API writes for one individual, as raw values (the API's defaults for the rest). */
function rawRecord(s: Setup, individualId: string) {
  const now = new Date();
  return [
    randomUUID(),
    s.orgId,
    s.agreementId,
    individualId,
    s.serviceId,
    s.revisionId,
    s.revisionHash,
    true,
    'given',
    'unsigned',
    ATTRS.concat(['dwp/benefits.pip_mobility_points', 'dwp/benefits.dla_mobility_rate']),
    now,
    new Date(now.getTime() + 90 * 86400_000),
    'api',
    randomUUID(),
  ];
}
const RAW_INSERT = `INSERT INTO consent.records (id, organisation_id, agreement_id, individual_id, service_id, agreement_revision_id,
  agreement_revision_hash, opt_in, status, state, attributes, given_at, expires_at, via, revision_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;

async function decideBench(s: Setup) {
  const { built } = s;
  const db = built.kernel.db;
  log(`[consent] ${SUBJECTS} citizens with a consent record…`);
  const ids = await individuals(s, SUBJECTS, true);
  for (let i = 0; i < ids.length; i += 1000) {
    await Promise.all(ids.slice(i, i + 1000).map((id) => db.query(RAW_INSERT, rawRecord(s, id))));
  }
  await db.query(
    `UPDATE consent.records r SET account_id = i.account_id FROM consent.individuals i WHERE i.id = r.individual_id AND r.account_id IS NULL`,
  );
  const subjects = (
    await db.query<{ account_id: string }>('SELECT account_id FROM consent.individuals WHERE account_id IS NOT NULL')
  ).rows.map((r) => r.account_id);
  const consent = built.modules.consent;
  const ask = (subject: string) => consent.decide({ subject, consumerServiceId: s.serviceId, purpose: PURPOSE, attributes: ATTRS });
  for (const subject of subjects) if (!(await ask(subject)).allow) throw new Error('decide did not allow a seeded consent');

  const lat: number[] = [];
  let decided = 0;
  let decideSeconds = 0;
  let rawDone = 0;
  let rawSeconds = 0;
  const rawLat: number[] = [];
  let k = 0;
  let n = 0;
  const subjectRound = async () => {
    // Latency: one at a time.
    const endLat = performance.now() + (SECONDS * 1000) / 3;
    while (performance.now() < endLat) {
      const t = performance.now();
      await ask(subjects[k++ % subjects.length]);
      lat.push(performance.now() - t);
    }
    // Throughput: 64 in flight.
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    n = 0;
    while (performance.now() < end) {
      await Promise.all(Array.from({ length: 64 }, () => ask(subjects[k++ % subjects.length])));
      n += 64;
    }
    decided += n;
    decideSeconds += (performance.now() - t0) / 1000;
  };
  const rawRound = async () => {
    // Baseline: the same question asked of PostgreSQL (the query a cache miss runs), 10 at a time.
    const r0 = performance.now();
    const rEnd = r0 + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < rEnd) {
          const t = performance.now();
          await db.query(
            `SELECT r.id, r.service_id, a.dpv_purpose, r.opt_in, r.status, r.attributes, r.expires_at, r.updated_at
               FROM consent.records r JOIN consent.agreements a ON a.id = r.agreement_id
              WHERE r.account_id = $1 AND a.lawful_basis = 'consent' AND a.deleted_at IS NULL`,
            [subjects[k++ % subjects.length]],
          );
          rawLat.push(performance.now() - t);
          rawDone++;
        }
      }),
    );
    const roundRaw = (performance.now() - r0) / 1000;
    rawSeconds += roundRaw;
  };
  // Interleaved (ABBA), so neither side always runs first.
  await interleave(ROUNDS, {
    decide: async (r) => {
      await subjectRound();
      if (r % 2)
        log(
          `[consent]   round ${r + 1}: decide ${Math.round(n / SECONDS)}/s (64 in flight), PostgreSQL ${Math.round(rawDone / rawSeconds)}/s`,
        );
    },
    raw: async (r) => {
      await rawRound();
      if (r % 2 === 0)
        log(
          `[consent]   round ${r + 1}: decide ${Math.round(n / SECONDS)}/s (64 in flight), PostgreSQL ${Math.round(rawDone / rawSeconds)}/s`,
        );
    },
  });
  return {
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    perSec: decided / decideSeconds,
    rawPerSec: rawDone / rawSeconds,
    rawP50: pct(rawLat, 50),
    subjects,
  };
}

const CLIENT = `
const w = JSON.parse(process.env.BENCH_CLIENT);
const autocannon = require(w.autocannon);
let next = 0;
process.on('message', async (m) => {
  if (m.individuals) { w.individuals = m.individuals; next = 0; return process.send({ ok: true }); }
  const cpu = process.cpuUsage(), t0 = performance.now();
  const r = await autocannon({
    url: w.base, connections: m.clients, duration: m.seconds,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, path: w.path,
      headers: { authorization: 'ApiKey ' + w.key, 'x-consentbb-individualid': w.individuals[next++ % w.individuals.length] } }) }],
  });
  const c = process.cpuUsage(cpu);
  process.send({ count: r.requests.total, seconds: r.duration, errors: r.non2xx + r.errors + r.timeouts, p50: r.latency.p50, p99: r.latency.p99,
    cpuShare: (c.user + c.system) / 1000 / (performance.now() - t0) });
});
process.on('disconnect', () => process.exit(0));
`;

function child(script: string[], env: Record<string, string>): { send<T>(m: object): Promise<T>; next<T>(): Promise<T>; stop(): void } {
  const c: ChildProcess = spawn(process.execPath, script, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`child exited with ${code}`));
      c.once('exit', onExit);
      c.once('message', (m) => {
        c.off('exit', onExit);
        resolve(m as T);
      });
    });
  return {
    next,
    send<T>(m: object) {
      const p = next<T>();
      c.send(m);
      return p;
    },
    stop: () => {
      if (c.connected) c.disconnect();
    },
  };
}

async function createBench(s: Setup, key: string) {
  const { built } = s;
  const db = built.kernel.db;
  // Every record is for an individual that has none yet (the agreement allows one record per
  // individual), so each side draws from its own supply of new individuals, topped up before
  // each round to twice what its fastest round so far used (an exhausted supply would reuse one).
  const perSide = QUICK ? 8_000 : 40_000;
  log(`[consent] ${perSide * 2} individuals for record creation (more before a round when needed)…`);
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;
  const client = child(['-e', CLIENT], {
    BENCH_CLIENT: JSON.stringify({
      base,
      key,
      path: `/consent/service/individual/record/data-agreement/${s.agreementId}/`,
      autocannon: createRequire(import.meta.url).resolve('autocannon'),
    }),
  });
  const fresh = async (rate: number, seconds: number) => individuals(s, Math.max(perSide, Math.ceil(rate * seconds * 2)), false);
  let apiRate = 0;
  let forApi: string[] = [];
  const api = async (seconds: number) => {
    forApi = await fresh(apiRate, seconds);
    await client.send({ individuals: forApi }); // each request a new individual
    const r = await client.send<{ count: number; seconds: number; errors: number; p50: number; cpuShare: number }>({
      clients: CLIENTS,
      seconds,
    });
    apiRate = Math.max(apiRate, r.count / r.seconds);
    return r;
  };
  let forRaw: string[] = [];
  let rawRate = 0;
  const raw = async (seconds: number) => {
    forRaw = await fresh(rawRate, seconds);
    let next = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end && next < forRaw.length) {
          await db.query(RAW_INSERT, rawRecord(s, forRaw[next++]));
          n++;
        }
      }),
    );
    if (next >= forRaw.length) throw new Error('the raw side ran out of new individuals: raise the supply');
    const rate = n / ((performance.now() - t0) / 1000);
    rawRate = Math.max(rawRate, rate);
    return rate;
  };
  try {
    log('[consent] warming up…');
    await api(1);
    await raw(1);
    let count = 0;
    let seconds = 0;
    let errors = 0;
    let rawSum = 0;
    let cpu = 0;
    const p50s: number[] = [];
    const rounds = await interleave(ROUNDS, {
      api: () => api(SECONDS),
      raw: () => raw(SECONDS),
    });
    for (let r = 0; r < ROUNDS; r++) {
      const a = rounds.api[r];
      const b = rounds.raw[r];
      count += a.count;
      seconds += a.seconds;
      errors += a.errors;
      rawSum += b;
      cpu += a.cpuShare / ROUNDS;
      p50s.push(a.p50);
      log(`[consent]   round ${r + 1}: API ${Math.round(a.count / a.seconds)} records/s, raw ${Math.round(b)} inserts/s`);
    }
    // The API's row and a raw row differ only in ids and times.
    const { rows } = await db.query<Record<string, unknown>>(
      `(SELECT * FROM consent.records WHERE individual_id = $1) UNION ALL (SELECT * FROM consent.records WHERE individual_id = $2)`,
      [forApi[0], forRaw[0]],
    );
    const skip = ['id', 'individual_id', 'revision_id', 'given_at', 'expires_at', 'created_at', 'updated_at'];
    const differ =
      rows.length === 2
        ? Object.keys(rows[0]).filter((c) => !skip.includes(c) && JSON.stringify(rows[0][c]) !== JSON.stringify(rows[1][c]))
        : ['missing'];
    return { apiPerSec: count / seconds, rawPerSec: rawSum / ROUNDS, errors, p50: Math.max(...p50s), clientCpu: cpu, differ };
  } finally {
    client.stop();
  }
}

async function withdrawalBench(s: Setup, databaseUrl: string, subjects: string[]) {
  const { built } = s;
  const watcher = child(['--import', 'tsx', new URL('./consent-watcher.ts', import.meta.url).pathname], {
    BENCH_WATCHER: JSON.stringify({ databaseUrl, serviceId: s.serviceId, purpose: PURPOSE, attributes: ATTRS }),
  });
  try {
    await watcher.next();
    const decider = built.modules.consent.service.ctx.decider;
    for (let i = 0; i < 100 && decider.peerCount() < 2; i++) await new Promise((r) => setTimeout(r, 100));
    log(`[consent] ${WITHDRAWALS} withdrawals seen by another process (${decider.peerCount()} processes listening)…`);
    const { rows } = await built.kernel.db.query<{ id: string; account_id: string }>(
      'SELECT id, account_id FROM consent.records WHERE account_id = ANY($1::uuid[]) AND opt_in LIMIT $2',
      [subjects, WITHDRAWALS],
    );
    const lat: number[] = [];
    let missed = 0;
    for (const r of rows) {
      const warm = await watcher.send<{ allow: boolean }>({ warm: r.account_id });
      if (!warm.allow) throw new Error('the other process did not allow before the withdrawal');
      await watcher.send({ watch: r.account_id });
      const t0 = performance.timeOrigin + performance.now();
      const seen = watcher.next<{ seenAt: number | null }>();
      await built.modules.consent.service.citizens.change(r.account_id, r.id, { optIn: false });
      const { seenAt } = await seen;
      if (seenAt === null) missed++;
      else lat.push(seenAt - t0);
    }
    return { n: rows.length, p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat), missed };
  } finally {
    watcher.stop();
  }
}

async function main() {
  const loadAtStart = load1();
  const fresh = await freshPostgres(PG_BASE);
  const built = await buildApp({ config: testConfig({ databaseUrl: fresh.url, logLevel: 'silent', rateLimitPerMinute: 1_000_000_000 }) });
  try {
    await built.app.ready();
    await built.modules.catalogue.seedDemo!();
    await built.modules.consent.seedDemo();
    const service = await built.modules.catalogue.service.getService('apply-for-a-blue-badge');
    const { rows } = await built.kernel.db.query<{ id: string; revision_id: string; serialized_hash: string }>(
      `SELECT a.id, a.revision_id, r.serialized_hash FROM consent.agreements a JOIN consent.revisions r ON r.id = a.revision_id WHERE a.service_id = $1`,
      [service.id],
    );
    const s: Setup = {
      built,
      orgId: service.organisation.id,
      serviceId: service.id,
      agreementId: rows[0].id,
      revisionId: rows[0].revision_id,
      revisionHash: rows[0].serialized_hash,
    };
    const key = await consentKey(built, 'apply-for-a-blue-badge');

    const d = await decideBench(s);
    const c = await createBench(s, key);
    const w = await withdrawalBench(s, fresh.url, d.subjects);

    const checks = [
      {
        what: 'decide p50, warm, in process',
        value: `${(d.p50 * 1000).toFixed(1)} µs`,
        baseline: `PostgreSQL query p50 ${d.rawP50.toFixed(2)} ms`,
        ratio: `${(d.rawP50 / d.p50).toFixed(0)}× faster`,
        target: '< 0.5 ms',
        pass: d.p50 < 0.5,
      },
      {
        what: 'decide throughput, 64 in flight',
        value: `${Math.round(d.perSec)}/s`,
        baseline: `PostgreSQL ${Math.round(d.rawPerSec)}/s`,
        ratio: `${(d.perSec / d.rawPerSec).toFixed(1)}×`,
        target: '≥ 20,000/s',
        pass: d.perSec >= 20_000,
      },
      {
        what: 'record creation through HTTP',
        value: `${Math.round(c.apiPerSec)}/s`,
        baseline: `raw INSERT ${Math.round(c.rawPerSec)}/s`,
        ratio: `${((c.apiPerSec / c.rawPerSec) * 100).toFixed(1)}%`,
        target: '≥ 40%',
        pass: c.apiPerSec / c.rawPerSec >= 0.4 && c.errors === 0 && !c.differ.length,
      },
      {
        what: 'withdrawal seen by another process',
        value: `p50 ${w.p50.toFixed(1)} ms, p99 ${w.p99.toFixed(1)} ms`,
        baseline: `${w.n} withdrawals, max ${w.max.toFixed(1)} ms`,
        ratio: '',
        target: 'p99 < 1 s',
        pass: w.p99 < 1000 && w.missed === 0,
      },
    ];
    const notes = [
      `decide p99 ${(d.p99 * 1000).toFixed(1)} µs; the API's p50 ${c.p50} ms with ${CLIENTS} clients; the load client used ${Math.round(c.clientCpu * 100)}% of a CPU on the same machine`,
      ...(c.errors ? [`${c.errors} API errors`] : []),
      ...(c.differ.length ? [`the raw row is not the API's row (${c.differ.join(', ')})`] : []),
      ...(w.missed ? [`${w.missed} withdrawals not seen within 5 s`] : []),
    ];
    return report(
      `Consent (PostgreSQL, ${ROUNDS} interleaved rounds of ${SECONDS} s a side)`,
      checks.map((x) => ({
        metric: x.what,
        figure: x.ratio ? `${x.value} (${x.ratio})` : x.value,
        baseline: x.baseline,
        target: x.target,
        pass: x.pass,
      })),
      { notes, loadAtStart },
    );
  } finally {
    await built.close();
    await fresh.drop();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
