// Real Cityscape processes for the tests (and benches) that need more than one: `cityscape`
// commands from dist/ (compiled once by test/global-setup.ts, as `npm start` runs them) and
// test/fixtures/cityscape-process.ts (the whole app plus test subscribers, through tsx).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Arguments to `node` for a `cityscape` command, from the compiled dist/. */
export const cityscapeArgs = (args: string[]): string[] => ['dist/main.js', ...args];

export interface Started {
  child: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string;
  /** The ready pattern's match. */
  ready: RegExpExecArray;
}

/**
 * Spawns `node <args>` in the project root and resolves once its output matches `ready`
 * (the fixture prints `READY <port> <pid>`); rejects with everything it wrote if it exits or
 * takes longer than `timeoutMs` first.
 */
export function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp = /READY (\d+) (\d+)/,
  timeoutMs = 150_000,
): Promise<Started> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`process did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const finish = (err: Error | null, m?: RegExpExecArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(err);
      } else resolve({ child, output: () => out, ready: m! });
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) finish(null, m);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => finish(new Error(`exited ${code ?? signal} before it was ready:\n${out}`)));
  });
}

/** The fixture app (test/fixtures/cityscape-process.ts) on `databaseUrl`, on a free port. */
export async function startFixtureProcess(env: NodeJS.ProcessEnv): Promise<Started & { port: number }> {
  const s = await startProcess(['--import', 'tsx', 'test/fixtures/cityscape-process.ts'], {
    ...process.env,
    LOG_LEVEL: 'warn',
    PORT: '0',
    ...env,
  });
  return { ...s, port: Number(s.ready[1]) };
}

/** Stops a process with SIGTERM and waits for it to exit. */
export function stopProcess(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
