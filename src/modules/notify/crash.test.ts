// A delivering process killed with SIGKILL (a child process, on PGlite's data directory or a
// PostgreSQL database), with a real SMTP server: messages whose hand-off to the relay never
// began are sent after the restart, exactly once; only those the relay may have are failed
// (technical-failure), and none is handed over twice.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig, type Config } from '../../config.js';
import { freshPostgres } from '../../../test/helpers.js';
import { notifyFixture, smtpSink, until } from './testing.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SECRETS = { sessionSecret: 'crash-test-session-secret-0123456789', encryptionKey: 'crash-test-encryption-key-0123456789' };

/** The delivering process (test/fixtures/notify-process.ts); resolves once it is working. */
function child(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/notify-process.ts'], {
    cwd: new URL('../../..', import.meta.url).pathname,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', SEED_DEMO: 'false', WORKERS: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  let output = '';
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('READY')) resolve(proc);
    });
    proc.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
}

describe('a delivering process killed mid-delivery', () => {
  it('sends again what never reached the relay, fails only what may have, and hands nothing over twice', async () => {
    let stall = true;
    const sink = await smtpSink({ answer: () => (stall ? 'stall' : 'ok') });
    cleanups.push(sink.close);
    const where: Partial<Config> = {};
    if (process.env.DATABASE_URL) {
      const fresh = await freshPostgres(process.env.DATABASE_URL);
      cleanups.push(fresh.drop);
      where.databaseUrl = fresh.url;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'cityscape-crash-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      where.dataDir = dir;
      where.databaseUrl = undefined;
    }
    const app = (o: Partial<Config> = {}) => buildApp({ config: testConfig({ ...where, ...SECRETS, smtpUrl: sink.url, ...o }) });

    // 50 emails accepted while no process delivers.
    const first = await app();
    const fx = await notifyFixture(first);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++)
      ids.push(
        (
          await first.modules.notify.service.sendEmail(fx.service.id, {
            templateId: fx.templates.email.id,
            to: `person-${i}@example.com`,
            personalisation: { name: 'A', reference: `R-${i}`, extra: 'no' },
          })
        ).id,
      );
    await first.close();

    // A process with the default 50 deliveries in flight and 16 SMTP connections claims them
    // all; the relay takes 16 and never answers. Then the process is killed.
    const proc = await child({
      ...(where.databaseUrl ? { DATABASE_URL: where.databaseUrl } : { CITYSCAPE_DATA_DIR: where.dataDir! }),
      SESSION_SECRET: SECRETS.sessionSecret,
      ENCRYPTION_KEY: SECRETS.encryptionKey,
      SMTP_URL: sink.url,
      NOTIFY_LEASE_SECONDS: '20', // an unanswered hand-off times out after 8 s: long after the kill
    });
    await until(() => sink.stalled.length >= 16);
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    const reached = new Set(sink.stalled.map((m) => /Message-ID: <([0-9a-f-]{36})@/.exec(m.raw)![1]));
    stall = false;

    // A new process on the same database settles every one once the dead claims' leases pass
    // (it sweeps every 2 s; its own lease is long, so a slow machine never fails its own sends).
    const second: BuiltApp = await app({ notify: { ...testConfig().notify, leaseSeconds: 60, recoverAfterSeconds: 2 } });
    cleanups.push(() => second.close());
    await second.startWorkers();
    const rows = (await until(async () => {
      const all = await Promise.all(ids.map((id) => second.modules.notify.service.notification(fx.service.id, id)));
      return all.every((n) => n.status === 'delivered' || n.status === 'technical-failure') ? all : null;
    }, 200))!;

    const handedOver = (id: string) => [...sink.received, ...sink.stalled].filter((m) => m.raw.includes(`Message-ID: <${id}@`)).length;
    for (const n of rows) expect(handedOver(n.id), `${n.recipient} handed to the relay once at most`).toBeLessThanOrEqual(1);
    const failed = rows.filter((n) => n.status === 'technical-failure');
    for (const id of reached)
      expect(rows.find((n) => n.id === id)!.status, 'the relay may have it: never resent').toBe('technical-failure');
    // Only a message whose hand-off began can be in doubt, and a hand-off needs one of the 16 connections.
    expect(failed.length).toBeLessThanOrEqual(16);
    for (const n of rows.filter((r) => r.status === 'delivered')) expect(sink.received.filter((m) => m.raw.includes(n.id))).toHaveLength(1);
    expect(rows.filter((n) => n.status === 'delivered').length).toBe(50 - failed.length);
  }, 240_000);
});
