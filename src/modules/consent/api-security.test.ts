// What the Consent API refuses: another organisation's agreements, records, individuals and
// policies (never found), another individual's records, a signature that does not verify,
// and fuzzed input (NUL bytes, lone surrogates, huge numbers, 1 MB strings, wrong types) —
// always a 4xx in the API's error shape, never a 500. Also: the draft → sign → paired flow,
// and webhooks delivered, signed and retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { api, consentKey } from './testing.js';
import { signWebhook } from './webhooks.js';

describe('Consent API: isolation, signatures, bad input, webhooks', () => {
  let built: TestApp;
  let a: ReturnType<typeof api>; // Riverside City Council (Blue Badge)
  let b: ReturnType<typeof api>; // another organisation
  let agreementId: string;
  let individualA: string;
  let individualB: string;
  let recordA: string;

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    a = api(built, await consentKey(built, 'apply-for-a-blue-badge'));
    b = api(built, await consentKey(built, 'tax-your-vehicle'));
    const created = await a('POST', '/consent/config/data-agreement/', {
      dataAgreement: {
        purpose: 'Check your benefits',
        lawfulBasis: 'consent',
        dataAttributes: [
          { id: 'dwp/benefits.pip_award', name: 'PIP award' },
          { id: 'dwp/benefits.dla_mobility', name: 'DLA mobility' },
        ],
      },
    });
    agreementId = created.json.dataAgreement.id;
    individualA = (await a('POST', '/consent/service/individual/', { individual: { externalId: 'A' } })).json.individual.id;
    individualB = (await a('POST', '/consent/service/individual/', { individual: { externalId: 'B' } })).json.individual.id;
    recordA = (
      await a('POST', `/consent/service/individual/record/data-agreement/${agreementId}/`, undefined, {
        'x-consentbb-individualid': individualA,
      })
    ).json.consentRecord.id;
  });
  afterAll(async () => built?.close());

  it('an organisation never reads another organisation’s agreements, records, individuals or policies', async () => {
    const policyId = (await a('GET', `/consent/config/data-agreement/${agreementId}`)).json.dataAgreement.policy?.id;
    const paths = [
      `/consent/config/data-agreement/${agreementId}/`,
      `/consent/service/data-agreement/${agreementId}/`,
      `/consent/audit/data-agreement/${agreementId}/`,
      `/consent/config/individual/${individualA}/`,
      `/consent/service/verification/consent-record/${recordA}/`,
      `/consent/audit/consent-record/${recordA}/`,
      ...(policyId ? [`/consent/config/policy/${policyId}/`] : []),
    ];
    for (const p of paths) expect((await b('GET', p)).status, p).toBe(404);
    for (const p of [
      '/consent/config/data-agreements/',
      '/consent/audit/consent-records/',
      '/consent/config/individuals/',
      '/consent/service/verification/consent-records/',
    ]) {
      const r = await b('GET', p);
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.json)).not.toContain(agreementId);
      expect(JSON.stringify(r.json)).not.toContain(individualA);
    }
    // Naming A's individual or agreement does not help B.
    expect(
      (
        await b('POST', `/consent/service/individual/record/data-agreement/${agreementId}/`, undefined, {
          'x-consentbb-individualid': individualA,
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await b(
          'PUT',
          `/consent/service/individual/record/consent-record/${recordA}/`,
          { optIn: false },
          { 'x-consentbb-individualid': individualA },
        )
      ).status,
    ).toBe(404);
    expect((await b('PUT', `/consent/config/data-agreement/${agreementId}/`, { dataAgreement: { purpose: 'mine' } })).status).toBe(404);
    expect(
      (
        await b('POST', '/consent/config/data-agreement/', {
          dataAgreement: { purpose: 'x', serviceId: (await built.modules.catalogue.service.getService('apply-for-a-blue-badge')).id },
        })
      ).status,
    ).toBe(400);
  });

  it('an individual never reads another individual’s records', async () => {
    const asB = { 'x-consentbb-individualid': individualB };
    expect((await a('GET', `/consent/service/individual/record/data-agreement/${agreementId}/`, undefined, asB)).status).toBe(404);
    expect((await a('GET', '/consent/service/individual/record/consent-record/', undefined, asB)).json.consentRecords).toEqual([]);
    expect((await a('PUT', `/consent/service/individual/record/consent-record/${recordA}/`, { optIn: false }, asB)).status).toBe(404);
    expect(
      (await a('POST', `/consent/service/individual/record/consent-record/${recordA}/signature/`, { signature: {} }, asB)).status,
    ).toBe(404);
  });

  it('drafts a record, takes the individual’s signature over it, and refuses one that does not verify', async () => {
    const ind = (await a('POST', '/consent/service/individual/', { individual: { externalId: 'signer' } })).json.individual.id;
    const draft = await a(
      'POST',
      `/consent/service/individual/record/consent-record/draft/?individualId=${ind}&dataAgreementId=${agreementId}`,
    );
    expect(draft.status).toBe(200);
    expect(draft.json.consentRecord).toMatchObject({ dataAgreementId: agreementId, individualId: ind, optIn: true });
    expect(draft.json.consentRecord.id).toBeUndefined();
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = JSON.stringify(publicKey.export({ format: 'jwk' }));
    const payload = draft.json.signature.payload;
    const good = sign(null, Buffer.from(payload), privateKey).toString('base64url');
    const bad = await a('POST', '/consent/service/individual/record/consent-record/', {
      consentRecord: draft.json.consentRecord,
      signature: { ...draft.json.signature, signature: good.replace(/^./, good[0] === 'A' ? 'B' : 'A'), verificationMethod: jwk },
    });
    expect(bad.status).toBe(400);
    const paired = await a('POST', '/consent/service/individual/record/consent-record/', {
      consentRecord: draft.json.consentRecord,
      signature: { ...draft.json.signature, signature: good, verificationMethod: jwk, verificationSignedBy: 'signer' },
    });
    expect(paired.status).toBe(200);
    expect(paired.json.consentRecord).toMatchObject({ state: 'signed', signatureId: paired.json.signature.id });
    expect(paired.json.signature).toMatchObject({
      signature: good,
      verificationSignedBy: 'signer',
      objectReference: paired.json.revision.id,
    });

    // Sign an existing record: ask for a Signature, sign its payload, put it back.
    const pending = await a('POST', `/consent/service/individual/record/consent-record/${recordA}/signature/`, {
      signature: { verificationMethod: jwk },
    });
    expect(pending.json.signature).toMatchObject({ signature: '', objectType: 'revision' });
    const sig = sign(null, Buffer.from(pending.json.signature.payload), privateKey).toString('base64url');
    const done = await a('PUT', `/consent/service/individual/record/consent-record/${recordA}/signature/`, {
      signature: { signature: sig },
    });
    expect(done.status).toBe(200);
    const record = await a('GET', `/consent/service/verification/consent-record/${recordA}/`);
    expect(record.json.consentRecord).toMatchObject({ state: 'signed', signatureId: done.json.signature.id });
  });

  it('answers fuzzed input with a 4xx in the API’s shape, never a 500', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    const bodies: unknown[] = [
      { dataAgreement: { purpose: 'nul \u0000 byte', lawfulBasis: 'consent' } },
      { dataAgreement: { purpose: 'lone \ud800 surrogate', lawfulBasis: 'consent' } },
      { dataAgreement: { purpose: 'x', durationDays: 1e300 } },
      { dataAgreement: { purpose: 'x', durationDays: -1 } },
      { dataAgreement: { purpose: big } },
      { dataAgreement: { purpose: 'x'.repeat(600) } },
      { dataAgreement: { purpose: ['array'], lawfulBasis: 'consent' } },
      { dataAgreement: { purpose: 'x', dataAttributes: 'nope' } },
      { dataAgreement: { purpose: 'x', dataAttributes: [{ id: '../../etc', name: 'x' }] } },
      { dataAgreement: { purpose: 'x', policy: { id: 'not-a-uuid' } } },
      { dataAgreement: null },
      [],
      'just a string',
      '12345678901234567890123',
    ];
    for (const body of bodies) {
      const r = await a('POST', '/consent/config/data-agreement/', typeof body === 'string' ? JSON.stringify(body) : body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBeLessThan(500);
      expect(r.json).toMatchObject({ errorCode: r.status, errorDescription: expect.any(String) });
    }
    const paths = [
      ['GET', '/consent/config/policies/?offset=99999999999999999999'],
      ['GET', '/consent/config/policies/?limit=abc'],
      ['GET', '/consent/config/data-agreement/%00/'],
      ['GET', `/consent/service/verification/consent-records/?dataAgreementId=%00`],
      ['GET', `/consent/service/verification/consent-records/?optIn=perhaps`],
      ['PUT', `/consent/service/individual/record/consent-record/${recordA}/`],
      ['POST', `/consent/service/individual/record/consent-record/draft/?individualId=${individualA}`],
      ['POST', '/consent/config/webhook/'],
    ];
    for (const [method, url] of paths) {
      const r = await a(method, url, method === 'GET' ? undefined : {}, { 'x-consentbb-individualid': individualA });
      expect(r.status, url).toBeGreaterThanOrEqual(400);
      expect(r.status, url).toBeLessThan(500);
      expect(r.json.errorCode).toBe(r.status);
    }
    for (const header of ['\u0000', 'x'.repeat(5000), "'; DROP TABLE consent.records; --"]) {
      const r = await a('GET', '/consent/service/individual/record/consent-record/', undefined, {
        'x-consentbb-individualid': encodeURIComponent(header),
      });
      expect(r.status).toBeLessThan(500);
    }
  });

  it('delivers webhooks signed, and retries until the receiver accepts', async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    let failFirst = true;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = failFirst ? 500 : 200;
        failFirst = false;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const created = await a('POST', '/consent/config/webhook/', {
        webhook: { payloadUrl: url, contentType: 'application/json', subscribedEvents: ['consent.disallowed'] },
      });
      expect(created.status).toBe(200);
      const secret = created.json.webhook.secretKey;
      expect(secret.length).toBeGreaterThan(20);
      const read = await a('GET', `/consent/config/webhook/${created.json.webhook.id}/`);
      expect(read.json.webhook.secretKey).toMatch(/^••••/);
      expect((await b('GET', `/consent/config/webhook/${created.json.webhook.id}/`)).status).toBe(404);
      expect(
        (await a('POST', '/consent/config/webhook/', { webhook: { payloadUrl: 'ftp://x', subscribedEvents: ['consent.allowed'] } })).status,
      ).toBe(400);

      await built.startWorkers();
      await a(
        'PUT',
        `/consent/service/individual/record/consent-record/${recordA}/`,
        { optIn: false },
        { 'x-consentbb-individualid': individualA },
      );
      await built.kernel.events.drain();
      const delivered = async () => {
        for (let i = 0; i < 600; i++) {
          const d = (await a('GET', `/consent/config/webhook/${created.json.webhook.id}/deliveries/`)).json.deliveries;
          if (d.some((x: { status: string }) => x.status === 'delivered')) return d;
          await new Promise((r) => setTimeout(r, 100));
          if (i % 20 === 19) built.kernel.jobs.wake('consent.webhook-delivery');
        }
        throw new Error(`not delivered: ${JSON.stringify(received.map((x) => x.body))}`);
      };
      const deliveries = await delivered();
      expect(deliveries[0]).toMatchObject({ type: 'consent.disallowed', attempts: 2 });
      const last = received[received.length - 1];
      const body = JSON.parse(last.body);
      expect(body).toMatchObject({
        type: 'consent.disallowed',
        webhookID: created.json.webhook.id,
        data: { consentRecordId: recordA, individualId: individualA, optIn: false },
      });
      const [, t, sig] = /^t=(\d+),sig=([0-9a-f]{64})$/.exec(String(last.headers['x-consentbb-signature']))!;
      expect(sig).toBe(signWebhook(secret, t, last.body));
      expect(last.headers['x-igrant-signature']).toBe(last.headers['x-consentbb-signature']);
    } finally {
      server.close();
    }
  });
});
