// The data-directory lock and the control socket, without a database: stale locks are
// reclaimed, live ones refused, and commands reach a running server through its socket.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  acquireLock,
  lockPath,
  procStart,
  readLockInfo,
  runExclusive,
  sendCommand,
  socketPathFor,
  startControlServer,
  tryAcquireLock,
  NotReachable,
  type LockInfo,
} from './control.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(join(os.tmpdir(), 'cs-lock-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function writeLock(dir: string, info: Partial<LockInfo>) {
  const full: LockInfo = {
    pid: 1,
    socket: null,
    role: 'cli',
    startedAt: new Date().toISOString(),
    host: os.hostname(),
    token: 'other',
    ...info,
  };
  fs.writeFileSync(lockPath(dir), JSON.stringify(full));
}
/** A pid that is certainly not running: a child that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
function liveChild(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

describe('data directory lock', () => {
  it('is taken with the owner recorded, refused while held, and removed on release', () => {
    const dir = tmp();
    const first = tryAcquireLock(dir, { role: 'server', socket: '/x.sock' });
    expect(first.ok).toBe(true);
    expect(readLockInfo(dir)).toMatchObject({ pid: process.pid, role: 'server', socket: '/x.sock' });
    const second = tryAcquireLock(dir, { role: 'cli' });
    expect(second).toMatchObject({ ok: false, holder: { pid: process.pid, role: 'server' } });
    if (first.ok) first.lock.release();
    expect(fs.existsSync(lockPath(dir))).toBe(false);
  });

  it('reclaims a stale lock whose process has gone', () => {
    const dir = tmp();
    writeLock(dir, { pid: deadPid(), role: 'server', socket: join(dir, 'cityscape.sock') });
    const r = tryAcquireLock(dir, { role: 'cli' });
    expect(r.ok).toBe(true);
    expect(readLockInfo(dir)?.pid).toBe(process.pid);
    if (r.ok) r.lock.release();
  });

  it('reclaims a lock left by an earlier process with this pid, or by a process whose pid was reused', () => {
    const dir = tmp();
    writeLock(dir, { pid: process.pid, token: 'earlier-life' });
    const a = tryAcquireLock(dir, { role: 'cli' });
    expect(a.ok).toBe(true);
    if (a.ok) a.lock.release();
    if (procStart(process.pid) === undefined) return; // no /proc here
    const child = liveChild();
    writeLock(dir, { pid: child.pid!, procStart: '1' });
    const b = tryAcquireLock(dir, { role: 'cli' });
    expect(b.ok).toBe(true);
    if (b.ok) b.lock.release();
  });

  it('refuses a lock held by a live process', async () => {
    const dir = tmp();
    const child = liveChild();
    await new Promise((r) => child.once('spawn', r));
    writeLock(dir, { pid: child.pid!, procStart: procStart(child.pid!) });
    expect(tryAcquireLock(dir, { role: 'cli' })).toMatchObject({ ok: false, holder: { pid: child.pid } });
    expect(fs.existsSync(lockPath(dir))).toBe(true);
    // Another host's lock cannot be checked, so it is respected too.
    writeLock(dir, { pid: deadPid(), host: 'some-other-host' });
    expect(tryAcquireLock(dir, { role: 'cli' }).ok).toBe(false);
  });

  it('treats a half-written lock as held, and an old empty one as stale', () => {
    const dir = tmp();
    fs.writeFileSync(lockPath(dir), '');
    expect(tryAcquireLock(dir, { role: 'cli' })).toEqual({ ok: false, holder: null });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath(dir), old, old);
    const r = tryAcquireLock(dir, { role: 'cli' });
    expect(r.ok).toBe(true);
    if (r.ok) r.lock.release();
  });

  it('release leaves alone a lock that is no longer ours', () => {
    const dir = tmp();
    const r = tryAcquireLock(dir, { role: 'cli' });
    if (!r.ok) throw new Error('expected the lock');
    writeLock(dir, { pid: 12345, token: 'someone-else' });
    r.lock.release();
    expect(readLockInfo(dir)?.token).toBe('someone-else');
  });

  it('waits for a short-lived holder, and gives up on one it should not wait for', async () => {
    const dir = tmp();
    const child = liveChild();
    writeLock(dir, { pid: child.pid!, role: 'cli' });
    setTimeout(() => fs.rmSync(lockPath(dir)), 400);
    const waited = await acquireLock(dir, { role: 'server', timeoutMs: 5000, shouldWait: (h) => h?.role !== 'server' });
    expect(waited.ok).toBe(true);
    if (waited.ok) waited.lock.release();
    writeLock(dir, { pid: child.pid!, role: 'server' });
    const t0 = Date.now();
    const refused = await acquireLock(dir, { role: 'server', timeoutMs: 5000, shouldWait: (h) => h?.role !== 'server' });
    expect(refused).toMatchObject({ ok: false, holder: { role: 'server', pid: child.pid } });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('control socket', () => {
  it('puts the socket in the data directory, or in a private temp folder when that path is too long', () => {
    expect(socketPathFor('/srv/cityscape')).toBe('/srv/cityscape/cityscape.sock');
    const long = socketPathFor(`/srv/${'x'.repeat(120)}`);
    expect(long.startsWith(os.tmpdir())).toBe(true);
    expect(long.length).toBeLessThan(100);
  });

  it('runs commands sent to it, with owner-only permissions, and removes the socket on close', async () => {
    const dir = tmp();
    const path = join(dir, 'cityscape.sock');
    const server = await startControlServer(path, async (req) => ({
      exitCode: req.argv.length,
      stdout: `ran ${req.argv.join(' ')} in ${req.cwd}\n`,
      stderr: '',
    }));
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    expect(await sendCommand(path, { argv: ['keys', 'list'], cwd: '/here' })).toEqual({
      exitCode: 2,
      stdout: 'ran keys list in /here\n',
      stderr: '',
    });
    await server.close();
    expect(fs.existsSync(path)).toBe(false);
    await expect(sendCommand(path, { argv: [], cwd: '/' })).rejects.toBeInstanceOf(NotReachable);
  });

  it('runExclusive runs locally under the lock when free, and through the socket when a server holds it', async () => {
    const dir = tmp();
    const request = { argv: ['services', 'list'], cwd: dir };
    const local = await runExclusive(dir, {
      request,
      runLocal: async () => {
        expect(readLockInfo(dir)).toMatchObject({ pid: process.pid, role: 'cli', socket: null });
        return { exitCode: 0, stdout: 'local\n', stderr: '' };
      },
    });
    expect(local.stdout).toBe('local\n');
    expect(fs.existsSync(lockPath(dir))).toBe(false);

    const server = tryAcquireLock(dir, { role: 'server', socket: join(dir, 'cityscape.sock') });
    if (!server.ok) throw new Error('expected the lock');
    const control = await startControlServer(join(dir, 'cityscape.sock'), async () => ({ exitCode: 0, stdout: 'remote\n', stderr: '' }));
    const remote = await runExclusive(dir, {
      request,
      runLocal: async () => {
        throw new Error('must not open the database');
      },
    });
    expect(remote.stdout).toBe('remote\n');
    await control.close();
    server.lock.release();
  });

  it('runExclusive gives a clear error when the holder never lets go', async () => {
    const dir = tmp();
    const child = liveChild();
    writeLock(dir, { pid: child.pid!, role: 'cli' });
    await expect(
      runExclusive(dir, {
        request: { argv: [], cwd: dir },
        timeoutMs: 500,
        runLocal: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
      }),
    ).rejects.toThrow(`in use by process ${child.pid}`);
  });
});
