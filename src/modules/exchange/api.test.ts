// The exchange end to end over real HTTP (app listening, registries in process, PGlite or
// PostgreSQL): a Blue Badge request released with only the granted attributes and X-Road's
// headers, its signed response and log receipt provable against a signed tree head; every kind
// of refusal with X-Road's error shape and its own log entry; metaservices; the registries
// refusing unsigned, forged and replayed requests; provider timeouts, oversized and non-JSON
// answers; exchange.fetch and attributes(); revocation at once; fuzzed input never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { exchangeApp, blueBadgeHeaders, ALEX, DWP_ENTITLEMENT, type ExchangeRun } from './testing.js';
import { verifyInclusion } from './merkle.js';
import { verifySth } from './log.js';
import { publicKeyFromJwk, signRequest, verifyJws } from './jws.js';
import { createKeyring } from './keys.js';
import { DEMO_RECORDS } from '../identity/index.js';
import { DEMO_PEOPLE } from '../registries/index.js';
import { pairwiseSubject } from '../identity/testing.js';

let run: ExchangeRun;
let stub: Server;
let stubUrl = '';
const subject = randomUUID();
const alexQuery = `?${new URLSearchParams(ALEX)}`;
const cli = { kind: 'cli' } as const;

beforeAll(async () => {
  run = await exchangeApp();
  // A provider that misbehaves on purpose: hangs, answers too much, or answers text.
  stub = createServer((req, res) => {
    if (req.url?.startsWith('/slow')) return; // never answers
    if (req.url?.startsWith('/big')) return res.end(JSON.stringify({ matched: true, blob: 'x'.repeat(300_000) }));
    if (req.url?.startsWith('/text')) return res.end('hello');
    if (req.url?.startsWith('/teapot')) return res.writeHead(418, { 'content-type': 'application/json' }).end('{"error":"teapot"}');
    res.end('{}');
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  stubUrl = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
  const ex = run.built.modules.exchange;
  await ex.service.registerService(cli, {
    subsystem: 'UK/GOV/DWP/benefits',
    code: 'flaky',
    title: 'Flaky test service',
    openapi: { openapi: '3.0.3', info: { title: 'flaky', version: '1' }, paths: { '/slow': { get: {} }, '/big': { get: {} } } },
    url: stubUrl,
    timeoutMs: 300,
    maxBytes: 100_000,
    attributes: [{ name: 'blob', title: 'Blob', dpvCategory: 'dpv-pd:Data', sensitivity: 'normal' }],
  });
  await ex.service.grant(cli, {
    client: 'UK/LA/RIVERSIDE/bluebadge',
    service: 'UK/GOV/DWP/benefits/flaky',
    purposes: ['dpv:ServiceProvision'],
    attributes: ['blob'],
    bases: ['public-task:blue-badge'],
  });
});
afterAll(async () => {
  stub?.close();
  await run?.close();
});

const get = (path: string, headers: Record<string, string | undefined> = blueBadgeHeaders(run, subject)) => run.r1('GET', path, headers);

describe('a Blue Badge request through the exchange', () => {
  it('releases only the granted attributes, with X-Road headers, a log receipt and a signed response', async () => {
    const res = await get(
      `/r1/${DWP_ENTITLEMENT}${alexQuery}`,
      blueBadgeHeaders(run, subject, { 'x-road-id': 'case-42-call-1', 'x-road-userid': 'GB-officer-7', 'x-road-issue': 'BB-2026-0042' }),
    );
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toEqual({ matched: true, pip_mobility: 'enhanced', pip_mobility_points: 12, dla_mobility_rate: null });
    expect(res.body).not.toContain('daily_living'); // held by DWP, not granted to Blue Badge
    expect(res.headers.get('x-road-id')).toBe('case-42-call-1');
    expect(res.headers.get('x-road-client')).toBe('UK/LA/RIVERSIDE/bluebadge');
    expect(res.headers.get('x-road-service')).toBe(DWP_ENTITLEMENT);
    expect(res.headers.get('x-road-request-hash')).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(res.headers.get('x-road-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-road-error')).toBeNull();

    // The receipt: the leaf is in the signed tree.
    const leaf = res.headers.get('exchange-log-leaf')!;
    const index = Number(res.headers.get('exchange-log-index'));
    const trust = (await run.r1('GET', '/exchange/trust')).json();
    const nodeKey = publicKeyFromJwk(trust.node.keys[0])!;
    const sth = (await run.r1('GET', '/exchange/log/sth')).json();
    expect(verifySth(sth, nodeKey)).toBe(true);
    const proof = (
      await run.r1('GET', `/exchange/log/proof/inclusion?leaf_hash=${encodeURIComponent(leaf)}&tree_size=${sth.tree_size}`)
    ).json();
    expect(proof.leaf_index).toBe(index);
    expect(
      verifyInclusion(
        Buffer.from(leaf, 'base64'),
        index,
        sth.tree_size,
        proof.audit_path.map((p: string) => Buffer.from(p, 'base64')),
        Buffer.from(sth.root_hash, 'base64'),
      ),
    ).toBe(true);

    // The node signed what it returned.
    const sig = verifyJws(res.headers.get('exchange-response-signature'), (kid) => (kid === trust.node.keys[0].kid ? nodeKey : null));
    expect(sig?.payload).toMatchObject({
      x_road_id: 'case-42-call-1',
      status: 200,
      service: DWP_ENTITLEMENT,
      request_hash: res.headers.get('x-road-request-hash'),
    });

    // The entry names who, why and what, never the payload.
    const { rows } = await run.built.kernel.db.query<{ entry: string }>('SELECT entry FROM exchange.log_entries WHERE leaf_index = $1', [
      index,
    ]);
    const entry = JSON.parse(rows[0].entry);
    expect(entry).toMatchObject({
      outcome: 'released',
      subject,
      client: 'UK/LA/RIVERSIDE/bluebadge',
      user_id: 'GB-officer-7',
      issue: 'BB-2026-0042',
      basis: 'public-task:blue-badge',
    });
    expect(entry.attributes.sort()).toEqual(['dla_mobility_rate', 'pip_mobility', 'pip_mobility_points']);
    expect(rows[0].entry).not.toContain('enhanced');
  });

  it('asks for fewer attributes when the client says so', async () => {
    const res = await get(`/r1/${DWP_ENTITLEMENT}${alexQuery}`, blueBadgeHeaders(run, subject, { 'exchange-attributes': 'pip_mobility' }));
    expect(res.json()).toEqual({ matched: true, pip_mobility: 'enhanced' });
  });

  it('exchange.fetch goes the same way and attributes() lists what can be asked for', async () => {
    const ex = run.built.modules.exchange;
    const r = await ex.fetch({
      consumerServiceId: run.blueBadgeServiceId,
      service: DWP_ENTITLEMENT,
      purpose: 'dpv:ServiceProvision',
      legalBasis: 'public-task:blue-badge',
      subject,
      match: ALEX,
    });
    expect(r).toMatchObject({ ok: true, data: { matched: true, pip_mobility: 'enhanced' } });
    expect(r.logIndex).toBeGreaterThan(0);
    const refused = await ex.fetch({
      consumerServiceId: run.blueBadgeServiceId,
      service: DWP_ENTITLEMENT,
      purpose: 'dpv:Marketing',
      legalBasis: 'public-task:blue-badge',
      subject,
      match: ALEX,
    });
    expect(refused).toMatchObject({ ok: false, status: 403, type: 'Server.ServerProxy.AccessDenied' });
    expect(refused.logLeaf).toMatch(/=$/);
    const attrs = await ex.attributes();
    expect(attrs.find((a) => a.id === 'dwp/benefits.pip_mobility')).toMatchObject({
      provider: 'UK/GOV/DWP',
      service: DWP_ENTITLEMENT,
      sensitivity: 'special',
      dpvCategory: 'dpv-pd:HealthRecord',
    });
    expect(attrs.find((a) => a.id === 'hmpo/passports.valid')?.nameCy).toBeTruthy();
  });
});

describe('Exchange-Subject: pairwise:{sub}', () => {
  it('takes the sub identity gave the consumer service, logs the account, and refuses another service’s sub', async () => {
    const { identity, catalogue } = run.built.modules;
    const account = await identity.accounts.createAccount(`pairwise.${randomUUID().slice(0, 8)}@example.org`, 'correct horse 42 battery');
    const ours = pairwiseSubject(run.built.kernel.config, run.blueBadgeServiceId, account.id);
    const res = await get(`/r1/${DWP_ENTITLEMENT}${alexQuery}`, blueBadgeHeaders(run, subject, { 'exchange-subject': `pairwise:${ours}` }));
    expect(res.status, res.body).toBe(200);
    const { rows } = await run.built.kernel.db.query<{ subject: string; entry: string }>(
      'SELECT subject, entry FROM exchange.log_entries WHERE leaf_index = $1',
      [Number(res.headers.get('exchange-log-index'))],
    );
    expect(rows[0].subject).toBe(account.id);
    expect(JSON.parse(rows[0].entry).subject).toBe(account.id);
    expect(rows[0].entry).not.toContain(ours);

    const elsewhere = (await catalogue.service.getService('pay-a-parking-fine')).id;
    for (const sub of [pairwiseSubject(run.built.kernel.config, elsewhere, account.id), 'A'.repeat(43), 'nonsense']) {
      const refused = await get(
        `/r1/${DWP_ENTITLEMENT}${alexQuery}`,
        blueBadgeHeaders(run, subject, { 'exchange-subject': `pairwise:${sub}` }),
      );
      expect(refused.status, sub).toBe(400);
      expect(refused.headers.get('x-road-error')).toBe('Client.BadRequest');
      expect(refused.json().message).toContain('pairwise');
    }
  });
});

describe('refusals: X-Road errors, each logged', () => {
  const cases: Array<[string, string, Record<string, string | undefined>, number, string]> = [
    ['no key', `/r1/${DWP_ENTITLEMENT}`, { authorization: undefined }, 401, 'Client.Unauthorized'],
    ['a wrong key', `/r1/${DWP_ENTITLEMENT}`, { authorization: 'Bearer cs_exchange_live_nope' }, 401, 'Client.Unauthorized'],
    ['no client header', `/r1/${DWP_ENTITLEMENT}`, { 'x-road-client': undefined }, 400, 'Client.MissingHeader'],
    ['a malformed client', `/r1/${DWP_ENTITLEMENT}`, { 'x-road-client': 'UK/LA' }, 400, 'Client.InvalidClientIdentifier'],
    ['a purpose not granted', `/r1/${DWP_ENTITLEMENT}`, { 'exchange-purpose': 'dpv:Marketing' }, 403, 'Server.ServerProxy.AccessDenied'],
    [
      'a basis not granted',
      `/r1/${DWP_ENTITLEMENT}`,
      { 'exchange-legal-basis': 'statute:identity-verification' },
      403,
      'Server.ServerProxy.AccessDenied',
    ],
    ['a malformed basis', `/r1/${DWP_ENTITLEMENT}`, { 'exchange-legal-basis': 'because' }, 400, 'Client.BadRequest'],
    ['no purpose', `/r1/${DWP_ENTITLEMENT}`, { 'exchange-purpose': undefined }, 400, 'Client.MissingHeader'],
    ['no subject', `/r1/${DWP_ENTITLEMENT}`, { 'exchange-subject': undefined }, 400, 'Client.MissingHeader'],
    ['a service without a right', '/r1/UK/GOV/HMRC/income/band', {}, 403, 'Server.ServerProxy.AccessDenied'],
    ['an unknown service', '/r1/UK/GOV/DWP/benefits/nothing', {}, 404, 'Server.ServerProxy.UnknownService'],
    ['a malformed service id', '/r1/UK/GOV', {}, 400, 'Client.BadRequest'],
    [
      'consent without the consent module',
      `/r1/${DWP_ENTITLEMENT}`,
      { 'exchange-legal-basis': 'consent:abc' },
      403,
      'Server.ServerProxy.AccessDenied',
    ],
  ];
  for (const [name, path, over, status, type] of cases)
    it(`refuses ${name}`, async () => {
      const before = await run.built.modules.exchange.accessLog.size();
      const res = await get(path + alexQuery, blueBadgeHeaders(run, subject, over));
      expect(res.status, res.body).toBe(status);
      expect(res.headers.get('x-road-error')).toBe(type);
      expect(res.json()).toMatchObject({ type, message: expect.any(String), detail: expect.any(String) });
      expect(Number(res.headers.get('exchange-log-index'))).toBe(before);
      expect(await run.built.modules.exchange.accessLog.size()).toBe(before + 1);
    });

  it("refuses another service's key for the Blue Badge client (tenant isolation)", async () => {
    const { secret } = await run.built.modules.catalogue.service.createApiKey(cli, {
      serviceSlug: 'pay-a-parking-fine',
      platform: 'exchange',
      type: 'live',
    });
    const res = await get(`/r1/${DWP_ENTITLEMENT}${alexQuery}`, blueBadgeHeaders(run, subject, { authorization: `Bearer ${secret}` }));
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('does not own');
    expect(res.body).not.toContain('enhanced');
  });

  it('stops at once when a right is revoked', async () => {
    const ex = run.built.modules.exchange;
    const right = await ex.service.grant(cli, {
      client: 'UK/LA/RIVERSIDE/bluebadge',
      service: 'UK/GOV/HMRC/income/band',
      purposes: ['dpv:ServiceProvision'],
      attributes: ['income_band'],
      bases: ['public-task:blue-badge'],
    });
    expect((await get(`/r1/UK/GOV/HMRC/income/band${alexQuery}`)).status).toBe(200);
    await ex.service.revoke(cli, right.id);
    expect((await get(`/r1/UK/GOV/HMRC/income/band${alexQuery}`)).status).toBe(403);
  });

  it('turns provider timeouts, oversized, non-JSON and error answers into clear outcomes, never a hang', async () => {
    const flaky = (p: string) => get(`/r1/UK/GOV/DWP/benefits/flaky${p}`);
    const slow = await flaky('/slow');
    expect([slow.status, slow.headers.get('x-road-error')]).toEqual([504, 'Server.ServerProxy.ServiceFailed']);
    const big = await flaky('/big');
    expect([big.status, big.json().type]).toEqual([502, 'Server.ServerProxy.ServiceFailed']);
    expect(big.json().message).toContain('larger than 100000 bytes');
    const text = await flaky('/text');
    expect([text.status, text.headers.get('x-road-error')]).toEqual([502, 'Server.ServerProxy.ServiceFailed']);
    const teapot = await flaky('/teapot'); // the provider's own error passes through unchanged
    expect([teapot.status, teapot.body, teapot.headers.get('x-road-error')]).toEqual([418, '{"error":"teapot"}', null]);
  });

  it('never answers fuzzed input with a 500', async () => {
    const nasty = ['\u0000', 'a'.repeat(5000), '%ZZ', '../../etc', '\ud800', '9'.repeat(400), '{"a":1}', '<x>'];
    const enc = (n: string) => {
      try {
        return enc(n);
      } catch {
        return '%ED%A0%80'; // a lone surrogate, as raw bytes
      }
    };
    for (const n of nasty) {
      for (const res of [
        await run.r1('GET', `/r1/${enc(n)}/GOV/DWP/benefits/entitlement`, blueBadgeHeaders(run, subject)),
        await run.r1(
          'POST',
          `/r1/${DWP_ENTITLEMENT}`,
          blueBadgeHeaders(run, n.replace(/[^\x20-\x7e]/g, 'x'), { 'content-type': 'application/json' }),
          n,
        ),
        await run.r1(
          'GET',
          `/r1/${DWP_ENTITLEMENT}?nino=${enc(n)}`,
          blueBadgeHeaders(run, subject, {
            'x-road-id': n.replace(/[^\x20-\x7e]/g, 'x'),
            'exchange-attributes': n.replace(/[^\x20-\x7e]/g, ''),
          }),
        ),
        await run.r1('GET', `/exchange/log/proof/inclusion?leaf_hash=${enc(n)}&tree_size=${enc(n)}`),
        await run.r1('GET', `/exchange/log/proof/consistency?first=${enc(n)}&second=1`),
        await run.r1('GET', `/r1/UK/GOV/DWP/${enc(n)}/getOpenAPI?serviceCode=${enc(n)}`),
      ])
        expect(res.status, res.body).toBeLessThan(500);
    }
  });
});

describe('metaservices, as X-Road tooling reads them', () => {
  it('lists clients (JSON and XML), methods, allowed methods and OpenAPI descriptions', async () => {
    const clients = (await run.r1('GET', '/listClients', { accept: 'application/json' })).json();
    expect(clients.member).toContainEqual({
      id: { xroad_instance: 'UK', member_class: 'GOV', member_code: 'DWP', object_type: 'MEMBER' },
      name: expect.any(String),
    });
    expect(clients.member).toContainEqual(
      expect.objectContaining({ id: expect.objectContaining({ subsystem_code: 'bluebadge', object_type: 'SUBSYSTEM' }) }),
    );
    const xml = await run.r1('GET', '/listClients');
    expect(xml.headers.get('content-type')).toContain('text/xml');
    expect(xml.body).toContain('<ns1:memberCode>DWP</ns1:memberCode>');
    const methods = (await run.r1('GET', '/r1/UK/GOV/DWP/benefits/listMethods', { 'x-road-client': 'UK/LA/RIVERSIDE/bluebadge' })).json();
    expect(methods.service.map((s: any) => s.service_code).sort()).toEqual(['entitlement', 'flaky']);
    expect(methods.service[0]).toMatchObject({
      xroad_instance: 'UK',
      member_class: 'GOV',
      member_code: 'DWP',
      subsystem_code: 'benefits',
      object_type: 'SERVICE',
      service_type: 'OPENAPI',
    });
    const allowed = await run.r1('GET', '/r1/UK/GOV/HMPO/passports/allowedMethods', blueBadgeHeaders(run, subject));
    expect(allowed.json()).toEqual({ service: [] });
    expect((await run.r1('GET', '/r1/UK/GOV/DWP/benefits/allowedMethods', { 'x-road-client': 'UK/LA/RIVERSIDE/bluebadge' })).status).toBe(
      401,
    );
    const oas = (
      await run.r1('GET', '/r1/UK/GOV/DWP/benefits/getOpenAPI?serviceCode=entitlement', { 'x-road-client': 'UK/LA/RIVERSIDE/bluebadge' })
    ).json();
    expect(oas.openapi).toBe('3.0.3');
  });

  it('lets X-Road tooling list members, subsystems, services and OpenAPI descriptions (as RIA xrdinfo does)', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    let out: string;
    try {
      // Asynchronously: the server answering it runs in this process.
      out = (
        await promisify(execFile)('python3', ['test/fixtures/xroad-tooling.py', run.baseUrl, 'UK/LA/RIVERSIDE/bluebadge'], {
          encoding: 'utf8',
        })
      ).stdout;
    } catch (err: any) {
      if (err.code === 'ENOENT') return; // no Python on this machine
      throw new Error(String(err.stderr || err));
    }
    expect(out).toContain('UK/GOV/DWP/benefits/entitlement\tBenefit entitlement');
    expect(out).toContain('UK/GOV/HMPO/passports/validity\tPassport validity');
    expect(out).toContain('UK/LA/GLANFOR/counciltax/account\tCouncil tax account');
  });

  it('publishes a trust list signed by the node key', async () => {
    const trust = (await run.r1('GET', '/exchange/trust')).json();
    const { verifyTrustList } = await import('./trust.js');
    const key = publicKeyFromJwk(trust.node.keys[0])!;
    expect(verifyTrustList(trust, () => key)).toBe(true);
    expect(verifyTrustList({ ...trust, members: trust.members.slice(1) }, () => key)).toBe(false);
    expect(trust.members.find((m: any) => m.id === 'UK/GOV/DWP').keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });
});

describe('the registries answer only the exchange', () => {
  const path = `/registries/dwp/benefits/entitlement${alexQuery}`;
  it('refuses unsigned, forged and replayed requests', async () => {
    expect((await run.r1('GET', path)).status).toBe(401);
    const forger = generateKeyPairSync('ed25519');
    const claims = {
      method: 'GET',
      path,
      body_sha256: '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
      client: 'UK/LA/RIVERSIDE/bluebadge',
      service: DWP_ENTITLEMENT,
      purpose: 'dpv:ServiceProvision',
      basis: 'public-task:blue-badge',
      subject,
      attributes: ['pip_mobility'],
      x_road_id: 'x',
      user_id: null,
      issue: null,
    };
    const forged = signRequest('UK/GOV/DWP#1', forger.privateKey, claims);
    expect((await run.r1('GET', path, { 'exchange-signature': forged })).status).toBe(401);
    const key = createKeyring(run.built.kernel.db, run.built.kernel.config.encryptionKey).privateKey('UK/LA/RIVERSIDE#1');
    const genuine = signRequest('UK/LA/RIVERSIDE#1', await key, claims);
    const first = await run.r1('GET', path, { 'exchange-signature': genuine });
    expect(first.json()).toEqual({ matched: true, pip_mobility: 'enhanced' });
    const replay = await run.r1('GET', path, { 'exchange-signature': genuine });
    expect([replay.status, replay.json().message]).toEqual([401, expect.stringContaining('replayed')]);
    const old = signRequest('UK/LA/RIVERSIDE#1', await key, { ...claims, iat: Math.floor(Date.now() / 1000) - 3600 });
    expect((await run.r1('GET', path, { 'exchange-signature': old })).json().message).toContain('window');
    expect(createPublicKey(forger.privateKey)).toBeTruthy();
  });

  it("hold the demo citizen identity proves with today, as identity's DEMO_RECORDS have them", () => {
    const alex = DEMO_PEOPLE[0];
    expect([alex.passport!.number, alex.person.given_name, alex.person.family_name, alex.person.birth_date, alex.passport!.expiry]).toEqual(
      [
        DEMO_RECORDS[0].document_number,
        DEMO_RECORDS[0].given_name,
        DEMO_RECORDS[0].family_name,
        DEMO_RECORDS[0].birth_date,
        DEMO_RECORDS[0].expiry_date,
      ],
    );
    expect(DEMO_PEOPLE[1].licence!.number).toBe(DEMO_RECORDS[2].document_number);
  });
});
