// Federation with no central hub: two real Cityscape processes, each with its own database
// and its own exchange node (instances UKA and UK). A consumer on node A calls a service of a
// member on node B: A signs and forwards, B applies its own policy — refusing until B grants
// the right — and both nodes log the same X-Road-Id. Peers are added with the real CLI.
// Then node A is killed (SIGKILL) in the middle of a burst of requests: every release a client
// received is in A's log, and verify-log still finds the tree intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freshPostgres } from './helpers.js';
import { cityscapeArgs, ROOT, startProcess } from './processes.js';
import { freePort } from '../src/modules/identity/testing.js';

const BASE = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
let reachable = true;
try {
  const c = new pg.Client({ connectionString: BASE });
  await c.connect();
  await c.end();
} catch {
  reachable = false;
}
const run = promisify(execFile);

interface Node {
  child: ChildProcess;
  url: string;
  env: Record<string, string>;
  db: { url: string; drop(): Promise<void> };
}

async function startNode(id: string, instance: string): Promise<Node> {
  const port = await freePort();
  const db = await freshPostgres(BASE);
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: db.url,
    CITYSCAPE_DATA_DIR: mkdtempSync(join(tmpdir(), `cs-${id}-`)),
    EXCHANGE_NODE_ID: id,
    EXCHANGE_INSTANCE: instance,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'true',
    WORKERS: 'false',
  } as Record<string, string>;
  const { child } = await startProcess(cityscapeArgs(['start']), env, /is running at/);
  const node: Node = { child, url: env.PUBLIC_URL, env, db };
  return node;
}
const cli = async (node: Node, ...args: string[]) =>
  (await run(process.execPath, cityscapeArgs(args), { cwd: ROOT, env: node.env, timeout: 120_000 })).stdout;
