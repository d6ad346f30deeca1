// The audit log as a hash chain, tampered with as a table owner would (triggers disabled, a row
// rewritten, a row deleted), checked by `cityscape audit verify` and on /admin/audit; appends
// from many connections at once stay one line; a log written before the chain existed is chained.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, testDb, type TestApp } from '../../test/helpers.js';
import { executeIn } from '../main.js';
import { createAudit } from './audit.js';
import { createPostgresDb } from './db.js';
import { migrate } from './migrations.js';

let t: TestApp;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await buildTestApp();
  for (let i = 1; i <= 5; i++) await record(`test.thing.${i}`, { n: i, text: `naïve “quoted” ${i}` });
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await t.close();
});

function record(action: string, after: unknown = null, db = t.kernel.db) {
  return db.transaction((tx) => t.kernel.audit.record(tx, { actor: 'cli', action, subject: 'test', after }));
}
/** SQL run as the table's owner would, with its triggers (append-only, chain) switched off. */
const asOwner = (sql: string) =>
  t.kernel.db.exec(`ALTER TABLE kernel.audit_log DISABLE TRIGGER USER; ${sql}; ALTER TABLE kernel.audit_log ENABLE TRIGGER USER`);
const verifyCommand = () => executeIn({ built: t, config: t.kernel.config, cwd: process.cwd(), appliedOnOpen: [] }, ['audit', 'verify']);
const ids = async () => (await t.kernel.db.query<{ id: number }>('SELECT id FROM kernel.audit_log ORDER BY id')).rows.map((r) => r.id);

