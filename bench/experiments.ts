// Experiments benchmark (`npm run bench:experiments [-- --quick]`), in one run on PostgreSQL:
// 1. OFREP evaluations per second through HTTP — single (POST /ofrep/v1/evaluate/flags/{key}) and
//    bulk (POST /ofrep/v1/evaluate/flags) — beside a bare Fastify route returning the same JSON,
//    autocannon against each in alternating rounds (target ≥ 40% of the bare route);
// 2. in-process evaluation (experiments.evaluate) of a flag with fractional targeting: p50 per
//    call (target < 20 µs);
// 3. a flag change → a second OS process on the same database (test/fixtures/cityscape-process.ts,
//    asked over OFREP as a provider would) serves the new variant: p99 (target < 1 s);
// 4. exposure logging for a running experiment, distinct people, written with their outbox
//    events: exposures per second (target ≥ 10,000).
// Exits non-zero on a miss.
import Fastify from 'fastify';
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { startFixtureProcess, stopProcess } from '../test/processes.js';
import { experimentsKey, sampleFlags } from '../src/modules/experiments/testing.js';
import { atLeast, below, fmt, interleave, load1, log, median, percentile, QUICK, ratio, report, run, type Check } from './lib.js';

const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SLUG = 'apply-for-a-blue-badge';
const ROUNDS = QUICK ? 2 : 4;
const SECONDS = QUICK ? 1 : 4;
const CHANGES = QUICK ? 10 : 100;
const EXPOSURES = QUICK ? 5000 : 50_000;

async function cannon(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const r = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    connections: 20,
    duration: SECONDS,
  });
  if (r.non2xx) throw new Error(`${url}: ${r.non2xx} non-2xx answers`);
  return r.requests.average;
}

