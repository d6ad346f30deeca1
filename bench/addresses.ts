// Addresses benchmark (`npx tsx bench/addresses.ts [--quick]`; not part of npm test). On
// PostgreSQL (BENCH_DATABASE_URL, default the local test server), in a fresh database:
// generate N addresses of AddressBase Premium CSV, import them (records/s), then time postcode
// and free-text look-ups through the module's service against a primary-key lookup through the
// same driver (the baseline), find throughput with concurrent callers, and recall@1/@5 on the
// labelled evaluation set. N = 1,000,000 (quick: 100,000); the full run also times find at
// 100,000 and 3,000,000. Targets (issue 6): postcode p50 < 2 ms and p99 < 10 ms; find p95 < 30 ms;
// ≥ 1,000 finds/s; import ≥ 30,000 records/s; recall@1 ≥ 0.95. The machine is shared, so each
// figure carries the load average when it was taken, and find throughput the baseline's
// throughput measured the same way right after it.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { writeAbpCsv } from '../src/modules/addresses/generator-write.js';
import { loadEvalSet } from '../src/modules/addresses/eval.js';
import { filters } from '../src/modules/addresses/service.js';
import { atLeast, below, fmt, interleave, report, run, type Check } from './lib.js';

const msf = (n: number) => `${fmt(n, 2)} ms`;
const perSec = (n: number) => `${fmt(n)}/s`;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const MAIN = QUICK ? 100_000 : 1_000_000;
const EXTRA = QUICK ? [] : [100_000, 3_000_000];
const log = (s: string) => process.stderr.write(s + '\n');
// The machine is shared: every figure is printed with the 1-minute load average when it was taken.
const load = () => Math.round(loadavg()[0] * 100) / 100;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (v: number) => Math.round(v * 1000) / 1000;
async function timed(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await f(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}
const stats = (xs: number[]) => ({ p50: ms(pct(xs, 50)), p95: ms(pct(xs, 95)), p99: ms(pct(xs, 99)) });

interface SizeResult {
  count: number;
  importSeconds?: number;
  records?: number;
  recordsPerSecond?: number;
  importLoad?: number;
  find: ReturnType<typeof stats>;
  findLoad?: number;
}

async function withDataset<T>(
  count: number,
  fn: (built: BuiltApp, info: { records: number; seconds: number; load: number }) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'abp-bench-'));
  const file = join(dir, `AddressBasePremium_FULL_${count}.csv`);
  const db = await freshPostgres(PG_BASE);
  try {
    let t = Date.now();
    await writeAbpCsv(file, { count, seed: 1 });
    log(
      `  generated ${count.toLocaleString()} addresses (${Math.round(statSync(file).size / 1e6)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    const built = await buildApp({ config: testConfig({ databaseUrl: db.url, logLevel: 'silent' }) });
    try {
      t = Date.now();
      let last = 0;
      const loads: number[] = [];
      const r = await built.modules.addresses.importAddresses([file], {
        onProgress: (p) => {
          if (Date.now() - last > 5000) {
            last = Date.now();
            loads.push(load());
            log(
              `    ${p.phase}: ${p.records.toLocaleString()} records, ${p.uprnsDone.toLocaleString()}/${p.uprnsTotal.toLocaleString()} UPRNs indexed`,
            );
          }
        },
      });
      const seconds = (Date.now() - t) / 1000;
      loads.push(load());
      const l = Math.round((loads.reduce((a, b) => a + b, 0) / loads.length) * 100) / 100; // mean over the import
      log(
        `  imported ${r.records.toLocaleString()} records in ${seconds.toFixed(1)} s (${Math.round(r.records / seconds).toLocaleString()} records/s), ${r.places.toLocaleString()} places; load ${l}`,
      );
      return await fn(built, { records: r.records, seconds, load: l });
    } finally {
      await built.close();
    }
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Free-text queries people type: the evaluation set plus addresses sampled from the data. */
async function findQueries(built: BuiltApp, n: number): Promise<string[]> {
  const { rows } = await built.kernel.db.query<{ q: string }>(
    `SELECT doc->>'ADDRESS' AS q FROM addresses.place TABLESAMPLE SYSTEM (1) WHERE dataset = 'DPA' AND lang = 'EN' LIMIT $1`,
    [n],
  );
  const evalQueries = loadEvalSet().map((c) => c.query);
  return [
    ...evalQueries,
    ...rows.map((r, i) =>
      i % 2
        ? r.q
            .toLowerCase()
            .replace(/,/g, '')
            .replace(/ ROAD\b/i, ' rd')
        : r.q.replace(/, [A-Z0-9]+ [0-9][A-Z]{2}$/, ''),
    ),
  ];
}

async function findLatency(built: BuiltApp, queries: string[]) {
  const svc = built.modules.addresses.service;
  const o = { filters: filters(['DPA']), offset: 0, maxresults: 10, outputSrs: 'EPSG:27700' as const, matchprecision: 1 };
  await timed(100, (i) => svc.find(queries[i % queries.length], o)); // warm up
  return timed(Math.min(2000, queries.length * 2), (i) => svc.find(queries[i % queries.length], o));
}

async function main(): Promise<number> {
  const loadAtStart = load();
  const started = Date.now();
  log(
    `Addresses benchmark on PostgreSQL (${QUICK ? 'quick' : 'full'}): ${MAIN.toLocaleString()} addresses${EXTRA.length ? `, find also at ${EXTRA.map((n) => n.toLocaleString()).join(' and ')}` : ''}`,
  );
  const sizes: SizeResult[] = [];
  const main = await withDataset(MAIN, async (built, imp) => {
    const db = built.kernel.db;
    const svc = built.modules.addresses.service;
    const uprns = (await db.query<{ uprn: number }>('SELECT uprn FROM addresses.blpu TABLESAMPLE SYSTEM (2) LIMIT 2000')).rows.map((r) =>
      Number(r.uprn),
    );
    const postcodes = (
      await db.query<{ pc: string }>(
        `SELECT DISTINCT outward || ' ' || inward AS pc FROM addresses.place TABLESAMPLE SYSTEM (2) WHERE outward IS NOT NULL LIMIT 2000`,
      )
    ).rows.map((r) => r.pc);
    const o = { filters: filters(['DPA']), offset: 0, maxresults: 100, outputSrs: 'EPSG:27700' as const };
    await timed(200, (i) => db.query('SELECT * FROM addresses.blpu WHERE uprn = $1', [uprns[i % uprns.length]]));
    const baseline = stats(await timed(3000, (i) => db.query('SELECT * FROM addresses.blpu WHERE uprn = $1', [uprns[i % uprns.length]])));
    const lookupLoad = load();
    await timed(200, (i) => svc.postcode(postcodes[i % postcodes.length], o));
    const postcode = stats(await timed(3000, (i) => svc.postcode(postcodes[i % postcodes.length], o)));
    const queries = await findQueries(built, 1500);
    const find = stats(await findLatency(built, queries));
    const findLoad = load();
    // Throughput: concurrent callers sharing the pool (the way a server's requests do), beside
    // primary-key lookups by as many callers on the same pool, in interleaved rounds (ABBA).
    const callers = 8;
    const slice = QUICK ? 1.5 : 2;
    const rounds = QUICK ? 2 : 4;
    const fo = { ...o, maxresults: 10, matchprecision: 1 };
    let qi = 0;
    const closedLoop = async (one: () => Promise<unknown>) => {
      let done = 0;
      const t0 = performance.now();
      const until = t0 + slice * 1000;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (performance.now() < until) {
            await one();
            done++;
          }
        }),
      );
      return done / ((performance.now() - t0) / 1000);
    };
    const tput = await interleave(rounds, {
      find: () => closedLoop(() => svc.find(queries[qi++ % queries.length], fo)),
      pk: () => closedLoop(() => db.query('SELECT * FROM addresses.blpu WHERE uprn = $1', [uprns[qi++ % uprns.length]])),
    });
    const findsPerSecond = Math.round(tput.find.reduce((x, y) => x + y, 0) / rounds);
    const throughputLoad = load();
    const baselinePerSecond = Math.round(tput.pk.reduce((x, y) => x + y, 0) / rounds);
    // Recall on the labelled set.
    const cases = loadEvalSet();
    let at1 = 0,
      at5 = 0;
    for (const c of cases) {
      const page = await svc.find(c.query, { ...o, maxresults: 5, matchprecision: 1 });
      const got = page.results.map((r: any) => r.DPA.UPRN);
      if (got[0] === c.uprn) at1++;
      if (got.includes(c.uprn)) at5++;
    }
    sizes.push({
      count: MAIN,
      importSeconds: imp.seconds,
      records: imp.records,
      recordsPerSecond: Math.round(imp.records / imp.seconds),
      importLoad: imp.load,
      find,
      findLoad,
    });
    return {
      baseline,
      postcode,
      lookupLoad,
      find,
      findLoad,
      findsPerSecond,
      throughputLoad,
      baselinePerSecond,
      recall1: at1 / cases.length,
      recall5: at5 / cases.length,
      cases: cases.length,
      recordsPerSecond: Math.round(imp.records / imp.seconds),
      importLoad: imp.load,
    };
  });
  for (const n of EXTRA) {
    await withDataset(n, async (built, imp) => {
      const find = stats(await findLatency(built, await findQueries(built, 1500)));
      sizes.push({
        count: n,
        importSeconds: imp.seconds,
        records: imp.records,
        recordsPerSecond: Math.round(imp.records / imp.seconds),
        importLoad: imp.load,
        find,
        findLoad: load(),
      });
    });
  }
  sizes.sort((a, b) => a.count - b.count);
  const checks: Check[] = [
    below('postcode p50', main.postcode.p50, 2, msf, { baseline: `primary-key lookup p50 ${msf(main.baseline.p50)}` }),
    below('postcode p99', main.postcode.p99, 10, msf, { baseline: `primary-key lookup p99 ${msf(main.baseline.p99)}` }),
    below('find p95', main.find.p95, 30, msf),
    atLeast('finds per second, 8 callers', main.findsPerSecond, 1000, perSec, {
      baseline: `primary-key lookups ${perSec(main.baselinePerSecond)}`,
    }),
    atLeast('import, records per second', main.recordsPerSecond, 30000, perSec),
    atLeast('recall@1 on the labelled set', main.recall1, 0.95, (n) => n.toFixed(3)),
  ].map((c) => ({ ...c, metric: `${c.metric} (${MAIN.toLocaleString('en-GB')} addresses)` }));
  const result = { quick: QUICK, addresses: MAIN, ...main, sizes, checks, seconds: Math.round((Date.now() - started) / 1000) };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'addresses.json'), JSON.stringify(result, null, 2) + '\n');
  const line = (s: string) => process.stdout.write(s + '\n');
  line(`\nAddresses at ${MAIN.toLocaleString()} (PostgreSQL; times in ms)`);
  line(
    `  primary-key lookup (baseline)  p50 ${main.baseline.p50}  p95 ${main.baseline.p95}  p99 ${main.baseline.p99}   (load ${main.lookupLoad})`,
  );
  line(`  postcode                       p50 ${main.postcode.p50}  p95 ${main.postcode.p95}  p99 ${main.postcode.p99}`);
  line(`  find                           p50 ${main.find.p50}  p95 ${main.find.p95}  p99 ${main.find.p99}   (load ${main.findLoad})`);
  line(
    `  find throughput                ${main.findsPerSecond.toLocaleString()} finds/s (8 concurrent callers; load ${main.throughputLoad}; baseline ${main.baselinePerSecond.toLocaleString()} primary-key lookups/s)`,
  );
  line(`  import                         ${main.recordsPerSecond.toLocaleString()} records/s (load ${main.importLoad})`);
  line(`  recall@1 ${main.recall1.toFixed(3)}  recall@5 ${main.recall5.toFixed(3)}  (${main.cases} labelled queries)`);
  for (const s of sizes)
    line(
      `  find at ${s.count.toLocaleString().padStart(9)}: p50 ${s.find.p50}  p95 ${s.find.p95}  p99 ${s.find.p99} (load ${s.findLoad})   (import ${s.recordsPerSecond?.toLocaleString()} records/s, load ${s.importLoad})`,
    );
  return report('Addresses (PostgreSQL)', checks, { loadAtStart });
}

run(main);
