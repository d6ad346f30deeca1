// Revision chains: locked by a trigger (only successor_id may be set, once), and
// `cityscape consent verify` names any past revision changed behind the trigger's back —
// its snapshot, its hash re-computed to match, or a link of the chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { COMMANDS, Out } from '../../commands.js';
import { sha1 } from './revisions.js';

describe('consent revision chains', () => {
  let built: TestApp;
  let recordId: string;

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    await built.modules.consent.seedDemo();
    const serviceId = (await built.modules.catalogue.service.getService('apply-for-a-blue-badge')).id;
    const agreementId = (
      await built.kernel.db.query<{ id: string }>('SELECT id FROM consent.agreements WHERE service_id = $1', [serviceId])
    ).rows[0].id;
    const account = await built.modules.identity.accounts.createAccount('chain@example.org', 'correct horse 42 battery');
    const { citizens } = built.modules.consent.service;
    recordId = (await citizens.answer({ subject: account.id, agreementId, agree: true })).id;
    await citizens.change(account.id, recordId, { optIn: false });
    await citizens.answer({ subject: account.id, agreementId, agree: true });
  });
  afterAll(async () => built?.close());

  const verify = async () => {
    const out = new Out();
    const code = await COMMANDS['consent verify'].run(
      { built, config: built.kernel.config, cwd: process.cwd(), appliedOnOpen: [] },
      {},
      [],
      out,
    );
    return { code, text: out.stdout };
  };
  const tamper = async (sql: string, params: unknown[]) => {
    const db = built.kernel.db;
    await db.query('ALTER TABLE consent.revisions DISABLE TRIGGER revisions_locked');
    try {
      await db.query(sql, params);
    } finally {
      await db.query('ALTER TABLE consent.revisions ENABLE TRIGGER revisions_locked');
    }
  };

  it('keeps revisions locked', async () => {
    const db = built.kernel.db;
    await expect(
      db.query(`UPDATE consent.revisions SET serialized_snapshot = '{}' WHERE object_id = $1 AND seq = 1`, [recordId]),
    ).rejects.toThrow(/locked/);
    await expect(db.query('DELETE FROM consent.revisions WHERE object_id = $1', [recordId])).rejects.toThrow(/kept/);
    const { code, text } = await verify();
    expect(text).toMatch(/^All \d+ revisions of \d+ objects verify\.$/m);
    expect(code).toBe(0);
  });

  it('names a past revision whose snapshot was changed, even with its hash re-computed', async () => {
    const { rows } = await built.kernel.db.query<{ id: string; serialized_snapshot: string }>(
      'SELECT id, serialized_snapshot FROM consent.revisions WHERE object_id = $1 AND seq = 1',
      [recordId],
    );
    const forged = rows[0].serialized_snapshot.replace('"optIn":true', '"optIn":false');
    expect(forged).not.toBe(rows[0].serialized_snapshot);

    await tamper('UPDATE consent.revisions SET serialized_snapshot = $2 WHERE id = $1', [rows[0].id, forged]);
    let r = await verify();
    expect(r.code).toBe(1);
    expect(r.text).toContain(`ConsentRecord ${recordId} revision 1 (${rows[0].id}): serializedSnapshot does not match serializedHash`);

    await tamper('UPDATE consent.revisions SET serialized_hash = $2 WHERE id = $1', [rows[0].id, sha1(forged)]);
    r = await verify();
    expect(r.code).toBe(1);
    expect(r.text).toContain(`ConsentRecord ${recordId} revision 1 (${rows[0].id}): the platform signature does not verify`);
    expect(r.text).toContain(`ConsentRecord ${recordId} revision 2`);
    expect(r.text).toContain('predecessorHash does not match the previous revision');

    await tamper('UPDATE consent.revisions SET serialized_snapshot = $2, serialized_hash = $3 WHERE id = $1', [
      rows[0].id,
      rows[0].serialized_snapshot,
      sha1(rows[0].serialized_snapshot),
    ]);
    expect((await verify()).code).toBe(0);
  });
});
