// Several Cityscape processes on one PostgreSQL: an event emitted by one is handled
// exactly once across all of them, and a job survives the process working it being killed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { freshPostgres } from './helpers.js';

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
  output: string;
}

function startProcess(databaseUrl: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cityscape-process.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', PORT: '0', CITYSCAPE_DATA_DIR: '/tmp/cityscape-mp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = { child, port: 0, pid: child.pid!, output: '' };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not start:\n${proc.output}`)), 150_000);
    const onData = (d: Buffer) => {
      proc.output += d.toString();
      const m = /READY (\d+) (\d+)/.exec(proc.output);
      if (m && !proc.port) {
        proc.port = Number(m[1]);
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => {
      proc.output += d.toString();
    });
    child.on('exit', (code) => {
      if (!proc.port) {
        clearTimeout(timer);
        reject(new Error(`exited ${code}:\n${proc.output}`));
      }
    });
  });
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
    await until(async () => victim.output.includes('HANGING important'));
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    // Another process takes it over once the dead one's claim expires.
    const rescuer = await startProcess(db.url);
    procs.push(rescuer);
    const row = await until(async () => (await client.query(`SELECT job, pid FROM public.test_jobs WHERE job = 'important'`)).rows[0]);
    expect(row.pid).toBe(rescuer.pid);
  }, 400_000);
});
