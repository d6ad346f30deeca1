// Messages on each use of a citizen's data, as they chose on /your-data: through Notify from the
// Cityscape account service, once per use and channel, only for released uses they can see
// (never a refusal, never a covert use before its release), never for someone who did not ask.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { exchangeApp, blueBadgeHeaders, ALEX, DWP_ENTITLEMENT, type ExchangeRun } from './testing.js';
import { store } from './store.js';
import { TEMPLATES } from './alerts.js';

let run: ExchangeRun;
let sender: string;
const alexQuery = `?${new URLSearchParams(ALEX)}`;

beforeAll(async () => {
  run = await exchangeApp();
  const { catalogue } = run.built.modules;
  // The sending service the demo seeds (identity's "Cityscape account"); the templates come with the exchange's seed.
  sender = (
    await catalogue.service.createService({ kind: 'cli' }, {
      slug: 'cityscape-account',
      name: 'Cityscape account',
      summary: 'Your Cityscape account',
      phase: 'beta',
      organisation_slug: 'department-for-citizenship-and-records',
    } as any)
  ).id;
  await run.built.modules.exchange.seedDemo();
  await run.built.startWorkers();
});
afterAll(async () => run?.close());

async function citizen(alerts: { email: boolean; sms: boolean }, phone: string | null = null) {
  const email = `uses.${randomUUID().slice(0, 8)}@example.org`;
  const a = await run.built.modules.identity.accounts.createAccount(email, 'correct horse 42 battery');
  if (phone) await run.built.kernel.db.query('UPDATE identity.accounts SET phone = $2 WHERE id = $1', [a.id, phone]);
  await store.setAlerts(run.built.kernel.db, a.id, alerts);
  return { id: a.id, email };
}
const messages = (reference: string) =>
  run.built.modules.notify.service.search(sender, { q: reference, limit: 10, offset: 0 }) as Promise<
    Array<{ type: string; recipient: string; body: string; subject: string | null }>
  >;
async function waitForMessages(reference: string, n: number) {
  for (let i = 0; i < 100; i++) {
    await run.built.kernel.events.drain();
    const rows = await messages(reference);
    if (rows.length >= n) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return messages(reference);
}
async function use(subject: string, over: Record<string, string> = {}) {
  const res = await run.r1('GET', `/r1/${DWP_ENTITLEMENT}${alexQuery}`, blueBadgeHeaders(run, subject, over));
  return { status: res.status, index: Number(res.headers.get('exchange-log-index')) };
}

describe('a message on each use of my data', () => {
  it('the demo seed puts both plain templates on the sending service', async () => {
    const names = (await run.built.modules.notify.service.templates(sender, null)).map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining([TEMPLATES.email.name, TEMPLATES.sms.name]));
  });

  it('emails and texts the citizen who asked, once per use, saying who, what, why and where to see it', async () => {
    const c = await citizen({ email: true, sms: true }, '+447700900123');
    const u = await use(c.id);
    expect(u.status).toBe(200);
    const rows = await waitForMessages(`exchange-use-${u.index}`, 2);
    expect(rows.map((r) => r.type).sort()).toEqual(['email', 'sms']);
    const email = rows.find((r) => r.type === 'email')!;
    expect(email.recipient).toBe(c.email);
    expect(email.subject).toContain('Riverside');
    expect(email.body).toContain(
      'Apply for a Blue Badge (Riverside City Council) got information about you from Department for Work and Families (DWP)',
    );
    expect(email.body).toContain('PIP mobility component rate');
    expect(email.body).toContain('Why: To provide the service you asked for.');
    expect(email.body).toContain(`/your-data/uses/${u.index}`);
    expect(rows.find((r) => r.type === 'sms')!.recipient).toContain('7700900123');
    // Each use is messaged once, however often the outbox is read.
    await run.built.kernel.events.drain();
    await new Promise((r) => setTimeout(r, 300));
    expect(await messages(`exchange-use-${u.index}`)).toHaveLength(2);
  });

  it('sends nothing to someone who did not ask, for a refusal, or for a covert use before its release', async () => {
    const quiet = await citizen({ email: false, sms: false });
    const told = await citizen({ email: true, sms: false });
    const a = await use(quiet.id);
    const refused = await use(told.id, { 'exchange-purpose': 'dpv:Marketing' });
    expect(a.status).toBe(200);
    expect(refused.status).toBe(403);
    // A covert use: the same entry, hidden from the citizen until a release date.
    const covert = await use(told.id);
    await run.built.kernel.db.query(`UPDATE exchange.log_entries SET visible_from = now() + interval '30 days' WHERE leaf_index = $1`, [
      covert.index,
    ]);
    const control = await use(told.id);
    expect((await waitForMessages(`exchange-use-${control.index}`, 1)).length).toBe(1);
    for (const i of [a.index, refused.index]) expect(await messages(`exchange-use-${i}`)).toHaveLength(0);
    // Hidden until its release date: the send itself holds it back (and it sends the visible one).
    expect(await run.built.modules.exchange.useAlerts.send(covert.index, 'email')).toBe('skipped');
    expect(await run.built.modules.exchange.useAlerts.send(control.index, 'email')).toBe('sent');
  });
});