const query = async (node: Node, sql: string, params: unknown[] = []) => {
  const c = new pg.Client({ connectionString: node.db.url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
};

describe.skipIf(!reachable)('two exchange nodes, each with its own database', () => {
  let a: Node;
  let b: Node;
  let key = '';
  const subject = '2c9f8a40-7d61-4b8e-9a52-0f3e6d1c2b7a';
  const ask = (xRoadId: string) =>
    fetch(`${a.url}/r1/UK/GOV/DWP/benefits/entitlement?given_name=Alex&family_name=Morgan&birth_date=1985-03-14`, {
      headers: {
        authorization: `Bearer ${key}`,
        'x-road-client': 'UKA/LA/RIVERSIDE/bluebadge',
        'x-road-id': xRoadId,
        'exchange-purpose': 'dpv:ServiceProvision',
        'exchange-legal-basis': 'public-task:blue-badge',
        'exchange-subject': subject,
      },
    });

  beforeAll(async () => {
    [a, b] = await Promise.all([startNode('node-a', 'UKA'), startNode('node-b', 'UK')]);
    await cli(a, 'exchange', 'peers', 'add', b.url);
    await cli(b, 'exchange', 'peers', 'add', a.url);
    key = (await cli(a, 'keys', 'create', '--service', 'apply-for-a-blue-badge', '--platform', 'exchange', '--type', 'live'))
      .trim()
      .split('\n')
      .pop()!;
  });
  afterAll(async () => {
    for (const n of [a, b]) {
      if (!n) continue;
      if (n.child.exitCode === null && n.child.signalCode === null) {
        const exited = new Promise((r) => n.child.once('exit', r));
        n.child.kill('SIGTERM');
        await exited;
      }
      await n.db.drop();
    }
  });

  it('B refuses what B has not granted, and both nodes log the refusal', async () => {
    const res = await ask('fed-refused-1');
    expect(res.status).toBe(403);
    expect(res.headers.get('x-road-error')).toBe('Server.ServerProxy.AccessDenied');
    expect((await res.json()).message).toContain('UKA/LA/RIVERSIDE/bluebadge');
    const [onA] = await query(a, `SELECT outcome FROM exchange.log_entries WHERE x_road_id = 'fed-refused-1'`);
    const [onB] = await query(b, `SELECT outcome FROM exchange.log_entries WHERE x_road_id = 'fed-refused-1'`);
    expect([onA?.outcome, onB?.outcome]).toEqual(['refused', 'refused']);
  });

  it('once B grants the right, A’s consumer gets B’s data, both logging the same X-Road-Id', async () => {
    const out = await cli(
      b,
      'exchange',
      'rights',
      'grant',
      '--client',
      'UKA/LA/RIVERSIDE/bluebadge',
      '--service',
      'UK/GOV/DWP/benefits/entitlement',
      '--purposes',
      'dpv:ServiceProvision',
      '--attributes',
      'pip_mobility',
      '--bases',
      'public-task:blue-badge',
    );
    expect(out).toContain('Granted');
    const res = await ask('fed-ok-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ matched: true, pip_mobility: 'enhanced' });
    expect(res.headers.get('exchange-log-leaf')).toBeTruthy();
    expect(res.headers.get('exchange-peer-log-leaf')).toBeTruthy();
    const [onA] = await query(a, `SELECT entry FROM exchange.log_entries WHERE x_road_id = 'fed-ok-1'`);
    const [onB] = await query(b, `SELECT entry FROM exchange.log_entries WHERE x_road_id = 'fed-ok-1'`);
    expect(JSON.parse(onA.entry)).toMatchObject({
      node: 'node-a',
      outcome: 'released',
      client: 'UKA/LA/RIVERSIDE/bluebadge',
      service: 'UK/GOV/DWP/benefits/entitlement',
      attributes: ['pip_mobility'],
    });
    expect(JSON.parse(onB.entry)).toMatchObject({ node: 'node-b', outcome: 'released', client: 'UKA/LA/RIVERSIDE/bluebadge', subject });
    // B's receipt is provable on B.
    const sth = await (await fetch(`${b.url}/exchange/log/sth`)).json();
    const proof = await fetch(
      `${b.url}/exchange/log/proof/inclusion?leaf_hash=${encodeURIComponent(res.headers.get('exchange-peer-log-leaf')!)}&tree_size=${sth.tree_size}`,
    );
    expect(proof.status).toBe(200);
  });

  it('B refuses a request that did not come signed from its peer', async () => {
    const res = await fetch(`${b.url}/r1/UK/GOV/DWP/benefits/entitlement?given_name=Alex&family_name=Morgan&birth_date=1985-03-14`, {
      headers: {
        'x-road-client': 'UKA/LA/RIVERSIDE/bluebadge',
        'exchange-purpose': 'dpv:ServiceProvision',
        'exchange-legal-basis': 'public-task:blue-badge',
        'exchange-subject': subject,
      },
    });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('enhanced');
  });

  it('a killed process never leaves a release unlogged', async () => {
    const received: string[] = [];
    let n = 0;
    const fire = async () => {
      for (;;) {
        const id = `crash-${n++}`;
        try {
          const res = await fetch(`${a.url}/r1/UKA/GOV/DWP/benefits/entitlement?given_name=Alex&family_name=Morgan&birth_date=1985-03-14`, {
            headers: {
              authorization: `Bearer ${key}`,
              'x-road-client': 'UKA/LA/RIVERSIDE/bluebadge',
              'x-road-id': id,
              'exchange-purpose': 'dpv:ServiceProvision',
              'exchange-legal-basis': 'public-task:blue-badge',
              'exchange-subject': subject,
            },
          });
          const body = await res.text();
          if (res.status === 200 && body.includes('enhanced')) received.push(id);
        } catch {
          return; // the process is gone
        }
      }
    };
    const workers = Array.from({ length: 16 }, fire);
    await new Promise((r) => setTimeout(r, 1500));
    a.child.kill('SIGKILL');
    await Promise.all(workers);
    expect(received.length).toBeGreaterThan(0);
    const logged = new Set(
      (await query(a, `SELECT x_road_id FROM exchange.log_entries WHERE outcome = 'released' AND x_road_id LIKE 'crash-%'`)).map(
        (r) => r.x_road_id,
      ),
    );
    expect(received.filter((id) => !logged.has(id))).toEqual([]);
    const verified = await cli(a, 'exchange', 'verify-log');
    expect(verified).toContain('The access log is intact');
  });
});
