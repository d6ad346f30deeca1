// The citizen's view over real HTTP: proving identity checks the passport through the
// exchange (logged against the account); the Blue Badge use and the identity check appear at
// /your-data in English and Welsh, filtered, as CSV, each with an inclusion proof that
// verifies; a covert use stays hidden until its release date; objecting to a public-task use
// makes the next such request refused; nobody else can see my uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeApp, blueBadgeHeaders, ALEX, DWP_ENTITLEMENT, type ExchangeRun } from './testing.js';
import { signedInCitizen } from '../identity/testing.js';
import { verifyInclusion } from './merkle.js';

let run: ExchangeRun;
let me: Awaited<ReturnType<typeof signedInCitizen>>;
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&rsquo;/g, '’')
    .replace(/\s+/g, ' ');

beforeAll(async () => {
  run = await exchangeApp();
  me = await signedInCitizen(run, { prove: true, back: '/your-data' });
  const res = await run.r1(
    'GET',
    `/r1/${DWP_ENTITLEMENT}?${new URLSearchParams(ALEX)}`,
    blueBadgeHeaders(run, me.accountId, { 'x-road-userid': 'GB-officer-7', 'x-road-issue': 'BB-2026-0042' }),
  );
  expect(res.status).toBe(200);
  const covert = await run.built.modules.exchange.fetchAs('UK/GOV/DWP/fraud', {
    service: 'UK/GOV/HMRC/income/band',
    purpose: 'dpv:FraudPreventionAndDetection',
    legalBasis: 'statute:benefit-fraud',
    subject: me.accountId,
    match: ALEX,
  });
  expect(covert.ok).toBe(true);
});
afterAll(async () => {
  await run?.close();
});

describe('/your-data', () => {
  it('proved identity through the exchange, logged against the account', async () => {
    const { rows } = await run.built.kernel.db.query<{ entry: string }>(
      `SELECT entry FROM exchange.log_entries WHERE subject = $1 AND service = 'UK/GOV/HMPO/passports/validity'`,
      [me.accountId],
    );
    expect(rows.length).toBe(1);
    expect(JSON.parse(rows[0].entry)).toMatchObject({
      outcome: 'released',
      client: 'UK/GOV/CITYSCAPE/identity',
      basis: 'statute:identity-verification',
      purpose: 'dpv:IdentityVerification',
    });
  });

  it('lists every use of my data, not covert ones before their release, in English and Welsh', async () => {
    const page = await me.browser.go('/your-data');
    expect(page.status).toBe(200);
    const body = text(page.body);
    expect(body).toContain('Uses of your data');
    expect(body).toContain('Apply for a Blue Badge');
    expect(body).toContain('PIP mobility component rate');
    expect(body).toContain('Chronically Sick and Disabled Persons Act 1970');
    expect(body).toContain('GB-officer-7');
    expect(body).toContain('BB-2026-0042');
    expect(body).toContain('Passport validity');
    expect(body).toContain('2 uses');
    expect(body).not.toContain('To prevent and detect fraud'); // the covert fraud check is hidden for 90 days
    expect(page.body).toContain('href="/services/apply-for-a-blue-badge"');
    const cy = text((await me.browser.go('/your-data?lang=cy')).body);
    expect(cy).toContain('Defnydd o’ch data');
    expect(cy).toContain('Cyfradd elfen symudedd PIP');
    await me.browser.go('/your-data?lang=en');
  });

  it('filters, and downloads the same uses as CSV', async () => {
    const riverside = text((await me.browser.go('/your-data?organisation=UK%2FLA%2FRIVERSIDE')).body);
    expect(riverside).toContain('1 uses');
    expect(riverside).not.toContain('Passport validity (');
    const res = await me.browser.request('GET', '/your-data/uses.csv?organisation=UK%2FLA%2FRIVERSIDE');
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('UK/LA/RIVERSIDE/bluebadge');
    expect(lines[1]).toContain('GB-officer-7');
  });

  it('shows each use with an inclusion proof that verifies against the signed tree head', async () => {
    const list = (await me.browser.go('/your-data')).body;
    const index = /href="\/your-data\/uses\/(\d+)"/.exec(list)![1];
    const page = await me.browser.go(`/your-data/uses/${index}`);
    const leaf = /Leaf hash[\s\S]*?<code>([^<]+)<\/code>/.exec(page.body)![1];
    const root = /Signed root hash[\s\S]*?<code>([^<]+)<\/code>/.exec(page.body)![1];
    const size = Number(/Tree size\s*<\/dt>\s*<dd[^>]*>\s*(\d+)/.exec(page.body)![1]);
    const pathHtml = /Audit path[\s\S]*?<code>([\s\S]*?)<\/code>/.exec(page.body)![1];
    const path = pathHtml === '—' ? [] : pathHtml.split('<br>').map((p) => Buffer.from(p.trim(), 'base64'));
    expect(verifyInclusion(Buffer.from(leaf, 'base64'), Number(index), size, path, Buffer.from(root, 'base64'))).toBe(true);
  });

  it('lets me object to a public-task use, after which the next such request is refused', async () => {
    const list = (await me.browser.go('/your-data?organisation=UK%2FLA%2FRIVERSIDE')).body;
    const index = /href="\/your-data\/uses\/(\d+)"/.exec(list)![1];
    await me.browser.go(`/your-data/uses/${index}`);
    const done = await me.browser.submit(`/your-data/uses/${index}/object`, { reason: 'I sent my letter myself' });
    expect(text(done.body)).toContain('Your objection is recorded');
    const again = await run.r1('GET', `/r1/${DWP_ENTITLEMENT}?${new URLSearchParams(ALEX)}`, blueBadgeHeaders(run, me.accountId));
    expect(again.status).toBe(403);
    expect(again.json().message).toContain('objected');
    await me.browser.go('/your-data');
    await me.browser.submit('/your-data/objections/withdraw');
    expect((await run.r1('GET', `/r1/${DWP_ENTITLEMENT}?${new URLSearchParams(ALEX)}`, blueBadgeHeaders(run, me.accountId))).status).toBe(
      200,
    );
  });

  it('saves my choice of a message on each use', async () => {
    await me.browser.go('/your-data');
    const saved = await me.browser.submit('/your-data/alerts', { alerts: 'email' });
    expect(text(saved.body)).toContain('Your choice is saved');
    expect(saved.body).toMatch(/value="email" checked/);
  });

  it('keeps my uses from everyone else, and sends a visitor to sign in', async () => {
    const other = await signedInCitizen(run, {});
    const list = (await me.browser.go('/your-data')).body;
    const index = /href="\/your-data\/uses\/(\d+)"/.exec(list)![1];
    expect((await other.browser.go(`/your-data/uses/${index}`)).status).toBe(404);
    expect(text((await other.browser.go('/your-data')).body)).toContain('No uses of your data');
    const anon = await fetch(`${run.baseUrl}/your-data`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toContain('/identity/sign-in');
  });
});
