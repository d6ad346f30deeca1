// Load and start-up benchmarks (`npm run bench`, `npm run bench -- --quick`; not part of npm test).
// Throughput is reported as a ratio against a bare Fastify route serving the same bytes in the
// same process and run, so the figures mean the same on a fast or a slow machine: the ratio is
// what Cityscape's own work (routing plugins, database, templates) costs. Also cold start and
// resident memory of `cityscape start`. Flags: --quick (~1 s runs), --profile (an extra run of
// the service page under the CPU profiler: top functions by self time, and a .cpuprofile),
// --no-postgres, --no-cold-start.
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { report, run, type Check } from './lib.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const PROFILE = args.has('--profile');
const DURATION = QUICK ? 1 : 5; // seconds per measurement
// Each measurement is split into slices, alternating bare and Cityscape (ABBA…), so a change in
// what else the machine is doing falls on both sides alike instead of on whichever ran second.
const SLICES = QUICK ? 2 : 5;
const WARMUP_REQUESTS = QUICK ? 300 : 1500;
const CONNECTIONS = 10;
const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const ROUTES = [
  { key: 'service_page', title: 'service page', path: '/services/apply-for-a-blue-badge', target: 0.2 },
  { key: 'catalogue_json', title: 'catalogue JSON', path: '/api/catalogue/v1/services', target: 0.3 },
] as const;
const COLD_START_TARGET_MS = 8000;
const RSS_TARGET_MB = 300;

interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
}
interface Scenario {
  route: string;
  title: string;
  path: string;
  db: 'pglite' | 'postgres';
  bytes: number;
  cityscape: Load;
  bare: Load;
  ratio: number;
  target: number;
  pass: boolean;
  hotspots?: string[];
}
interface ColdStart {
  ms: number | null;
  rssMb: number | null;
  peakRssMb: number | null;
  /** CPU time (user + system, all threads) the server had used by its first page. */
  cpuSeconds?: number;
  /** scripts/build.mjs --force with a new embedded database template: what `npm install` runs. */
  prepareMs?: number;
  pass: boolean;
  skipped?: boolean;
  note?: string;
}

const notes: string[] = [];
const log = (s: string) => process.stderr.write(s + '\n');

