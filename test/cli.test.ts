// The `cityscape` command line as real processes: commands work on their own, beside a
// running server on the same data directory (through its control socket), and never let two
// processes open one embedded database. On PostgreSQL (DATABASE_URL) the same journeys run
// against a fresh database.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { freshPostgres } from './helpers.js';
import { cityscapeArgs } from './processes.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BASE = process.env.DATABASE_URL;
const SLUG = 'pay-a-parking-fine';
/** A demo service the demo gives no API keys (the demo's key traffic is on others: engagement's demo-platforms.ts). */
const KEYLESS = 'apply-for-a-blue-badge';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
interface Server {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net
      .createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      })
      .on('error', reject);
  });
}

let env: Record<string, string | undefined>;
let dataDir: string;
let port: number;
let drop: (() => Promise<void>) | undefined;
const servers: ChildProcess[] = [];
const running = new Set<ChildProcess>(); // every process a test started, until it exits

function spawnCli(args: string[], extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, cityscapeArgs(args), {
    cwd: ROOT,
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function cityscape(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const child = spawnCli(args, extra);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function startServer(serverPort = port, extra: Record<string, string> = {}): Promise<Server> {
  const child = spawnCli(['start'], { PORT: String(serverPort), ...extra });
  servers.push(child);
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${serverPort}/health`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, port: serverPort, output: () => output, exited };
}

const lastLine = (s: string) => s.trimEnd().split('\n').pop()!;
const lockFile = () => join(dataDir, 'cityscape.lock');
const sockFile = () => join(dataDir, 'cityscape.sock');

beforeAll(async () => {
  dataDir = fs.mkdtempSync(join(os.tmpdir(), 'cs-cli-'));
  port = await freePort();
  env = { ...process.env, CITYSCAPE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SEED_DEMO: 'true', PORT: String(port), DATABASE_URL: undefined };
  if (BASE) {
    const fresh = await freshPostgres(BASE);
    env.DATABASE_URL = fresh.url;
    drop = fresh.drop;
  }
});

// A test that failed or timed out leaves its server (or a command) running, holding the data
// directory: stop them here, so the next test finds at most a lock naming a process that is
// gone (which it takes over) instead of failing with "already running".
afterEach(async () => {
  const left = [...running];
  for (const c of left) c.kill('SIGKILL');
  await Promise.all(left.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
});

afterAll(async () => {
  for (const c of servers) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await drop?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('cityscape command line', () => {
  it('prints help, and rejects unknown commands and missing flags with exit code 2', async () => {
    const help = await cityscape(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('cityscape keys create');
    const unknown = await cityscape(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const missing = await cityscape(['keys', 'create', '--platform', 'pay']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs --service SLUG');
  }, 60_000);

  it('prints the route index from the app it opens', async () => {
    const r = await cityscape(['routes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^METHOD\s+PATH\s+MODULE\s+AUTH\s+SCHEMA\n/);
    expect(r.stdout).toMatch(/\nPOST\s+\/pay\/v1\/payments\s+payments\s+Pay API key\s+yes\n/);
    expect(r.stdout).toMatch(/\nGET\s+\/admin\/notify\s+notify\s+staff session\s+no\n/);
    expect(r.stdout).toMatch(/\n\d{3} routes in \d+ modules; \d+ with a schema\.\n$/);
  }, 120_000);

  it('manages the catalogue with no server running', async () => {
    const seeded = await cityscape(['seed-demo']);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain('Seeded the demo catalogue.');
    expect((await cityscape(['seed-demo'])).stdout).toContain('already has data');

    // Two commands at once: one waits for the other's lock instead of opening the database twice.
    const [services, none] = await Promise.all([
      cityscape(['services', 'list', '--json']),
      cityscape(['keys', 'list', '--service', KEYLESS]),
    ]);
    expect(services.code).toBe(0);
    const list = JSON.parse(services.stdout);
    expect(list.length).toBeGreaterThanOrEqual(10);
    expect(list.map((s: any) => s.slug)).toContain(SLUG);
    expect(none).toMatchObject({ code: 0, stdout: `${KEYLESS} has no API keys.\n` });

    const created = await cityscape(['keys', 'create', '--service', KEYLESS, '--platform', 'pay', '--type', 'test']);
    expect(created.code).toBe(0);
    const key = lastLine(created.stdout);
    expect(key).toMatch(/^api_test_\S{30,}$/);
    const id = /\(id ([0-9a-f-]{36})\)/.exec(created.stdout)![1];

    const listed = await cityscape(['keys', 'list', '--service', KEYLESS, '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain('secret');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id, platform: 'pay', type: 'test', hint: key.slice(-4), revoked_at: null }),
    ]);

    const revoked = await cityscape(['keys', 'revoke', id]);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toContain(`Revoked key ${id}`);
    expect(JSON.parse((await cityscape(['keys', 'list', '--service', KEYLESS, '--json'])).stdout)[0].revoked_at).not.toBeNull();

    const weak = await cityscape(['admin', 'create', '--email', 'ada@example.org', '--password', 'short']);
    expect(weak.code).toBe(1);
    expect(weak.stderr.trim()).toBe('Password must be at least 12 characters');
    expect(fs.existsSync(lockFile())).toBe(false);
  }, 240_000);

  it('works beside a running server on the same data directory, which keeps serving', async () => {
    const server = await startServer();
    if (!BASE) {
      expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: server.child.pid, role: 'server', socket: sockFile() });
      expect(fs.statSync(sockFile()).mode & 0o777).toBe(0o600);
    }
    const [adminKey, services, admin] = await Promise.all([
      cityscape(['keys', 'create', '--admin']),
      cityscape(['services', 'list', '--json']),
      cityscape(['admin', 'create', '--email', 'ada@example.org', '--password', 'correct horse battery', '--name', 'Ada']),
    ]);
    expect(adminKey.code, adminKey.stderr).toBe(0);
    expect(services.code, services.stderr).toBe(0);
    expect(JSON.parse(services.stdout).length).toBeGreaterThanOrEqual(10);
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.stdout).toContain('Platform administrator ada@example.org is ready');

    const base = `http://127.0.0.1:${server.port}/api/catalogue/v1`;
    expect((await fetch(`${base}/services`)).status).toBe(200);
    const key = lastLine(adminKey.stdout);
    expect(key).toMatch(/^cs_catalogue_admin_/);
    const decision = {
      decided_on: '2026-01-15',
      decision: 'Decided while the CLI shared the data directory',
      decided_by: 'CLI test board',
    };
    const res = await fetch(`${base}/services/${SLUG}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(decision),
    });
    expect(res.status, await res.clone().text()).toBe(201);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(fs.existsSync(lockFile())).toBe(false);
    expect(fs.existsSync(sockFile())).toBe(false);

    const shown = await cityscape(['services', 'show', SLUG, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).decisions.map((d: any) => d.decision)).toContain(decision.decision);
  }, 180_000);

  it('refuses a second server on the same data directory', async () => {
    const server = await startServer();
    // Embedded: refused by the lock even on another port. PostgreSQL allows many processes, so the same port is what clashes.
    const second = await cityscape(['start'], { PORT: String(BASE ? port : await freePort()) });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      BASE ? /port \d+ is already in use/ : new RegExp(`Cityscape is already running on this data directory \\(pid ${server.child.pid}\\)`),
    );
    expect(second.stderr).not.toMatch(/\n\s+at /);
    expect((await fetch(`http://127.0.0.1:${server.port}/health`)).ok).toBe(true);
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
  }, 180_000);

  it('recovers when a server is killed without cleaning up', async () => {
    const server = await startServer();
    server.child.kill('SIGKILL');
    await server.exited;
    if (!BASE) expect(fs.existsSync(lockFile())).toBe(true); // left behind, naming a process that is gone
    const after = await cityscape(['services', 'list']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain(SLUG);
    const again = await startServer(); // replaces the dead server's socket file
    expect((await fetch(`http://127.0.0.1:${again.port}/api/catalogue/v1/services/${SLUG}`)).status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(fs.existsSync(lockFile())).toBe(false);
  }, 180_000);

  it.skipIf(!!BASE)(
    'takes over a lock left by a process that is gone, instead of saying it is in use',
    async () => {
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that has just exited
      const leave = (role: 'cli' | 'server') =>
        fs.writeFileSync(
          lockFile(),
          JSON.stringify({
            pid: gone,
            socket: role === 'server' ? sockFile() : null,
            role,
            startedAt: new Date().toISOString(),
            host: os.hostname(),
            token: `left-by-a-${role}-that-timed-out`,
          }),
        );
      for (const role of ['cli', 'server'] as const) {
        leave(role);
        const listed = await cityscape(['services', 'list']);
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stderr).toBe('');
        expect(fs.existsSync(lockFile())).toBe(false);
      }
      leave('server');
      const server = await startServer(port, { SEED_DEMO: 'false' });
      expect(server.output()).not.toMatch(/already running|in use|Waiting/);
      expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: server.child.pid, role: 'server' });
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(fs.existsSync(lockFile())).toBe(false);
    },
    180_000,
  );

  it('explains startup errors in one line and leaves no lock behind', async () => {
    const bad = await cityscape(['start'], { PORT: 'eighty' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Configuration error: PORT must be a whole number, got "eighty"\n');

    const taken = net.createServer();
    const takenPort = await freePort();
    await new Promise<void>((r) => taken.listen(takenPort, '0.0.0.0', r));
    try {
      const busy = await cityscape(['start'], { PORT: String(takenPort), HOST: '0.0.0.0' });
      expect(busy.code).toBe(1);
      expect(busy.stderr.trim()).toMatch(new RegExp(`^Cannot start: port ${takenPort} is already in use`));
      expect(fs.existsSync(lockFile())).toBe(false);
      expect(fs.existsSync(sockFile())).toBe(false);
    } finally {
      taken.close();
    }
  }, 120_000);
});
