// Several Cityscape processes on one PostgreSQL: two `cityscape start`s on an empty database
// both come up and seed the demo once between them, an event emitted by one is handled
// exactly once across all of them, and a job survives the process working it being killed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freshPostgres } from './helpers.js';
import { cityscapeArgs, startFixtureProcess, startProcess as spawnReady } from './processes.js';

const BASE = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
let reachable = true;
try {
  const c = new pg.Client({ connectionString: BASE });
  await c.connect();
  await c.end();
} catch {
  reachable = false;
}

interface Proc {
  child: ChildProcess;
  port: number;
  pid: number;
  output(): string;
}

/** The fixture app with a test subscriber and job worker (test/fixtures/cityscape-process.ts). */
async function startProcess(databaseUrl: string): Promise<Proc> {
  const s = await startFixtureProcess({ DATABASE_URL: databaseUrl, CITYSCAPE_DATA_DIR: '/tmp/cityscape-mp' });
  return { child: s.child, port: s.port, pid: s.child.pid!, output: s.output };
}

async function until<T>(fn: () => Promise<T | undefined | false>, ms = 150_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `cityscape start` as a newcomer runs it (the demo seeded at start-up), on any free port. */
async function startCityscape(databaseUrl: string, dataDir: string): Promise<Proc> {
  const s = await spawnReady(
    cityscapeArgs(['start']),
    // One data directory for both, as two processes of one deployment share their secrets.
    { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', CITYSCAPE_DATA_DIR: dataDir },
    /is running at .* \(listening on [^ ]+:(\d+);/,
  );
  return { child: s.child, port: Number(s.ready[1]), pid: s.child.pid!, output: s.output };
}

describe.skipIf(!reachable)('two Cityscape processes started at once on an empty PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let dataDir: string;
  const procs: Proc[] = [];
  beforeAll(async () => {
    db = await freshPostgres(BASE, 'cs_seed');
    dataDir = fs.mkdtempSync(join(os.tmpdir(), 'cs-seed-'));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('both come up, and the demo is seeded once between them', async () => {
    const started = await Promise.allSettled([startCityscape(db.url, dataDir), startCityscape(db.url, dataDir)]);
    for (const s of started) if (s.status === 'fulfilled') procs.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [a, b] = procs;
    for (const p of [a, b]) expect((await fetch(`http://127.0.0.1:${p.port}/health`)).status).toBe(200);

    // Each module's demo was added by exactly one of them; the other found it there.
    const output = a.output() + b.output();
    for (const module of [
      'catalogue',
      'notify',
      'addresses',
      'payments',
      'identity',
      'performance',
      'consent',
      'exchange',
      'registries',
      'engagement',
    ]) {
      expect(output.split(`Seeded the demo ${module}.`).length - 1, `${module} seeded once\n${output}`).toBe(1);
    }

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const dupes = async (table: string, key: string) =>
        (await client.query(`SELECT count(*)::int AS n, count(DISTINCT ${key})::int AS d FROM ${table}`)).rows[0];
      // Nothing twice: each row of the demo is there once.
      for (const [table, key] of [
        ['notify.templates', '(service_id, name)'],
        ['catalogue.decisions', '(service_id, decided_on, decision)'],
        ['catalogue.roadmap_items', '(service_id, title)'],
        ['catalogue.office_holders', '(service_id, name, role)'],
        ['consent.agreements', '(service_id, purpose)'],
        ['exchange.legal_bases', 'title'],
        ['engagement.consultations', 'title'],
      ]) {
        const { n, d } = await dupes(table, key);
        expect(n, table).toBeGreaterThan(0);
        expect(n, `${table}: ${n} rows, ${d} distinct`).toBe(d);
      }
    } finally {
      await client.end();
    }
  }, 600_000);
});

describe.skipIf(!reachable)('two Cityscape processes on one PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let client: pg.Client;
  const procs: Proc[] = [];

  beforeAll(async () => {
    db = await freshPostgres(BASE);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await client?.end();
    await db?.drop();
  });

  it('handles each event exactly once across both processes', async () => {
    const [a, b] = [await startProcess(db.url), await startProcess(db.url)];
    procs.push(a, b);
    try {
      // Feedback submitted through either process emits catalogue.feedback.received.
      await client.query(`INSERT INTO catalogue.organisations (slug, name, kind) VALUES ('org', 'Org', 'local_authority')`);
      await client.query(`INSERT INTO catalogue.services (slug, name, summary, phase, organisation_id)
        SELECT 'svc', 'Service', 'A service', 'live', id FROM catalogue.organisations WHERE slug = 'org'`);
      const total = 40;
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          fetch(`http://127.0.0.1:${(i % 2 ? a : b).port}/api/catalogue/v1/services/svc/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ rating: 1 + (i % 5) }),
          }).then((r) => expect(r.status).toBe(201)),
        ),
      );
      const emitted = (await client.query(`SELECT count(*)::int AS n FROM kernel.events WHERE type = 'catalogue.feedback.received'`))
        .rows[0].n;
      expect(emitted).toBe(total);
      await until(async () => (await client.query('SELECT count(*)::int AS n FROM public.test_handled')).rows[0].n >= total);
      await new Promise((r) => setTimeout(r, 2500)); // let any duplicate show up
      const { rows } = await client.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM public.test_handled');
      expect(rows[0]).toEqual({ n: total, d: total });
    } finally {
      // Stopped even when the test fails, so they cannot take the next test's job.
      for (const p of [a, b]) {
        p.child.kill('SIGKILL');
        await new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)));
      }
    }
  }, 240_000);

  it('a job survives the process working it being killed', async () => {
    const victim = await startProcess(db.url);
    procs.push(victim);
    // Queue through pg-boss's own SQL API shape: send via a third, short-lived connection.
    const { default: PgBoss } = await import('pg-boss');
    const sender = new PgBoss({ connectionString: db.url, supervise: false, schedule: false, migrate: false });
    await sender.start();
    await sender.send('test.survivor', { name: 'important', hangInPid: victim.pid }, { expireInSeconds: 2, retryLimit: 3, retryDelay: 1 });
    await sender.stop({ graceful: false, wait: false });
    await until(async () => victim.output().includes('HANGING important'));
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    // Another process takes it over once the dead one's claim expires.
    const rescuer = await startProcess(db.url);
    procs.push(rescuer);
    const row = await until(async () => (await client.query(`SELECT job, pid FROM public.test_jobs WHERE job = 'important'`)).rows[0]);
    expect(row.pid).toBe(rescuer.pid);
  }, 400_000);
});
