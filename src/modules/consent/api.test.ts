// The GovStack Consent API through HTTP: keys and the error shape, policies and agreements
// with their signed revision chains (checked against the published JWKS with jose), bodies
// validated against the spec's own schemas, individuals and consent records (header, query
// parameter, form-encoded opt-out as the reference tests send it), verification and audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { compactVerify, createLocalJWKSet } from 'jose';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { api, consentKey } from './testing.js';

const spec = parse(readFileSync(new URL('../../../specs/govstack-consent/consent-openapi.yaml', import.meta.url), 'utf8'));
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
for (const [name, schema] of Object.entries(spec.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
function conforms(name: string, value: unknown) {
  const v = ajv.getSchema(`#/components/schemas/${name}`)!;
  expect(v(value), `${name}: ${JSON.stringify(v.errors)}`).toBe(true);
}

describe('GovStack Consent API', () => {
  let built: TestApp;
  let call: ReturnType<typeof api>;
  let auditor: ReturnType<typeof api>;
  let agreementId: string;
  let policyId: string;
  let key: string;

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    key = await consentKey(built, 'apply-for-a-blue-badge');
    call = api(built, key);
    auditor = api(built, await consentKey(built, 'apply-for-a-blue-badge', 'team'));
  });
  afterAll(async () => built?.close());

  it('needs a consent key, and answers errors as { errorCode, errorDescription }', async () => {
    const none = await api(built, null)('GET', '/consent/config/policies/');
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ errorCode: 401, errorDescription: expect.stringContaining('ApiKey') });
    const payKey = (
      await built.modules.catalogue.service.createApiKey(
        { kind: 'cli' },
        { serviceSlug: 'apply-for-a-blue-badge', platform: 'pay', type: 'live' },
      )
    ).secret;
    expect((await api(built, payKey)('GET', '/consent/config/policies/')).status).toBe(401);
    const bearer = await built.app.inject({ method: 'GET', url: '/consent/config/policies', headers: { authorization: `Bearer ${key}` } });
    expect(bearer.statusCode).toBe(200);
    const missing = await call('GET', '/consent/config/policy/not-an-id/');
    expect(missing.status).toBe(404);
    expect(missing.json.errorCode).toBe(404);
    expect((await call('GET', '/consent/nothing-here')).json).toMatchObject({ errorCode: 404 });
    expect((await call('POST', '/consent/config/policy/', '{"policy": ')).json).toMatchObject({ errorCode: 400 });
    expect((await call('GET', '/consent/config/policies/?limit=0')).json).toMatchObject({ errorCode: 400 });
  });

  it('documents every path of the spec in /openapi.json', async () => {
    const doc = (await built.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const ours = Object.keys(doc.paths).map((p) => p.replace(/\/$/, ''));
    for (const [path, ops] of Object.entries(spec.paths as Record<string, object>)) {
      const want = `/consent${path}`.replace(/\/$/, '');
      expect(ours, want).toContain(want);
      const have = doc.paths[`${want}/`] ?? doc.paths[want];
      for (const op of Object.keys(ops)) expect(have[op], `${op} ${want}`).toBeDefined();
    }
    expect(doc.components.securitySchemes.consentApiKey).toMatchObject({ type: 'apiKey', name: 'Authorization' });
  });

  it('routes every path and operation of the spec, with and without the trailing slash, never to a missing route', async () => {
    const id = '7d8f0f2e-3b7c-4b0e-9d3c-8d2b1b2e1a11';
    const notRouted = (await call('GET', '/consent/nothing-here/')).json.errorDescription;
    let checked = 0;
    for (const [path, ops] of Object.entries(spec.paths as Record<string, object>)) {
      for (const op of Object.keys(ops)) {
        for (const url of [`/consent${path}`, `/consent${path}`.replace(/\/$/, '')].map((u) => u.replace(/\{[^}]+\}/g, id))) {
          const r = await call(op.toUpperCase(), url, op === 'get' || op === 'delete' ? undefined : {}, { 'x-consentbb-individualid': id });
          expect(r.status, `${op} ${url}`).toBeLessThan(500);
          expect(r.json, `${op} ${url}`).toMatchObject({});
          if (r.status === 404) expect(r.json.errorDescription, `${op} ${url}`).not.toBe(notRouted);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(80);
  });

  it('answers what GovStack’s building-block test suite calls first: the status check, a flat Policy body', async () => {
    for (const url of ['/consent/status/startup/', '/consent/status/startup']) {
      const r = await built.app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.json()).toEqual({ status: 'OK' });
    }
    const flat = await call('POST', '/consent/config/policy/', {
      name: 'Test data policy',
      jurisdiction: 'EU',
      version: '1.0',
      url: 'https://example.com',
    });
    expect(flat.status).toBe(200);
    expect(flat.json.policy).toMatchObject({ name: 'Test data policy', jurisdiction: 'EU', version: '1.0', url: 'https://example.com' });
    conforms('Revision', flat.json.revision);
    expect((await call('POST', '/consent/config/policy/', { name: 42 })).status).toBe(400);
  });

  it('keeps policies with signed revisions, with and without trailing slashes', async () => {
    const created = await call('POST', '/consent/config/policy/', {
      policy: {
        name: 'Riverside privacy notice',
        version: '1.0',
        url: 'https://riverside.example/privacy',
        jurisdiction: 'GB',
        dataRetentionPeriodDays: 365,
      },
    });
    expect(created.status).toBe(200);
    conforms('Policy', created.json.policy);
    conforms('Revision', created.json.revision);
    policyId = created.json.policy.id;
    expect(created.json.revision).toMatchObject({ schemaName: 'Policy', objectId: policyId, predecessorHash: '' });
    expect(created.json.revision.authorizedByOther).toMatch(/^apikey:/);

    const updated = await call('PUT', `/consent/config/policy/${policyId}`, {
      policy: { name: 'Riverside privacy notice', version: '1.1', url: 'https://riverside.example/privacy/1.1' },
    });
    expect(updated.status).toBe(200);
    expect(updated.json.revision.predecessorHash).toBe(created.json.revision.serializedHash);
    expect(updated.json.revision.predecessorSignature).toBe(created.json.revision.signature);

    const read = await call('GET', `/consent/config/policy/${policyId}/`);
    expect(read.json.policy.version).toBe('1.1');
    const old = await call('GET', `/consent/service/policy/${policyId}?revisionId=${created.json.revision.id}`);
    expect(old.json.policy.version).toBe('1.0');
    const revisions = await call('GET', `/consent/config/policy/${policyId}/revisions`);
    expect(revisions.json.revisions).toHaveLength(2);
    expect(revisions.json.pagination).toMatchObject({
      currentPage: 1,
      totalItems: 2,
      totalPages: 1,
      limit: 10,
      hasPrevious: false,
      hasNext: false,
    });
    const list = await call('GET', '/consent/config/policies?limit=1');
    expect(list.json.policies).toHaveLength(1);
    expect(list.json.pagination.limit).toBe(1);
    expect((await call('POST', '/consent/config/policy/', { policy: { name: 'No URL' } })).json).toMatchObject({ errorCode: 400 });

    // Anyone can check a revision's signature with the published keys.
    const jwks = (await built.app.inject({ method: 'GET', url: '/consent/.well-known/jwks.json' })).json();
    const { payload } = await compactVerify(updated.json.revision.signature, createLocalJWKSet(jwks));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
      objectId: policyId,
      serializedHash: updated.json.revision.serializedHash,
      seq: 2,
    });
  });

  it('creates data agreements in the spec’s shape and the reference implementation’s', async () => {
    const spec = await call('POST', '/consent/config/data-agreement/', {
      dataAgreement: {
        version: '1.0.0',
        controller: { id: 'riverside', name: 'Riverside City Council', url: 'https://riverside.example' },
        policy: { id: policyId },
        purpose: 'Check your benefits',
        lawfulBasis: 'consent',
        dataUse: 'data_using_service',
        dpia: 'DPIA 2024-17',
        active: true,
        forgettable: true,
        lifecycle: { id: 'complete', name: 'Complete' },
      },
    });
    expect(spec.status).toBe(200);
    conforms('DataAgreement', spec.json.dataAgreement);
    conforms('Revision', spec.json.revision);
    expect(spec.json.dataAgreement).toMatchObject({
      controller: { name: 'Riverside City Council' },
      policy: { id: policyId, version: '1.1' },
      forgettable: true,
    });
    agreementId = spec.json.dataAgreement.id;

    const reference = await call('POST', '/consent/config/data-agreement', {
      dataAgreement: {
        version: '1.0.0',
        controllerName: 'Riverside City Council',
        controllerUrl: 'https://riverside.example',
        policy: { name: 'Inline policy', version: '1', url: 'https://riverside.example/inline' },
        purpose: 'Contact preferences',
        purposeDescription: 'How we contact you',
        lawfulBasis: 'consent',
        methodOfUse: 'null',
        dpiaDate: '2024-01-01',
        dpiaSummaryUrl: 'https://riverside.example/dpia',
        lifecycle: 'complete',
        dataAttributes: [
          { name: 'Email', description: 'Your email address', sensitivity: false, category: 'contact' },
          { name: 'Phone', description: 'Your phone number', sensitivity: false, category: 'contact' },
        ],
      },
    });
    expect(reference.status).toBe(200);
    expect(reference.json.dataAgreement.dataAttributes.map((a: { id: string }) => a.id)).toEqual(['email', 'phone']);
    expect(reference.json.dataAgreement.policy.name).toBe('Inline policy');

    const updated = await call('PUT', `/consent/config/data-agreement/${agreementId}/`, {
      dataAgreement: { purpose: 'Check your disability benefits' },
    });
    expect(updated.json.dataAgreement).toMatchObject({ version: '2.0.0', purpose: 'Check your disability benefits', dpia: 'DPIA 2024-17' });
    expect(updated.json.revision.predecessorHash).toBe(spec.json.revision.serializedHash);
    const revs = await call('GET', `/consent/config/data-agreement/${agreementId}/revisions/`);
    expect(revs.json.revisions.map((r: { schemaName: string }) => r.schemaName)).toEqual(['DataAgreement', 'DataAgreement']);
    const list = await call('GET', '/consent/config/data-agreements/');
    expect(list.json.dataAgreements.length).toBe(list.json.dataAgreement.length);
    expect(list.json.dataAgreements.map((a: { id: string }) => a.id)).toContain(agreementId);
    expect((await call('DELETE', `/consent/config/policy/${policyId}/`)).json.errorDescription).toContain('active data agreement');
    for (const bad of [
      {},
      { dataAgreement: { purpose: '' } },
      { dataAgreement: { purpose: 'x', lawfulBasis: 'because' } },
      { dataAgreement: { purpose: 'x', active: 'maybe' } },
    ])
      expect((await call('POST', '/consent/config/data-agreement/', bad)).status).toBe(400);
    // An auditor key reads but never changes.
    expect((await auditor('GET', `/consent/config/data-agreement/${agreementId}`)).status).toBe(200);
    expect((await auditor('PUT', `/consent/config/data-agreement/${agreementId}`, { dataAgreement: { purpose: 'no' } })).status).toBe(403);
  });

  it('records consent for individuals named by header or query parameter', async () => {
    const ind = await call('POST', '/consent/config/individual/', {
      individual: { externalId: 'RCC-1234', externalIdType: 'council reference' },
    });
    expect(ind.status).toBe(200);
    conforms('Individual', ind.json.individual);
    const individualId = ind.json.individual.id;
    const header = { 'x-consentbb-individualid': individualId };

    const created = await call('POST', `/consent/service/individual/record/data-agreement/${agreementId}/`, undefined, header);
    expect(created.status).toBe(200);
    conforms('ConsentRecord', created.json.consentRecord);
    conforms('Revision', created.json.revision);
    expect(created.json.consentRecord).toMatchObject({
      dataAgreementId: agreementId,
      individualId,
      optIn: true,
      state: 'unsigned',
      status: 'given',
    });
    expect(created.json.revision).toMatchObject({ schemaName: 'ConsentRecord', authorizedByOther: expect.stringMatching(/^apikey:/) });
    const recordId = created.json.consentRecord.id;
    expect((await call('POST', `/consent/service/individual/record/data-agreement/${agreementId}/`, undefined, header)).status).toBe(409);

    const byQuery = await call('POST', '/consent/service/individual/', { individual: { externalId: 'RCC-5678' } });
    const other = await call(
      'POST',
      `/consent/service/individual/record/data-agreement/${agreementId}?individualId=${byQuery.json.individual.id}`,
    );
    expect(other.json.consentRecord.individualId).toBe(byQuery.json.individual.id);
    expect((await call('POST', `/consent/service/individual/record/data-agreement/${agreementId}/`)).json).toMatchObject({
      errorCode: 400,
    });

    const mine = await call('GET', `/consent/service/individual/record/data-agreement/${agreementId}/`, undefined, header);
    expect(mine.json.consentRecord.id).toBe(recordId);
    const list = await call('GET', '/consent/service/individual/record/consent-record/', undefined, header);
    expect(list.json.consentRecords.map((r: { id: string }) => r.id)).toEqual([recordId]);

    // Opt out as the reference tests do: form-encoded, optIn=False, with query parameters.
    const out = await built.app.inject({
      method: 'PUT',
      url: `/consent/service/individual/record/consent-record/${recordId}/?individualId=${individualId}&dataAgreementId=${agreementId}`,
      headers: {
        authorization: `ApiKey ${key}`,
        'x-consentbb-individualid': individualId,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'optIn=False',
    });
    expect(out.statusCode).toBe(200);
    expect(out.json().consentRecord).toMatchObject({ optIn: false, status: 'withdrawn' });
    expect(out.json().revision.predecessorHash).toBe(created.json.revision.serializedHash);
    const back = await call(
      'PUT',
      `/consent/service/individual/record/consent-record/${recordId}/`,
      { consentRecord: { optIn: true } },
      header,
    );
    expect(back.json.consentRecord).toMatchObject({ optIn: true, status: 'given' });

    const verified = await call('GET', `/consent/service/verification/consent-records/?dataAgreementId=${agreementId}&optIn=true`);
    expect(verified.json.consentRecords.map((r: { id: string }) => r.id).sort()).toEqual([recordId, other.json.consentRecord.id].sort());
    const one = await call('GET', `/consent/service/verification/consent-record/${recordId}`);
    expect(one.json.revision.objectId).toBe(recordId);
    const audit = await auditor('GET', `/consent/audit/consent-record/${recordId}/`);
    expect(audit.json).toMatchObject({ verified: true });
    expect(audit.json.revisions).toHaveLength(3);
    expect((await auditor('GET', '/consent/audit/consent-records/?limit=1')).json.pagination).toMatchObject({
      limit: 1,
      totalItems: 2,
      hasNext: true,
    });
    expect((await auditor('GET', '/consent/audit/data-agreements/')).json.dataAgreements.length).toBeGreaterThan(0);

    // Right to be forgotten: the agreement is forgettable, so the record and its revisions go.
    const gone = await call('DELETE', '/consent/service/individual/record/', undefined, header);
    expect(gone.json).toEqual({ deleted: 1 });
    expect((await call('GET', `/consent/service/verification/consent-record/${recordId}`)).status).toBe(404);
  });
});