describe('the audit log hash chain', () => {
  it('links every entry to the one before, in id order with no gaps, and refuses TRUNCATE', async () => {
    const r = await t.kernel.audit.verify();
    expect(r).toMatchObject({ ok: true });
    const all = await ids();
    expect(all).toEqual(all.map((_, i) => i + 1));
    expect(r.entries).toBe(all.length);
    await expect(t.kernel.db.exec('TRUNCATE kernel.audit_log')).rejects.toThrow(/append-only/);
    const ok = await verifyCommand();
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`intact: ${all.length} entries`);
  });

  it('names the entry a table owner rewrote, and the entry after one whose hash was rewritten too', async () => {
    const { rows } = await t.kernel.db.query<{ actor: string; hash: string }>('SELECT actor, hash FROM kernel.audit_log WHERE id = 3');
    await asOwner(`UPDATE kernel.audit_log SET actor = 'mallory' WHERE id = 3`);
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: false, badId: 3, kind: 'changed' });
    const res = await verifyCommand();
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain('broken at entry 3');

    // A careful owner recomputes the row's own hash: the next entry no longer follows it.
    await asOwner(
      `UPDATE kernel.audit_log SET hash = kernel.audit_hash(prev_hash, kernel.audit_canonical(id, at, actor, action, subject, organisation_id, before, after)) WHERE id = 3`,
    );
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: false, badId: 4, kind: 'gap', afterId: 3 });

    await asOwner(`UPDATE kernel.audit_log SET actor = '${rows[0].actor}', hash = '${rows[0].hash}' WHERE id = 3`);
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: true });
  });

  it('names the entry after one a table owner deleted, and notices the last entries deleted', async () => {
    const save = async (id: number) =>
      (
        await t.kernel.db.query(
          `SELECT id, at::text AS at, actor, action, subject, organisation_id, before, after, prev_hash, hash FROM kernel.audit_log WHERE id = $1`,
          [id],
        )
      ).rows[0] as Record<string, unknown>; // `at` as text: to the microsecond
    const putBack = (row: Record<string, unknown>) =>
      t.kernel.db.transaction(async (tx) => {
        await tx.exec('ALTER TABLE kernel.audit_log DISABLE TRIGGER USER');
        await tx.query(
          `INSERT INTO kernel.audit_log (id, at, actor, action, subject, organisation_id, before, after, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          ['id', 'at', 'actor', 'action', 'subject', 'organisation_id', 'before', 'after', 'prev_hash', 'hash'].map((k) =>
            k === 'before' || k === 'after' ? (row[k] === null ? null : JSON.stringify(row[k])) : row[k],
          ),
        );
        await tx.exec('ALTER TABLE kernel.audit_log ENABLE TRIGGER USER');
      });

    const second = await save(2);
    await asOwner('DELETE FROM kernel.audit_log WHERE id = 2');
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: false, badId: 3, kind: 'gap', afterId: 1 });
    await putBack(second);

    const first = await save(1);
    await asOwner('DELETE FROM kernel.audit_log WHERE id = 1');
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: false, badId: 2, kind: 'start' });
    await putBack(first);

    const last = Math.max(...(await ids()));
    const tail = await save(last);
    await asOwner(`DELETE FROM kernel.audit_log WHERE id = ${last}`);
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: false, badId: last, kind: 'tail', afterId: last - 1 });
    const res = await verifyCommand();
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain(`entries after ${last - 1} were removed`);
    await putBack(tail);
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: true });
  });

  it('warns on /admin/audit while the chain is broken', async () => {
    const email = 'auditor@example.org';
    await t.modules.catalogue.service.createStaff(cli, { email, password: 'a long enough password', role: 'platform_admin' });
    const b = formBrowser(t);
    await b.get('/admin/sign-in');
    expect((await b.post('/admin/sign-in', { email, password: 'a long enough password' })).statusCode).toBe(303);
    expect((await b.get('/admin/audit')).body).not.toContain('changed outside Cityscape');

    const { rows } = await t.kernel.db.query<{ subject: string }>('SELECT subject FROM kernel.audit_log WHERE id = 4');
    await asOwner(`UPDATE kernel.audit_log SET subject = 'nothing to see' WHERE id = 4`);
    const page = await b.get('/admin/audit');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This audit log has been changed outside Cityscape');
    expect(page.body).toContain('Entry 4 was changed after it was written.');
    const cy = await b.get('/admin/audit?lang=cy');
    expect(cy.body).toContain('Cafodd cofnod 4 ei newid');
    await asOwner(`UPDATE kernel.audit_log SET subject = '${rows[0].subject}' WHERE id = 4`);
    expect((await b.get('/admin/audit?lang=en')).body).not.toContain('changed outside Cityscape');
  });

  it('stays one line when many connections append at once', async () => {
    const before = (await ids()).length;
    // On PostgreSQL, three pools (as three processes would have) of several connections each.
    const dbs = [t.kernel.db];
    if (t.databaseUrl) {
      for (let i = 0; i < 2; i++) {
        const db = createPostgresDb(t.databaseUrl, { max: 5 });
        cleanups.push(() => db.close());
        dbs.push(db);
      }
    }
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        dbs[i % dbs.length].transaction(async (tx) => {
          await tx.query('SELECT pg_sleep(0.002)');
          await t.kernel.audit.record(tx, { actor: 'cli', action: 'test.concurrent', subject: `w${i}` });
          await tx.query('SELECT pg_sleep(0.002)');
        }),
      ),
    );
    const all = await ids();
    expect(all.length).toBe(before + 60);
    expect(all).toEqual(all.map((_, i) => i + 1));
    expect(await t.kernel.audit.verify()).toMatchObject({ ok: true, entries: before + 60 });
  });

  it('chains the entries of a log written before the chain existed', async () => {
    const { db } = await testDb(cleanups);
    const old = mkdtempSync(join(tmpdir(), 'cs-kernel-'));
    cleanups.push(async () => rmSync(old, { recursive: true, force: true }));
    cpSync(new URL('./migrations/001_kernel.sql', import.meta.url), join(old, '001_kernel.sql'));
    await migrate(db, [{ module: 'kernel', dir: old }]);
    for (const a of ['one', 'two', 'three']) {
      await db.query(`INSERT INTO kernel.audit_log (actor, action, subject, before) VALUES ('cli', $1, 's', '{"b": [1, "ü"]}')`, [a]);
    }
    await db.query(`SELECT nextval('kernel.audit_log_id_seq')`); // a gap, as a rolled-back write leaves
    await db.query(`INSERT INTO kernel.audit_log (actor, action, subject) VALUES ('cli', 'four', 's')`);
    await migrate(db, [{ module: 'kernel', dir: new URL('./migrations', import.meta.url).pathname }]);
    const audit = createAudit(db);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 4 });
    await db.transaction((tx) => audit.record(tx, { actor: 'cli', action: 'five', subject: 's' }));
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 5 });
    const { rows } = await db.query<{ id: number }>('SELECT id FROM kernel.audit_log ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 5, 6]);
  });
});
