// The citizen's pages through identity's real sign-in: the list (English and Welsh), one
// agreement's history, limiting and withdrawing it (seen at once by decide), its signed
// receipt, message choices, someone acting for them (invited, evidenced, revoked), and the
// statutory uses the exchange reports, with an objection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactVerify, createLocalJWKSet } from 'jose';
import { startApp, signedInCitizen, errorSummary, type Running, type Browser } from '../identity/testing.js';
import { verifyReceipt } from './receipt.js';
import type { ExchangeView } from './exchange.js';

const PIP = 'dwp/benefits.pip_mobility';
const DLA = 'dwp/benefits.dla_mobility_rate';
const PURPOSE = 'dpv:ServiceProvision';

/** The name the citizen sees for a fact: the exchange's catalogue's when it has it, else the demo agreement's. */
async function factName(run: Running, id: string, lang: 'en' | 'cy' = 'en'): Promise<string> {
  const a = (await run.built.modules.exchange.attributes()).find((x) => x.id === id);
  if (a) return lang === 'cy' && a.nameCy ? a.nameCy : a.name;
  return lang === 'cy' ? 'Cyfradd symudedd y Taliad Annibyniaeth Personol' : 'Personal Independence Payment mobility rate';
}

describe('your data permissions', () => {
  let run: Running;
  let serviceId: string;
  const back = '/services/apply-for-a-blue-badge';

  beforeAll(async () => {
    run = await startApp();
    await run.built.modules.consent.seedDemo();
    serviceId = (await run.built.modules.catalogue.service.getService('apply-for-a-blue-badge')).id;
  });
  afterAll(async () => run?.close());

  async function agree(browser: Browser, fields: Record<string, string> = { choice: 'all' }) {
    const path = run.built.modules.consent.askPath({ consumerServiceId: serviceId, purpose: PURPOSE, attributes: [PIP, DLA], back });
    await browser.go(path);
    const res = await browser.submit('/your-data/permissions/ask', fields);
    return new URL(res.url).searchParams.get('record')!;
  }
  const decide = (subject: string, attributes = [PIP]) =>
    run.built.modules.consent.decide({ subject, consumerServiceId: serviceId, purpose: PURPOSE, attributes });

  it('lists, shows, limits and withdraws an agreement, in English and Welsh', async () => {
    const { browser, accountId } = await signedInCitizen(run, { back: '/your-data/permissions' });
    const recordId = await agree(browser);
    let page = await browser.go('/your-data/permissions');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Permissions to use your data');
    expect(page.body).toContain('Apply for a Blue Badge');
    expect(page.body).toContain(await factName(run, PIP));
    const cy = await browser.go('/your-data/permissions?lang=cy');
    expect(cy.body).toContain('Caniatâd i ddefnyddio eich data');
    expect(cy.body).toContain(await factName(run, PIP, 'cy'));
    await browser.go('/your-data/permissions?lang=en');

    page = await browser.go(`/your-data/permissions/${recordId}`);
    expect(page.body).toContain('Agreed');
    expect(page.body).toContain('Limit this permission');

    // Limit: no facts is an error; a later end is an error; one fact fewer works at once.
    await browser.go(`/your-data/permissions/${recordId}/limit`);
    let res = await browser.submit(`/your-data/permissions/${recordId}/limit`, { facts: '' });
    expect(errorSummary(res.body)).toContain('Select at least one fact, or withdraw the permission instead');
    res = await browser.submit(`/your-data/permissions/${recordId}/limit`, {
      facts: PIP,
      'ends-day': '1',
      'ends-month': '1',
      'ends-year': '2099',
    });
    expect(errorSummary(res.body)).toContain('The end date must be before the date it already ends');
    res = await browser.submit(`/your-data/permissions/${recordId}/limit`, { facts: PIP });
    expect(res.url).toContain('done=limited');
    expect(await decide(accountId, [PIP])).toMatchObject({ allow: true });
    expect(await decide(accountId, [DLA])).toMatchObject({ allow: false, reason: 'attributes_not_covered' });

    await browser.go(`/your-data/permissions/${recordId}/withdraw`);
    res = await browser.submit(`/your-data/permissions/${recordId}/withdraw`);
    expect(res.body).toContain('You have withdrawn this permission');
    expect(await decide(accountId)).toMatchObject({ allow: false, reason: 'withdrawn' });
    page = await browser.go(`/your-data/permissions/${recordId}`);
    expect(page.body).toMatch(/Withdrawn/);
    expect(page.body).toContain('Limited');

    // Someone else never sees it.
    const other = await signedInCitizen(run, { back: '/your-data/permissions' });
    expect((await other.browser.go(`/your-data/permissions/${recordId}`)).status).toBe(404);
    expect((await other.browser.go(`/your-data/permissions/${recordId}/receipt.json`)).status).toBe(404);
  });

  it('gives a signed receipt that anyone can check, as JSON, a page and a PDF', async () => {
    const { browser } = await signedInCitizen(run, { back: '/your-data/permissions' });
    const recordId = await agree(browser);
    const res = await browser.request('GET', `/your-data/permissions/${recordId}/receipt.json`);
    expect(res.headers.get('content-type')).toContain('application/ld+json');
    const receipt = await res.json();
    expect(receipt).toMatchObject({
      '@type': 'dpv:ConsentReceipt',
      'dct:conformsTo': 'https://w3id.org/dpv/schema/dpv-27560#receipt-record',
      'dpv:hasRecordOfActivity': {
        'dct:identifier': recordId,
        'dpv:hasConsentStatus': 'dpv:ConsentGiven',
        'dpv:hasLegalBasis': 'eu-gdpr:A6-1-a',
        'dpv:hasProcess': { 'dpv:hasPurpose': { '@type': PURPOSE } },
      },
    });
    const signer = await run.built.modules.consent.service.ctx.signer();
    expect(verifyReceipt(signer, receipt)).toBe(true);
    expect(verifyReceipt(signer, { ...receipt, 'dct:publisher': 'someone else' })).toBe(false);
    const jwks = await (await fetch(`${run.baseUrl}/consent/.well-known/jwks.json`)).json();
    await compactVerify(receipt.signature, createLocalJWKSet(jwks));
    expect((await browser.go(`/your-data/permissions/${recordId}/receipt`)).body).toContain('Download the signed receipt');
    const pdf = await browser.request('GET', `/your-data/permissions/${recordId}/receipt.pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  });

  it('saves how the citizen wants to hear about their permissions', async () => {
    const { browser } = await signedInCitizen(run, { back: '/your-data/permissions' });
    await browser.go('/your-data/permissions/notifications');
    let res = await browser.submit('/your-data/permissions/notifications', { channel: 'sms', about: 'expiry' });
    expect(errorSummary(res.body)).toContain('Your account has no phone number: add one, or choose email');
    res = await browser.submit('/your-data/permissions/notifications', { channel: 'none' });
    expect(res.body).toContain('Your choices about messages are saved');
  });

  it('lets someone act for a citizen, marks what they give, and stops when revoked', async () => {
    const person = await signedInCitizen(run, { back: '/your-data/permissions' });
    const carer = await signedInCitizen(run, { back: '/your-data/permissions' });
    await person.browser.go('/your-data/permissions/delegates/new');
    let res = await person.browser.submit('/your-data/permissions/delegates/new', {
      relationship: 'attorney',
      delegateName: 'Sam Carer',
      evidenceRef: 'nope',
      'expires-day': '1',
      'expires-month': '1',
      'expires-year': '2020',
    });
    expect(errorSummary(res.body)).toEqual(expect.arrayContaining(['Enter an end date in the future, no more than 5 years away']));
    const year = String(new Date().getUTCFullYear() + 1);
    res = await person.browser.submit('/your-data/permissions/delegates/new', {
      relationship: 'attorney',
      delegateName: 'Sam Carer',
      evidenceRef: 'nope',
      'expires-day': '1',
      'expires-month': '1',
      'expires-year': year,
    });
    expect(errorSummary(res.body)).toEqual(['Enter the reference of the lasting power of attorney, like M-1234-5678-9012']);
    res = await person.browser.submit('/your-data/permissions/delegates/new', {
      relationship: 'attorney',
      delegateName: 'Sam Carer',
      evidenceRef: 'M-DEMO-0000-0009', // a cancelled LPA
      services: serviceId,
      'expires-day': '1',
      'expires-month': '1',
      'expires-year': year,
    });
    let link = /id="invitation-link">([^<]+)</.exec(res.body)![1];
    await carer.browser.go(link);
    res = await carer.browser.submit(new URL(link).pathname, { answer: 'yes' });
    expect(errorSummary(res.body)[0]).toContain('cancelled');

    await person.browser.go('/your-data/permissions/delegates/new');
    res = await person.browser.submit('/your-data/permissions/delegates/new', {
      relationship: 'attorney',
      delegateName: 'Sam Carer',
      evidenceRef: 'M-DEMO-0000-0001',
      services: serviceId,
      'expires-day': '1',
      'expires-month': '1',
      'expires-year': year,
    });
    link = /id="invitation-link">([^<]+)</.exec(res.body)![1];
    expect((await person.browser.go(link)).status).toBe(200);
    res = await person.browser.submit(new URL(link).pathname, { answer: 'yes' });
    expect(errorSummary(res.body)).toContain('You cannot accept your own invitation');
    await carer.browser.go(link);
    res = await carer.browser.submit(new URL(link).pathname, { answer: 'yes' });
    expect(res.body).toContain('You can now act for this person');
    expect((await carer.browser.go(link)).status).toBe(404); // used once

    // The carer answers the request for the person; the record is the person's, marked as delegated.
    const path = run.built.modules.consent.askPath({ consumerServiceId: serviceId, purpose: PURPOSE, attributes: [PIP], back });
    const ask = await carer.browser.go(path);
    const forId =
      /name="for"[^>]*value="([0-9a-f-]{36})"/.exec(ask.body)?.[1] ?? /value="([0-9a-f-]{36})"[^>]*name="for"/.exec(ask.body)?.[1];
    expect(forId).toBeTruthy();
    res = await carer.browser.submit('/your-data/permissions/ask', { choice: 'all', for: forId! });
    expect(res.url).toContain('consent=given');
    expect(await decide(person.accountId)).toMatchObject({ allow: true });
    expect(await decide(carer.accountId)).toMatchObject({ allow: false, reason: 'no_record' });
    const list = await person.browser.go('/your-data/permissions');
    expect(list.body).toContain('Someone acting for you');
    expect(list.body).toContain('Sam Carer');
    const acting = await carer.browser.go(`/your-data/permissions/for/${forId}`);
    expect(acting.status).toBe(200);
    expect(acting.body).toContain('Apply for a Blue Badge');

    // The person stops it; the carer can no longer act.
    res = await person.browser.submit(`/your-data/permissions/delegates/${forId}/revoke`);
    expect(res.body).toContain('That person can no longer act for you');
    expect((await carer.browser.go(`/your-data/permissions/for/${forId}`)).status).toBe(404);
    expect((await carer.browser.go(path)).body).not.toContain('name="for"');
  });

  it('lists statutory uses from the exchange, and records an objection where the law allows', async () => {
    const objections = new Map<string, string>();
    const exchange: ExchangeView = {
      attributes: async () => [],
      object: async (subject, useId, reason) => void objections.set(`${subject}|${useId}`, reason),
      withdrawObjection: async (subject, useId) => void objections.delete(`${subject}|${useId}`),
      statutoryUses: async (subject) => [
        {
          id: 'statute:identity-verification',
          consumerServiceId: serviceId,
          consumerName: 'Identity checks',
          providerName: 'HM Passport Office',
          attributes: [{ id: 'hmpo/passports.valid', name: 'Passport is valid' }],
          law: 'Digital Economy Act 2017, section 35',
          lawUrl: 'https://www.legislation.gov.uk/ukpga/2017/30/section/35',
          purpose: 'Checking who you are',
          objectionAllowed: false,
          objected: false,
        },
        {
          id: 'public-task:council-tax',
          consumerServiceId: serviceId,
          consumerName: 'Council Tax',
          providerName: 'DWP',
          attributes: [{ id: 'dwp/benefits.universal_credit', name: 'Universal Credit' }],
          law: 'Local Government Finance Act 1992',
          purpose: 'Council Tax Reduction',
          objectionAllowed: true,
          objected: objections.has(`${subject}|public-task:council-tax`),
        },
      ],
    };
    const ctx = run.built.modules.consent.service.ctx as { exchange?: ExchangeView };
    const before = ctx.exchange;
    run.built.modules.consent.useExchange(exchange);
    try {
      const { browser } = await signedInCitizen(run, { back: '/your-data/permissions' });
      let page = await browser.go('/your-data/permissions');
      expect(page.body).toContain('Digital Economy Act 2017, section 35');
      expect(page.body).toContain('The law does not allow you to object to this use.');
      page = await browser.go('/your-data/permissions/statutory/public-task%3Acouncil-tax/object');
      expect(page.body).toContain('Local Government Finance Act 1992');
      const res = await browser.submit('/your-data/permissions/statutory/public-task%3Acouncil-tax/object', { reason: 'I pay in full' });
      expect(res.body).toContain('Your objection has been recorded');
      expect(res.body).toContain('You have objected to this use.');
      expect([...objections.values()]).toEqual(['I pay in full']);
    } finally {
      ctx.exchange = before;
    }
  });
});
