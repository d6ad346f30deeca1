// One process per embedded data directory, and a way in for the command line.
// PGlite is single-process: two processes opening one data directory would corrupt it. So
// whoever opens it holds <dataDir>/cityscape.lock (created with O_EXCL; stale ones, whose
// process is gone, are reclaimed). A running server also answers on a private unix socket,
// so `cityscape keys create …` run beside it executes inside the server instead of opening
// the database a second time. With PostgreSQL (DATABASE_URL) none of this is needed.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';

export interface LockInfo {
  pid: number;
  /** Control socket of a running server; null while a short CLI command holds the lock. */
  socket: string | null;
  role: 'server' | 'cli';
  startedAt: string;
  host: string;
  /** Linux: the owner's start time in clock ticks, so a reused pid is not mistaken for it. */
  procStart?: string;
  token: string;
}

export interface HeldLock {
  path: string;
  info: LockInfo;
  release(): void;
}
export type AcquireResult = { ok: true; lock: HeldLock } | { ok: false; holder: LockInfo | null };

export const LOCK_FILE = 'cityscape.lock';
export const SOCKET_FILE = 'cityscape.sock';
const UNREADABLE_GRACE_MS = 10_000; // a lock file still empty after this was left by a crash mid-write
const held = new Set<string>(); // tokens of locks this process holds

export const lockPath = (dataDir: string) => join(dataDir, LOCK_FILE);
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `<dataDir>/cityscape.sock`, or a private per-user temp folder when that path is too long for a socket. */
export function socketPathFor(dataDir: string): string {
  if (process.platform === 'win32') return `\\\\.\\pipe\\cityscape-${hash(dataDir)}`;
  const preferred = join(dataDir, SOCKET_FILE);
  if (Buffer.byteLength(preferred) < 100) return preferred;
  return join(privateSocketDir(), `${hash(dataDir)}.sock`);
}
const privateSocketDir = () => join(os.tmpdir(), `cityscape-${process.getuid?.() ?? 'user'}`);

/** Linux: a process's state letter and start time (clock ticks after boot), from /proc. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] }; // fields 3 and 22
  } catch {
    return undefined;
  }
}
export const procStart = (pid: number) => procStat(pid)?.start;

/** Is the process that wrote this lock still running? Unknowable for another host: assume so. */
export function ownerAlive(info: LockInfo): boolean {
  if (held.has(info.token)) return true;
  if (info.host !== os.hostname()) return true;
  if (info.pid === process.pid) return false; // an earlier life of this pid (e.g. pid 1 in a restarted container)
  try {
    process.kill(info.pid, 0);
  } catch (err: any) {
    if (err.code === 'ESRCH') return false;
  }
  const stat = procStat(info.pid);
  if (stat && (stat.state === 'Z' || stat.state === 'X')) return false; // exited, not yet reaped
  return !(stat && info.procStart && stat.start !== info.procStart);
}

type Read = { state: 'missing' } | { state: 'unreadable'; raw: string; ageMs: number } | { state: 'ok'; raw: string; info: LockInfo };

function readLock(path: string): Read {
  let raw: string;
  let ageMs: number;
  try {
    raw = fs.readFileSync(path, 'utf8');
    ageMs = Date.now() - fs.statSync(path).mtimeMs;
  } catch (err: any) {
    if (err.code === 'ENOENT') return { state: 'missing' };
    throw err;
  }
  try {
    const info = JSON.parse(raw) as LockInfo;
    if (Number.isInteger(info.pid) && typeof info.token === 'string') return { state: 'ok', raw, info };
  } catch {
    /* being written, or damaged */
  }
  return { state: 'unreadable', raw, ageMs };
}

/** The current holder of a data directory's lock, if any (stale or not). */
export function readLockInfo(dataDir: string): LockInfo | null {
  const r = readLock(lockPath(dataDir));
  return r.state === 'ok' ? r.info : null;
}

/** Removes a stale lock, unless it changed since we judged it stale. A guard file makes the
 * check-and-remove atomic among reclaimers, so two of them never delete each other's new lock. */
