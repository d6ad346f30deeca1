// Notices through Notify, from the service that holds the permission: "about to end" (once)
// and "was used" (the exchange's event; at most once a day), as the citizen chose — and the
// sweep that marks ended permissions for webhooks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { USED_EVENT } from './exchange.js';
import { peopleStore } from './store-people.js';

describe('consent notices', () => {
  let built: TestApp;
  let serviceId: string;
  let agreementId: string;

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    await built.modules.consent.seedDemo();
    serviceId = (await built.modules.catalogue.service.getService('apply-for-a-blue-badge')).id;
    agreementId = (await built.kernel.db.query<{ id: string }>('SELECT id FROM consent.agreements WHERE service_id = $1', [serviceId]))
      .rows[0].id;
    await built.startWorkers();
  });
  afterAll(async () => built?.close());

  async function citizenWithConsent(email: string) {
    const account = await built.modules.identity.accounts.createAccount(email, 'correct horse 42 battery');
    const record = await built.modules.consent.service.citizens.answer({ subject: account.id, agreementId, agree: true });
    return { accountId: account.id, recordId: record.id };
  }
  async function sent(reference: string) {
    for (let i = 0; i < 100; i++) {
      await built.kernel.events.drain();
      const rows = await built.modules.notify.service.search(serviceId, { q: reference, limit: 10, offset: 0 });
      if (rows.length) return rows;
      await new Promise((r) => setTimeout(r, 100));
    }
    return [];
  }

  it('emails a citizen once when a permission is about to end, and marks it when it has ended', async () => {
    const { accountId, recordId } = await citizenWithConsent('ending@example.org');
    await built.modules.consent.service.citizens.change(accountId, recordId, { expiresAt: new Date(Date.now() + 2 * 86400_000) });
    const { notices } = built.modules.consent.service;
    expect((await notices.sweep()).expiring).toBeGreaterThanOrEqual(1);
    const rows = await sent(`consent-expiring-${recordId}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'email', recipient: 'ending@example.org' });
    expect((await notices.sweep()).expiring).toBe(0);

    // Past its end: marked once, with an event for webhooks.
    await built.kernel.db.query(`UPDATE consent.records SET expires_at = now() - interval '1 minute' WHERE id = $1`, [recordId]);
    expect((await notices.sweep()).expired).toBe(1);
    expect((await notices.sweep()).expired).toBe(0);
    const { rows: events } = await built.kernel.db.query(`SELECT type FROM kernel.events WHERE stream = $1 ORDER BY id`, [
      `consent.record:${recordId}`,
    ]);
    expect(events.map((e) => e.type)).toContain('consent.record.expired');
  });

  it('tells a citizen a service used their permission, at most once a day, unless they said not to', async () => {
    const { recordId } = await citizenWithConsent('used@example.org');
    for (let i = 0; i < 2; i++)
      await built.kernel.db.transaction((tx) =>
        built.kernel.events.append(tx, {
          stream: `exchange.release:${i}`,
          type: USED_EVENT,
          payload: { record_id: recordId, consumer_service_id: serviceId },
        }),
      );
    const rows = await sent(`consent-used-${recordId}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(await built.modules.notify.service.search(serviceId, { q: `consent-used-${recordId}`, limit: 10, offset: 0 })).toHaveLength(
      rows.length,
    );
    expect(rows).toHaveLength(1);

    const quiet = await citizenWithConsent('quiet@example.org');
    await peopleStore.savePreferences(built.kernel.db, {
      account_id: quiet.accountId,
      channel: 'none',
      notify_expiry: true,
      notify_use: true,
    });
    expect(await built.modules.consent.service.notices.send(quiet.recordId, 'used')).toBe('skipped');
  });
});
