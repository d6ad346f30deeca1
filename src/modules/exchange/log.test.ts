// The access log on the database: appends from many concurrent requests (and two processes) get
// distinct, gap-free indices; tree heads, inclusion and consistency proofs from stored subtrees verify; and
// verify-log finds a changed, a removed and a reordered entry, and columns edited behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { verifyConsistency, verifyInclusion } from './merkle.js';
import { createLog, type LogEntry } from './log.js';
import { sampleEntry } from './testing.js';

let t: TestApp;
const entry = (i: number, over: Partial<LogEntry> = {}): LogEntry =>
  sampleEntry({
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    node: 'test',
    x_road_id: `x-${i}`,
    subject: `subject-${i % 3}`,
    ...over,
  });

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('the access log', () => {
  it('gives concurrent appends distinct, gap-free indices, committed before they resolve, from two processes too', async () => {
    const log = t.modules.exchange.accessLog;
    const done = await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(entry(i))));
    // A second process's log on the same database: each appends after the other, so each one's
    // remembered head is stale every time (verify-log below checks the tree they made together).
    const other = createLog({ db: t.kernel.db, signer: () => Promise.reject(new Error('not signing here')) });
    for (let i = 25; i < 37; i += 2) done.push(await other.append(entry(i)), await log.append(entry(i + 1)));
    expect(done.map((d) => d.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 37 }, (_, i) => i));
    const { rows } = await t.kernel.db.query<{ n: number }>('SELECT count(*)::int AS n FROM exchange.log_entries');
    expect(rows[0].n).toBe(37);
  });

  it('proves inclusion and consistency from stored subtrees', async () => {
    const log = t.modules.exchange.accessLog;
    const first = await log.sth();
    await log.appendMany(Array.from({ length: 30 }, (_, i) => entry(100 + i)));
    await new Promise((r) => setTimeout(r, 1100)); // a new head is signed at most once a second
    const second = await log.sth();
    expect([first.tree_size, second.tree_size]).toEqual([37, 67]);
    const b = (s: string) => Buffer.from(s, 'base64');
    const consistency = (await log.consistency(37, 67)).map((x) => x);
    expect(verifyConsistency(37, 67, b(first.root_hash), b(second.root_hash), consistency)).toBe(true);
    const { rows } = await t.kernel.db.query<{ leaf_index: number; leaf_hash: Buffer }>(
      'SELECT leaf_index, leaf_hash FROM exchange.log_entries ORDER BY leaf_index',
    );
    for (const r of rows) {
      const path = await log.inclusion(Number(r.leaf_index), 67);
      expect(verifyInclusion(Buffer.from(r.leaf_hash), Number(r.leaf_index), 67, path, b(second.root_hash))).toBe(true);
    }
    const res = await t.app.inject({ url: `/exchange/log/proof/consistency?first=37&second=67` });
    expect(res.json().consistency).toEqual(consistency.map((x) => x.toString('base64')));
  });

  it('verify-log passes an untouched log and reports a changed, removed or reordered entry', async () => {
    const ex = t.modules.exchange;
    const db = t.kernel.db;
    expect(await ex.verifyLog()).toMatchObject({ ok: true, entries: 67, treeHeads: 2 });
    const row = async (i: number) =>
      (await db.query<{ entry: string; subject: string }>('SELECT entry, subject FROM exchange.log_entries WHERE leaf_index = $1', [i]))
        .rows[0];
    const original = await row(5);

    await db.query('UPDATE exchange.log_entries SET entry = replace(entry, $2, $3) WHERE leaf_index = $1', [
      5,
      '"outcome":"released"',
      '"outcome":"refused"',
    ]);
    const changed = await ex.verifyLog();
    expect(changed.ok).toBe(false);
    expect(changed.problems.join('\n')).toContain('Entry 5: changed since it was appended');
    await db.query('UPDATE exchange.log_entries SET entry = $2 WHERE leaf_index = $1', [5, original.entry]);

    await db.query('UPDATE exchange.log_entries SET subject = $2 WHERE leaf_index = $1', [6, 'someone-else']);
    expect((await ex.verifyLog()).problems.join('\n')).toContain('Entry 6: its columns were changed');
    await db.query('UPDATE exchange.log_entries SET subject = $2 WHERE leaf_index = $1', [
      6,
      (await row(6)).entry.match(/"subject":"([^"]+)"/)![1],
    ]);

    const swap = async () => {
      const [a, b] = [await row(10), await row(11)];
      const h = await db.query<{ leaf_index: number; leaf_hash: Buffer }>(
        'SELECT leaf_index, leaf_hash FROM exchange.log_entries WHERE leaf_index IN (10, 11) ORDER BY leaf_index',
      );
      await db.query('DELETE FROM exchange.log_entries WHERE leaf_index IN (10, 11)');
      await db.query(
        `INSERT INTO exchange.log_entries (leaf_index, leaf_hash, entry, at, subject, client, service, outcome, x_road_id)
        SELECT $1, $2, e.entry, e.at, e.subject, e.client, e.service, e.outcome, e.x_road_id FROM (SELECT $3::text AS entry, now() AS at, $4::text AS subject, 'UK/LA/RIVERSIDE/bluebadge' AS client, 'UK/GOV/DWP/benefits/entitlement' AS service, 'released' AS outcome, 'x' AS x_road_id) e`,
        [10, h.rows[1].leaf_hash, b.entry, b.subject],
      );
      await db.query(
        `INSERT INTO exchange.log_entries (leaf_index, leaf_hash, entry, at, subject, client, service, outcome, x_road_id)
        VALUES ($1, $2, $3, now(), $4, 'UK/LA/RIVERSIDE/bluebadge', 'UK/GOV/DWP/benefits/entitlement', 'released', 'x')`,
        [11, h.rows[0].leaf_hash, a.entry, a.subject],
      );
    };
    await swap();
    const reordered = await ex.verifyLog();
    expect(reordered.ok).toBe(false);
    expect(reordered.problems.join('\n')).toMatch(/Entry 10|root hash/);

    await db.query('DELETE FROM exchange.log_entries WHERE leaf_index = 20');
    const removed = await ex.verifyLog();
    expect(removed.problems.join('\n')).toContain('Entries 20–20 are missing');
  });
});