function removeStale(path: string, staleRaw: string): void {
  const guard = `${path}.reclaim`;
  try {
    fs.writeFileSync(guard, JSON.stringify({ pid: process.pid, host: os.hostname() }), { flag: 'wx', mode: 0o600 });
  } catch (err: any) {
    if (err.code !== 'EEXIST') throw err;
    // A reclaimer that died mid-way leaves the guard behind; anyone may clear it after a grace period.
    const since = fs.statSync(guard, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - since > UNREADABLE_GRACE_MS) fs.rmSync(guard, { force: true });
    return;
  }
  try {
    const now = readLock(path);
    if (now.state !== 'missing' && now.raw === staleRaw) fs.rmSync(path, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** One attempt to take the lock. Never waits. */
export function tryAcquireLock(dataDir: string, opts: { role: LockInfo['role']; socket?: string | null }): AcquireResult {
  fs.mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  for (let attempt = 0; attempt < 5; attempt++) {
    const info: LockInfo = {
      pid: process.pid,
      socket: opts.socket ?? null,
      role: opts.role,
      startedAt: new Date().toISOString(),
      host: os.hostname(),
      procStart: procStart(process.pid),
      token: randomUUID(),
    };
    const raw = JSON.stringify(info);
    let fd: number | undefined;
    try {
      fd = fs.openSync(path, 'wx', 0o600);
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        fs.writeSync(fd, raw);
        fs.fsyncSync(fd);
      } catch (err) {
        fs.closeSync(fd);
        fs.rmSync(path, { force: true });
        throw err;
      }
      fs.closeSync(fd);
      return { ok: true, lock: holdLock(path, info, raw) };
    }
    const current = readLock(path);
    if (current.state === 'missing') continue; // released meanwhile
    if (current.state === 'unreadable') {
      if (current.ageMs > UNREADABLE_GRACE_MS) {
        removeStale(path, current.raw);
        continue;
      }
      return { ok: false, holder: null };
    }
    if (!ownerAlive(current.info)) {
      removeStale(path, current.raw);
      continue;
    }
    return { ok: false, holder: current.info };
  }
  return { ok: false, holder: null };
}

function holdLock(path: string, info: LockInfo, raw: string): HeldLock {
  held.add(info.token);
  const release = () => {
    if (!held.delete(info.token)) return;
    process.off('exit', release);
    try {
      if (fs.readFileSync(path, 'utf8') === raw) fs.rmSync(path, { force: true });
    } catch {
      /* already gone */
    }
  };
  process.on('exit', release); // covers process.exit() and uncaught exceptions; signals are handled by the caller
  return { path, info, release };
}

/** Takes the lock, waiting (up to timeoutMs) while `shouldWait(holder)` says the holder will let go soon. */
export async function acquireLock(
  dataDir: string,
  opts: {
    role: LockInfo['role'];
    socket?: string | null;
    timeoutMs?: number;
    shouldWait?: (holder: LockInfo | null) => boolean;
    onWait?: (holder: LockInfo | null) => void;
  },
): Promise<AcquireResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let told = false;
  for (;;) {
    const r = tryAcquireLock(dataDir, opts);
    if (r.ok || (opts.shouldWait && !opts.shouldWait(r.holder)) || Date.now() > deadline) return r;
    if (!told) {
      told = true;
      opts.onWait?.(r.holder);
    }
    await sleep(150);
  }
}

// The control socket: POST /cli {argv, cwd} → {exitCode, stdout, stderr}.

export interface CommandRequest {
  argv: string[];
  cwd: string;
}
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** Listens on `path` (0600) and runs each request through `run`. Close waits for running commands. */
export async function startControlServer(path: string, run: (req: CommandRequest) => Promise<CommandResult>): Promise<ControlServer> {
  const unix = process.platform !== 'win32';
  let closing = false;
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/cli') return reply(404, { error: 'POST /cli' });
    if (closing) return reply(503, { error: 'shutting down' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 1_000_000) req.destroy();
    });
    req.on('end', () => {
      let parsed: CommandRequest;
      try {
        parsed = JSON.parse(body);
        if (!Array.isArray(parsed.argv) || !parsed.argv.every((a) => typeof a === 'string')) throw new Error();
      } catch {
        return reply(400, { error: 'expected {"argv": string[], "cwd": string}' });
      }
      run({ argv: parsed.argv, cwd: typeof parsed.cwd === 'string' ? parsed.cwd : process.cwd() }).then(
        (result) => reply(200, result),
        (err) => reply(200, { exitCode: 1, stdout: '', stderr: `Internal error: ${err?.message ?? err}\n` }),
      );
    });
  });
  if (unix) {
    const dir = dirname(path);
    if (dir === privateSocketDir()) {
      // shared temp folder: ours alone, or refuse
      fs.mkdirSync(dir, { mode: 0o700, recursive: true });
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) {
        throw new Error(`${dir} must be a folder only you can use (mode 0700) to hold the control socket`);
      }
    }
    const existing = fs.lstatSync(path, { throwIfNoEntry: false });
    if (existing?.isSocket())
      fs.rmSync(path, { force: true }); // left by a server that crashed; we hold the lock
    else if (existing) throw new Error(`${path} exists and is not a socket`);
  }
  const oldMask = unix ? process.umask(0o177) : 0; // bind the socket 0600 from its first moment
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    if (unix) process.umask(oldMask);
  }
  if (unix) fs.chmodSync(path, 0o600);
  const removeSocket = () => {
    if (unix) fs.rmSync(path, { force: true });
  };
  process.on('exit', removeSocket);
  return {
    path,
    async close() {
      closing = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 30_000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      removeSocket();
      process.off('exit', removeSocket);
    },
  };
}