async function main(): Promise<number> {
  const loadAtStart = load1();
  const db = await freshPostgres(PG_BASE);
  let first: BuiltApp | undefined;
  let other: Awaited<ReturnType<typeof startFixtureProcess>> | undefined;
  const bare = Fastify();
  try {
    first = await buildApp({ config: testConfig({ databaseUrl: db.url, logLevel: 'silent', rateLimitPerMinute: 100_000_000 }) });
    await first.modules.catalogue.seedDemo!();
    await first.app.listen({ port: 3195, host: '127.0.0.1' });
    const key = await experimentsKey(first, SLUG);
    const service = await first.modules.catalogue.service.getService(SLUG);
    const saved = await first.modules.experiments.flags.save(
      'bench',
      { id: service.id, organisationId: service.organisation.id },
      'live',
      sampleFlags(),
      'bench',
    );
    const ctx = { targetingKey: 'user-42', email: 'a@b.gov.uk' };
    const singleBody = JSON.stringify({ context: ctx });
    const singleJson = JSON.stringify(first.modules.experiments.flags.evaluate(service.id, 'live', 'start-button', ctx));
    const bulkRes = await first.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: singleBody,
    });
    const bulkJson = bulkRes.body;
    bare.post('/single', async (_req, reply) => reply.type('application/json').send(singleJson));
    bare.post('/bulk', async (_req, reply) => reply.type('application/json').send(bulkJson));
    await bare.listen({ port: 3196, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(first.app.server.address() as AddressInfo).port}`;
    const auth = { authorization: `Bearer ${key}` };
    log('1. OFREP through HTTP beside a bare Fastify route …');
    const single = await interleave(ROUNDS, {
      ofrep: () => cannon(`${base}/ofrep/v1/evaluate/flags/start-button`, singleBody, auth),
      bare: () => cannon('http://127.0.0.1:3196/single', singleBody, {}),
    });
    const bulk = await interleave(ROUNDS, {
      ofrep: () => cannon(`${base}/ofrep/v1/evaluate/flags`, singleBody, auth),
      bare: () => cannon('http://127.0.0.1:3196/bulk', singleBody, {}),
    });

    log('2. in-process evaluation …');
    const { evaluate } = first.modules.experiments;
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) evaluate('start-button', { targetingKey: `warm-${i}`, serviceId: service.id });
    for (let i = 0; i < (QUICK ? 20_000 : 200_000); i++) {
      const t0 = process.hrtime.bigint();
      evaluate('start-button', { targetingKey: `user-${i}`, serviceId: service.id });
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }

    log('3. a change seen by a second process …');
    // A real second OS process (test/fixtures/cityscape-process.ts: the whole app on the same
    // database, its own pool, LISTEN connection and flag memory), asked over HTTP as a provider would.
    const { sessionSecret, encryptionKey } = first.kernel.config; // the same deployment: it must read what this one sealed
    other = await startFixtureProcess({
      DATABASE_URL: db.url,
      CITYSCAPE_DATA_DIR: '/tmp/cityscape-bench-experiments',
      SESSION_SECRET: sessionSecret,
      ENCRYPTION_KEY: encryptionKey,
    });
    const otherUrl = `http://127.0.0.1:${other.port}/ofrep/v1/evaluate/flags/max-uploads`;
    const servedThere = async () => {
      const res = await fetch(otherUrl, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"context":{"targetingKey":"k"}}',
      });
      if (res.status !== 200) throw new Error(`second process answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { value: unknown }).value;
    };
    await servedThere(); // its key cache and connections warm, as a serving process's are
    const seen: number[] = [];
    let doc = saved.set.document;
    for (let i = 0; i < CHANGES; i++) {
      doc = structuredClone(doc);
      const want = i % 2 ? 'few' : 'many';
      doc.flags['max-uploads'].defaultVariant = want;
      const wantValue = want === 'many' ? 10 : 3;
      const t0 = performance.now();
      await first.modules.experiments.flags.save(
        'bench',
        { id: service.id, organisationId: service.organisation.id },
        'live',
        doc,
        'bench',
      );
      while ((await servedThere()) !== wantValue) {
        if (performance.now() - t0 > 5000) break;
      }
      seen.push(performance.now() - t0);
    }

    log('4. exposure logging …');
    const exp = await first.modules.experiments.experiments.create({ kind: 'cli' }, service.id, 'live', {
      flagKey: 'start-button',
      name: 'bench',
      hypothesis: '',
      controlVariant: 'control',
      primaryMetric: 'completion',
      guardrails: [],
      mde: 0.05,
      baseline: null,
    });
    await first.modules.experiments.experiments.start({ kind: 'cli' }, exp.id, 'bench');
    const t0 = performance.now();
    for (let i = 0; i < EXPOSURES; i++) evaluate('start-button', { targetingKey: `person-${i}`, serviceId: service.id });
    await first.modules.experiments.exposures.flush();
    const exposureSeconds = (performance.now() - t0) / 1000;
    const { rows } = await first.kernel.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM experiments.exposures WHERE experiment_id = $1',
      [exp.id],
    );
    if (rows[0].n !== EXPOSURES) throw new Error(`expected ${EXPOSURES} exposures, found ${rows[0].n}`);

    const rSingle = ratio(median(single.ofrep), median(single.bare));
    const rBulk = ratio(median(bulk.ofrep), median(bulk.bare));
    const checks: Check[] = [
      atLeast('OFREP single evaluation (req/s vs bare route)', rSingle, 0.4, (r) => `${(r * 100).toFixed(1)}%`, {
        figure: `${fmt(median(single.ofrep))}/s = ${(rSingle * 100).toFixed(1)}%`,
        baseline: `${fmt(median(single.bare))}/s bare`,
      }),
      atLeast('OFREP bulk evaluation, 3 flags (req/s vs bare route)', rBulk, 0.4, (r) => `${(r * 100).toFixed(1)}%`, {
        figure: `${fmt(median(bulk.ofrep))}/s = ${(rBulk * 100).toFixed(1)}%`,
        baseline: `${fmt(median(bulk.bare))}/s bare`,
      }),
      below('in-process evaluate, fractional flag: p50', percentile(samples, 50), 20, (n) => `${n.toFixed(2)} µs`),
      below('flag change → a second process serves it: p99', percentile(seen, 99), 1000, (n) => `${n.toFixed(0)} ms`, {
        comparable: !QUICK || undefined,
      }),
      atLeast('exposure logging on PostgreSQL (with outbox events)', EXPOSURES / exposureSeconds, 10_000, (n) => `${fmt(n)}/s`),
    ];
    return report('experiments', checks, {
      loadAtStart,
      notes: [
        `in-process p99 ${percentile(samples, 99).toFixed(2)} µs; change → second process p50 ${percentile(seen, 50).toFixed(0)} ms over ${CHANGES} changes`,
        'the second process is another OS process (test/fixtures/cityscape-process.ts) on the same database, polled over OFREP until it serves the new variant',
      ],
    });
  } finally {
    await bare.close();
    await stopProcess(other?.child);
    await first?.close();
    await db.drop();
  }
}

run(main);