/** One autocannon run, its client on a worker thread so it does not share the server's event loop. */
async function load(url: string, opts: { duration?: number; amount?: number } = {}): Promise<Load> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    workers: 1,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? DURATION }),
  });
  const seconds = r.duration > 0 ? r.duration : (opts.duration ?? DURATION);
  return {
    rps: r.requests.total / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    seconds,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

/** Slices of one side put together: req/s over all of them; p50 and p99 the median of the slices'. */
function combine(slices: Load[]): Load {
  const requests = slices.reduce((n, l) => n + l.requests, 0);
  const seconds = slices.reduce((n, l) => n + l.seconds, 0);
  return {
    rps: requests / seconds,
    p50: median(slices.map((l) => l.p50)),
    p99: median(slices.map((l) => l.p99)),
    requests,
    seconds,
    non2xx: slices.reduce((n, l) => n + l.non2xx, 0),
    errors: slices.reduce((n, l) => n + l.errors, 0),
  };
}

/** Bare and Cityscape, each DURATION seconds in all, in alternating slices. */
async function paired(bareUrl: string, cityUrl: string): Promise<{ bare: Load; city: Load }> {
  const bare: Load[] = [];
  const city: Load[] = [];
  const slice = DURATION / SLICES;
  for (let i = 0; i < SLICES; i++) {
    const order =
      i % 2 === 0
        ? ([
            [bare, bareUrl],
            [city, cityUrl],
          ] as const)
        : ([
            [city, cityUrl],
            [bare, bareUrl],
          ] as const);
    for (const [into, url] of order) into.push(await load(url, { duration: slice }));
  }
  return { bare: combine(bare), city: combine(city) };
}

function listenPort(app: { server: { address(): unknown } }): number {
  return (app.server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** CPU profile of this thread (the servers) while `fn` runs: the top functions by self time. */
async function profiled<T>(name: string, fn: () => Promise<T>): Promise<{ result: T; top: string[] }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const result = await fn();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  // For Chrome DevTools (Performance → Load profile) or speedscope.
  const file = join(ROOT, 'bench', 'results', `${name}.cpuprofile`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile));
  notes.push(`CPU profile written to ${file.replace(ROOT + '/', '')}`);
  const self = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    total += t;
    const f = node.callFrame;
    // tsx puts a transpiled file on few lines, so the column is what finds the function.
    const where = f.url ? `${f.url.replace(/^file:\/\//, '').replace(ROOT + '/', '')}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '';
    const name = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFn.set(name, (byFn.get(name) ?? 0) + t);
  }
  const top = [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([name, t]) => `${((100 * t) / (total || 1)).toFixed(1).padStart(5)}%  ${name}`);
  return { result, top };
}

async function startCityscape(databaseUrl: string | undefined): Promise<BuiltApp> {
  const built = await buildApp({
    config: testConfig({ seedDemo: false, logLevel: 'silent', databaseUrl, rateLimitPerMinute: 1_000_000_000 }),
  });
  await built.modules.catalogue.seedDemo!();
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  return built;
}

async function benchDatabase(db: 'pglite' | 'postgres', databaseUrl: string | undefined): Promise<Scenario[]> {
  log(`\n[${db}] building the app with demo data…`);
  const built = await startCityscape(databaseUrl);
  const bare = Fastify({ logger: false });
  try {
    const base = `http://127.0.0.1:${listenPort(built.app)}`;
    // The real responses, once, to serve byte for byte from the bare route.
    const bodies = new Map<string, { body: Buffer; type: string }>();
    for (const r of ROUTES) {
      const res = await fetch(base + r.path);
      if (res.status !== 200) throw new Error(`GET ${r.path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      bodies.set(r.path, {
        body: Buffer.from(await res.arrayBuffer()),
        type: res.headers.get('content-type') ?? 'application/octet-stream',
      });
    }
    for (const r of ROUTES) {
      const { body, type } = bodies.get(r.path)!;
      bare.get(r.path, (_req, reply) => {
        reply.type(type).send(body);
      });
    }
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareBase = `http://127.0.0.1:${listenPort(bare)}`;

    const out: Scenario[] = [];
    for (const r of ROUTES) {
      log(`[${db}] ${r.title}: warming up, then ${DURATION} s bare and ${DURATION} s Cityscape in ${SLICES} alternating slices`);
      await load(bareBase + r.path, { amount: WARMUP_REQUESTS });
      await load(base + r.path, { amount: WARMUP_REQUESTS });
      const { bare: bareLoad, city: cityLoad } = await paired(bareBase + r.path, base + r.path);
      let hotspots: string[] | undefined;
      if (PROFILE && r.key === 'service_page') {
        // A separate run under the profiler, so its overhead stays out of the figures above.
        hotspots = (await profiled(`${db}-${r.key}`, () => load(base + r.path))).top;
      }
      for (const [who, l] of [
        ['Cityscape', cityLoad],
        ['bare', bareLoad],
      ] as const) {
        if (l.non2xx || l.errors) notes.push(`${db} ${r.title}: ${who} had ${l.non2xx} non-2xx responses and ${l.errors} errors/timeouts`);
      }
      const ratio = cityLoad.rps / bareLoad.rps;
      out.push({
        route: r.key,
        title: r.title,
        path: r.path,
        db,
        bytes: bodies.get(r.path)!.body.length,
        cityscape: cityLoad,
        bare: bareLoad,
        ratio,
        target: r.target,
        pass: ratio >= r.target && !cityLoad.non2xx && !cityLoad.errors,
        hotspots,
      });
    }
    return out;
  } finally {
    await bare.close();
    await built.close();
  }
}

/**
 * A newcomer's first `npm start`, on an empty data directory: first what `npm install` prepares
 * (scripts/build.mjs --force: src/ compiled to dist/, and a new initialised embedded database in a
 * folder of its own, so no cache of an earlier run helps), then exactly the `npm start` script
 * from package.json, timed to the first 200 on /, then RSS after idling. Also the CPU time the
 * server had used by its first page, which a busy machine changes far less than the wall clock.
 */
async function coldStart(): Promise<ColdStart> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cityscape-bench-'));
  const templateDir = mkdtempSync(join(tmpdir(), 'cityscape-bench-template-'));
  const port = await freePort();
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CITYSCAPE_TEMPLATE_DIR: join(templateDir, 'pglite'),
    CITYSCAPE_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    SEED_DEMO: 'true',
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  log(`\n[cold start] npm install's preparation: node scripts/build.mjs --force (new embedded database template)`);
  const p0 = performance.now();
  const prep = spawnSync(process.execPath, ['scripts/build.mjs', '--force'], { cwd: ROOT, env, encoding: 'utf8' });
  const prepareMs = performance.now() - p0;
  if (prep.status !== 0) return { ms: null, rssMb: null, peakRssMb: null, pass: false, note: `scripts/build.mjs failed: ${prep.stderr}` };
  log(`[cold start] ${script} (as npm start) (PORT=${port}, empty ${dataDir})`);
  const t0 = performance.now();
  // The script ends in `exec node …`, so the shell becomes the server and child.pid is its pid.
  const child = spawn('sh', ['-c', script], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  let exited: number | null | undefined;
  const exitedP = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const cpuSeconds = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  };
  try {
    let ms: number | null = null;
    let cpu: number | null = null;
    while (performance.now() - t0 < 300_000 && exited === undefined) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          ms = performance.now() - t0;
          cpu = cpuSeconds();
          break;
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (ms === null) {
      const why = exited !== undefined ? `exited with code ${exited}` : 'gave no 200 on / within 300 s';
      return { ms: null, rssMb: null, peakRssMb: null, pass: false, note: `npm start ${why}. stderr: ${stderr.trim().slice(-1500)}` };
    }
    await new Promise((r) => setTimeout(r, 3000));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const rssMb = kb('VmRSS') / 1024;
    const peakRssMb = kb('VmHWM') / 1024;
    return { ms, cpuSeconds: cpu ?? undefined, prepareMs, rssMb, peakRssMb, pass: ms < COLD_START_TARGET_MS && rssMb < RSS_TARGET_MB };
  } finally {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedP;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(templateDir, { recursive: true, force: true });
  }
}

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');
/** autocannon measures latency in whole milliseconds. */
const ms = (n: number) => (n === 0 ? '<1' : fmt(n));
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, ri) => {
      const line = r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

async function main() {
  const started = new Date();
  const [load1] = loadavg();
  if (load1 > 1.5)
    notes.push(
      `the machine was busy when the run started (load average ${load1.toFixed(1)} on ${cpus().length} cores): figures are less reliable`,
    );
  const scenarios: Scenario[] = [];
  scenarios.push(...(await benchDatabase('pglite', undefined)));

  if (args.has('--no-postgres')) {
    notes.push('PostgreSQL skipped (--no-postgres)');
  } else {
    let fresh: Awaited<ReturnType<typeof freshPostgres>> | undefined;
    try {
      fresh = await freshPostgres(PG_BASE);
    } catch (e) {
      notes.push(`PostgreSQL skipped: ${PG_BASE.replace(/\/\/[^@]*@/, '//')} is unreachable (${(e as Error).message})`);
    }
    if (fresh) {
      try {
        scenarios.push(...(await benchDatabase('postgres', fresh.url)));
      } finally {
        await fresh.drop();
      }
    }
  }

  const cold: ColdStart = args.has('--no-cold-start')
    ? { ms: null, rssMb: null, peakRssMb: null, pass: false, skipped: true, note: 'skipped (--no-cold-start)' }
    : await coldStart();
  if (cold.note) notes.push(`cold start: ${cold.note}`);

  const rows: string[][] = [
    ['measurement', 'db', 'req/s', 'p50 ms', 'p99 ms', 'bare req/s', 'bare p50', 'bare p99', 'ratio', 'target', 'result'],
  ];
  for (const s of scenarios) {
    rows.push([
      s.title,
      s.db,
      fmt(s.cityscape.rps),
      ms(s.cityscape.p50),
      ms(s.cityscape.p99),
      fmt(s.bare.rps),
      ms(s.bare.p50),
      ms(s.bare.p99),
      pct(s.ratio),
      `≥ ${pct(s.target).replace('.0', '')}`,
      s.pass ? 'PASS' : 'MISS',
    ]);
  }
  rows.push([
    'cold start to first 200 on /',
    'pglite',
    cold.ms === null ? '—' : `${fmt(cold.ms / 1000, 2)} s`,
    '',
    '',
    '',
    '',
    '',
    '',
    `< ${COLD_START_TARGET_MS / 1000} s`,
    cold.skipped ? 'SKIP' : cold.ms === null ? 'FAIL' : cold.ms < COLD_START_TARGET_MS ? 'PASS' : 'MISS',
  ]);
  rows.push([
    'RSS after 3 s idle (peak)',
    'pglite',
    cold.rssMb === null ? '—' : `${fmt(cold.rssMb)} MB`,
    cold.peakRssMb === null ? '' : `(${fmt(cold.peakRssMb)} MB)`,
    '',
    '',
    '',
    '',
    '',
    `< ${RSS_TARGET_MB} MB`,
    cold.skipped ? 'SKIP' : cold.rssMb === null ? 'FAIL' : cold.rssMb < RSS_TARGET_MB ? 'PASS' : 'MISS',
  ]);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\nCityscape benchmark — ${QUICK ? 'quick, ' : ''}${DURATION} s per measurement (${SLICES} alternating slices), ${CONNECTIONS} connections; node ${process.version}, ${cpus().length} × ${cpu}`,
  );
  console.log('ratio = Cityscape req/s ÷ bare Fastify req/s for the same bytes, measured in this run\n');
  console.log(table(rows));
  for (const s of scenarios) {
    if (s.hotspots) console.log(`\nTop self time, ${s.title} on ${s.db} (server thread):\n${s.hotspots.map((h) => `  ${h}`).join('\n')}`);
  }
  if (cold.prepareMs !== undefined)
    notes.push(
      `npm install's preparation (scripts/build.mjs --force: compile src/ to dist/, initialise a new embedded database template) took ${fmt(cold.prepareMs / 1000, 1)} s; it is not part of the cold start`,
    );
  if (cold.cpuSeconds !== undefined) notes.push(`the server had used ${fmt(cold.cpuSeconds, 1)} s of CPU (all threads) by its first page`);

  const checks: Check[] = [
    ...scenarios.map((s) => ({
      metric: `${s.title} ÷ bare Fastify (${s.db})`,
      figure: `${pct(s.ratio)} (${fmt(s.cityscape.rps)} req/s)`,
      baseline: `bare ${fmt(s.bare.rps)} req/s`,
      target: `≥ ${pct(s.target).replace('.0', '')}`,
      pass: s.pass,
    })),
  ];
  if (!cold.skipped) {
    checks.push({
      metric: 'cold start to first 200 on / (npm start, empty data dir)',
      figure: cold.ms === null ? 'did not start' : `${fmt(cold.ms / 1000, 2)} s`,
      target: `< ${COLD_START_TARGET_MS / 1000} s`,
      pass: cold.ms !== null && cold.ms < COLD_START_TARGET_MS,
    });
    checks.push({
      metric: 'resident memory after 3 s idle',
      figure: cold.rssMb === null ? '—' : `${fmt(cold.rssMb)} MB (peak ${fmt(cold.peakRssMb ?? NaN)} MB)`,
      target: `< ${RSS_TARGET_MB} MB`,
      pass: cold.rssMb !== null && cold.rssMb < RSS_TARGET_MB,
    });
  }
  const code = report('Cityscape (pages, JSON, cold start)', checks, { notes, loadAtStart: load1 });

  const results = {
    date: started.toISOString(),
    node: process.version,
    cpu,
    cores: cpus().length,
    quick: QUICK,
    durationSeconds: DURATION,
    slices: SLICES,
    connections: CONNECTIONS,
    loadAverageAtStart: load1,
    scenarios,
    coldStart: { ...cold, targetMs: COLD_START_TARGET_MS, rssTargetMb: RSS_TARGET_MB },
    notes,
  };
  const file = join(ROOT, 'bench', 'results', 'latest.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nResults written to ${file.replace(ROOT + '/', '')}`);
  return code;
}

run(main);