export class NotReachable extends Error {}

/** Sends one command to a running server. Rejects with NotReachable when nothing answered
 * (safe to retry); with another error when the connection broke after the command was sent. */
export function sendCommand(path: string, req: CommandRequest): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    let sent = false;
    const body = JSON.stringify(req);
    const r = http.request(
      {
        socketPath: path,
        path: '/cli',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          if (res.statusCode === 503) return reject(new NotReachable('the server is shutting down'));
          try {
            const out = JSON.parse(text);
            if (res.statusCode !== 200 || typeof out.exitCode !== 'number') throw new Error(out.error ?? `status ${res.statusCode}`);
            resolve({ exitCode: out.exitCode, stdout: String(out.stdout ?? ''), stderr: String(out.stderr ?? '') });
          } catch (err: any) {
            reject(new Error(`Unexpected answer from the running Cityscape: ${err.message}`));
          }
        });
        res.on('error', reject);
      },
    );
    r.on('socket', (s) =>
      s.once('connect', () => {
        sent = true;
      }),
    );
    r.on('error', (err: any) =>
      reject(
        sent
          ? new Error(`Lost the connection to the running Cityscape (${err.code ?? err.message}); the command may or may not have run`)
          : new NotReachable(err.code ?? err.message),
      ),
    );
    r.end(body);
  });
}

/**
 * Runs a command against an embedded data directory without ever sharing it: locally under
 * the lock when it is free; inside the running server (over its socket) when there is one;
 * otherwise waits for the other short-lived command to finish.
 */
export async function runExclusive(
  dataDir: string,
  opts: {
    request: CommandRequest;
    runLocal: () => Promise<CommandResult>;
    timeoutMs?: number;
    onWait?: (holder: LockInfo | null) => void;
  },
): Promise<CommandResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let told = false;
  let holder: LockInfo | null = null;
  for (;;) {
    const r = tryAcquireLock(dataDir, { role: 'cli' });
    if (r.ok) {
      try {
        return await opts.runLocal();
      } finally {
        r.lock.release();
      }
    }
    holder = r.holder;
    if (holder?.socket) {
      try {
        return await sendCommand(holder.socket, opts.request);
      } catch (err) {
        if (!(err instanceof NotReachable)) throw err;
      }
    }
    if (Date.now() > deadline) break;
    if (!told) {
      told = true;
      opts.onWait?.(holder);
    }
    await sleep(200);
  }
  const who = holder ? `process ${holder.pid}${holder.host !== os.hostname() ? ` on ${holder.host}` : ''}` : 'another process';
  throw new Error(
    `The data directory ${dataDir} is in use by ${who} and it did not let go within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s. ` +
      `If no Cityscape process is running, delete ${lockPath(dataDir)} and try again.`,
  );
}
