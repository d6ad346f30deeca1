// consent.decide and consent.askPath through identity's real sign-in: a citizen is asked,
// agrees (to all or some facts) or declines, the service carries on either way, and a
// withdrawal is seen by the very next decide — in this app and in a second app on the same
// database (as another process would be).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, signedInCitizen, type Running } from '../identity/testing.js';
import { secondApp } from './testing.js';
import type { BuiltApp } from '../../app.js';

const PIP = 'dwp/benefits.pip_mobility';
const DLA = 'dwp/benefits.dla_mobility_rate';
const PURPOSE = 'dpv:ServiceProvision';

/** The name the citizen sees for a fact: the exchange's catalogue's when it has it, else the demo agreement's. */
async function factName(run: Running, id: string, lang: 'en' | 'cy' = 'en'): Promise<string> {
  const a = (await run.built.modules.exchange.attributes()).find((x) => x.id === id);
  if (a) return lang === 'cy' && a.nameCy ? a.nameCy : a.name;
  return lang === 'cy' ? 'Cyfradd symudedd y Taliad Annibyniaeth Personol' : 'Personal Independence Payment mobility rate';
}

describe('consent.decide and the request page', () => {
  let run: Running;
  let other: BuiltApp;
  let serviceId: string;
  const back = '/services/apply-for-a-blue-badge';

  beforeAll(async () => {
    run = await startApp();
    await run.built.modules.consent.seedDemo();
    serviceId = (await run.built.modules.catalogue.service.getService('apply-for-a-blue-badge')).id;
    other = await secondApp(run.built);
  });
  afterAll(async () => {
    await other?.close();
    await run?.close();
  });

  const decide = (m: BuiltApp['modules'], subject: string, attributes = [PIP]) =>
    m.consent.decide({ subject, consumerServiceId: serviceId, purpose: PURPOSE, attributes });

  it('answers no_record before anything is asked, and for nonsense', async () => {
    const { consent } = run.built.modules;
    expect(await decide(run.built.modules, '8f0c1a52-3d0e-4c55-9d7f-2a8b9f1e0c11')).toMatchObject({
      allow: false,
      basis: null,
      reason: 'no_record',
    });
    expect(await consent.decide({ subject: 'not-a-uuid', consumerServiceId: serviceId, purpose: PURPOSE, attributes: [] })).toMatchObject({
      allow: false,
      reason: 'no_record',
    });
  });

  it('asks, records agreement to all facts, and returns to the service', async () => {
    const { consent } = run.built.modules;
    const path = consent.askPath({ consumerServiceId: serviceId, purpose: PURPOSE, attributes: [PIP, DLA], back });
    expect(path).toMatch(/^\/your-data\/permissions\/ask\?/);
    const { browser, accountId } = await signedInCitizen(run, { back: path });
    const page = await browser.go(path);
    expect(page.status).toBe(200);
    expect(page.body).toContain(await factName(run, PIP));
    expect(page.body).toContain('Department for Work and Pensions');
    expect(page.body).toContain('Riverside City Council');
    expect(page.body).toContain('3 months');

    // No choice: an error summary, nothing recorded.
    let res = await browser.submit('/your-data/permissions/ask', {});
    expect(res.status).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('Select whether you agree');
    res = await browser.submit('/your-data/permissions/ask', { choice: 'all' });
    expect(res.url).toMatch(new RegExp(`${back}\\?consent=given&record=[0-9a-f-]{36}$`));

    const d = await decide(run.built.modules, accountId, [PIP, DLA]);
    expect(d).toMatchObject({ allow: true, basis: 'consent', allowedAttributes: [PIP, DLA] });
    expect(d.recordId).toBe(new URL(res.url).searchParams.get('record'));
    expect(Date.parse(d.expiresAt!)).toBeGreaterThan(Date.now() + 89 * 86400_000);
    // Another purpose, another service, or a fact not in the agreement: not allowed.
    expect(
      await consent.decide({ subject: accountId, consumerServiceId: serviceId, purpose: 'dpv:Marketing', attributes: [PIP] }),
    ).toMatchObject({
      allow: false,
      reason: 'no_record',
    });
    expect(await decide(run.built.modules, accountId, [PIP, 'hmrc/income.paye'])).toMatchObject({
      allow: false,
      reason: 'attributes_not_covered',
      allowedAttributes: [PIP],
    });
    // Past its end: expired.
    expect(
      await consent.decide({
        subject: accountId,
        consumerServiceId: serviceId,
        purpose: PURPOSE,
        attributes: [PIP],
        at: new Date(Date.now() + 200 * 86400_000),
      }),
    ).toMatchObject({
      allow: false,
      reason: 'expired',
    });
  });

  it('agrees to some facts only, or declines and carries on', async () => {
    const { consent } = run.built.modules;
    const path = consent.askPath({ consumerServiceId: serviceId, purpose: PURPOSE, attributes: [PIP, DLA], back });
    const { browser, accountId } = await signedInCitizen(run, { back: path });
    await browser.go(path);
    let res = await browser.submit('/your-data/permissions/ask', { choice: 'some' });
    expect(res.body).toContain('Select the facts they can check');
    res = await browser.submit('/your-data/permissions/ask', { choice: 'some', facts: DLA });
    expect(res.url).toContain('consent=given');
    expect(await decide(run.built.modules, accountId, [DLA])).toMatchObject({ allow: true, allowedAttributes: [DLA] });
    expect(await decide(run.built.modules, accountId, [PIP])).toMatchObject({
      allow: false,
      reason: 'attributes_not_covered',
      allowedAttributes: [],
    });

    const second = await signedInCitizen(run, { back: path });
    await second.browser.go(path);
    res = await second.browser.submit('/your-data/permissions/ask', { choice: 'no' });
    expect(res.url).toBe(`${run.baseUrl}${back}?consent=declined`);
    expect(await decide(run.built.modules, second.accountId)).toMatchObject({ allow: false, reason: 'declined' });
  });

  it('sends a citizen who is not signed in to sign in, and refuses a link that leaves the site', async () => {
    const { consent } = run.built.modules;
    const res = await run.built.app.inject({
      method: 'GET',
      url: consent.askPath({ consumerServiceId: serviceId, purpose: PURPOSE, attributes: [PIP], back }),
      headers: { accept: 'text/html' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/identity\/sign-in\?return_to=%2Fyour-data%2Fpermissions%2Fask/);
    const { browser } = await signedInCitizen(run, { back });
    const bad = await browser.go(
      consent.askPath({ consumerServiceId: serviceId, purpose: PURPOSE, attributes: [PIP], back: 'https://evil.example/' }),
    );
    expect(bad.status).toBe(400);
    const none = await browser.go(consent.askPath({ consumerServiceId: serviceId, purpose: 'dpv:Marketing', attributes: [PIP], back }));
    expect(none.body).toContain('Continue without checking');
    expect(none.body).toContain(`${back}?consent=declined`);
  });

  it('a withdrawal is effective for the very next decide, here and in another process', async () => {
    const { consent } = run.built.modules;
    const path = consent.askPath({ consumerServiceId: serviceId, purpose: PURPOSE, attributes: [PIP], back });
    const { browser, accountId } = await signedInCitizen(run, { back: path });
    await browser.go(path);
    const res = await browser.submit('/your-data/permissions/ask', { choice: 'all' });
    const recordId = new URL(res.url).searchParams.get('record')!;
    // The writer knows the other process is listening (it pings every second).
    for (let i = 0; i < 100 && consent.service.ctx.decider.peerCount() < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const changes: string[] = [];
    const stop = other.modules.consent.onChange((s) => changes.push(s));
    // Both processes have it cached as allowed.
    expect((await decide(run.built.modules, accountId)).allow).toBe(true);
    expect((await decide(other.modules, accountId)).allow).toBe(true);
    expect((await decide(other.modules, accountId)).allow).toBe(true);

    await consent.service.citizens.change(accountId, recordId, { optIn: false });
    expect(await decide(run.built.modules, accountId)).toMatchObject({ allow: false, reason: 'withdrawn', recordId });
    expect(await decide(other.modules, accountId)).toMatchObject({ allow: false, reason: 'withdrawn', recordId });
    expect(changes).toContain(accountId);
    stop();
  });
});
