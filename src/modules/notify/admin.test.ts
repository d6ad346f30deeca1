// The Notify staff console through HTTP as a browser uses it (cookies, CSRF, forms): templates
// with preview and version history, team and guest list, callbacks, sent messages and usage —
// and a service team seeing only its own service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookieHeader, formSession, type TestApp } from '../../../test/helpers.js';
import { cli, pageText, twoTeams, type notifyFixture } from './testing.js';

const PASSWORD = 'a long enough password';
let built: TestApp;
let a: Awaited<ReturnType<typeof notifyFixture>>;
let b: Awaited<ReturnType<typeof notifyFixture>>;
type Res = Awaited<ReturnType<TestApp['app']['inject']>>;

function browser() {
  const s = { jar: {} as Record<string, string>, csrf: '' };
  const absorb = (res: Res) => {
    const f = formSession({ headers: res.headers, body: res.body }, s.jar);
    s.jar = f.cookies;
    if (f.csrf) s.csrf = f.csrf;
    return res;
  };
  return {
    get: async (url: string) => absorb(await built.app.inject({ url, headers: { accept: 'text/html', cookie: cookieHeader(s.jar) } })),
    post: async (url: string, fields: Record<string, string>) =>
      absorb(
        await built.app.inject({
          method: 'POST',
          url,
          payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
          headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(s.jar) },
        }),
      ),
  };
}
async function signIn(email: string) {
  const br = browser();
  await br.get('/admin/sign-in');
  const res = await br.post('/admin/sign-in', { email, password: PASSWORD });
  expect(res.statusCode, res.body).toBe(303);
  await br.get(String(res.headers.location)); // as a browser would: a new session, so a new CSRF token
  return br;
}
const text = pageText;

beforeAll(async () => {
  built = await buildTestApp();
  ({ a, b } = await twoTeams(built, PASSWORD));
  const svc = built.modules.notify.service;
  await svc.sendEmail(a.service.id, {
    templateId: a.templates.email.id,
    to: 'citizen-a@example.com',
    personalisation: { name: 'A', reference: 'REF-A', extra: 'no' },
    reference: 'case-a',
  });
  await svc.sendSms(b.service.id, {
    templateId: b.templates.sms.id,
    to: '07700900456',
    personalisation: { code: '42' },
    reference: 'case-b',
  });
});
afterAll(async () => {
  await built?.close();
});

describe('Notify staff console', () => {
  it('asks staff to sign in', async () => {
    const res = await browser().get(`/admin/notify/${a.service.slug}`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/sign-in?next=${encodeURIComponent(`/admin/notify/${a.service.slug}`)}`);
  });

  it('creates a template with a preview, edits it into a new version, and shows the history', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const home = await br.get('/admin/notify');
    expect(text(home.body)).toContain('Parking permits');
    expect(text(home.body)).not.toContain('Bin collections');

    const form = await br.get(`/admin/notify/${a.service.slug}/templates/new?type=email`);
    expect(form.statusCode).toBe(200);
    const url = `/admin/notify/${a.service.slug}/templates/new?type=email`;
    const preview = await br.post(url, {
      name: 'Reminder',
      subject: 'Reminder for ((name))',
      body: '# Hello ((name))\n\n* one\n* two',
      preview: '1',
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toMatch(/<h2[^>]*>Hello \(\(name\)\)<\/h2>/);
    expect(text(preview.body)).toContain('Placeholders: name');
    const missing = await br.post(url, { name: 'Reminder', subject: '', body: 'Hi' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('govuk-error-summary');
    expect(missing.body).toContain('href="#subject"');
    const saved = await br.post(url, { name: 'Reminder', subject: 'Reminder for ((name))', body: 'Hello ((name))' });
    expect(saved.statusCode).toBe(303);
    const page = saved.headers.location as string;
    const id = /templates\/([0-9a-f-]{36})/.exec(page)![1];
    expect(text((await br.get(page)).body)).toContain('Template saved');

    const edit = await br.post(`/admin/notify/${a.service.slug}/templates/${id}/edit`, {
      name: 'Reminder',
      subject: 'A reminder for ((name))',
      body: 'Hello again ((name))',
    });
    expect(edit.statusCode).toBe(303);
    const versions = text((await br.get(`/admin/notify/${a.service.slug}/templates/${id}/versions`)).body);
    expect(versions).toContain('Version 2');
    expect(versions).toContain('Version 1');
    expect(versions).toContain('Hello again ((name))');
    expect(versions).toContain('Saved by team-a@example.gov.uk');
    const latest = await built.modules.notify.service.template(a.service.id, id);
    expect(latest).toMatchObject({ version: 2, created_by: 'team-a@example.gov.uk', subject: 'A reminder for ((name))' });
  });

  it('styles previews with classes, never inline styles (the pages’ content security policy refuses those)', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const base = `/admin/notify/${a.service.slug}`;
    const csp = (res: Res) => String(res.headers['content-security-policy']);
    const pages = [
      await br.post(`${base}/templates/new?type=email`, {
        name: 'Styled',
        subject: 'Styled',
        body: '# Heading\n\n## Sub\n\nSee https://example.gov.uk\n\n^ Inset\n\n* one\n\n1. first\n\n---',
        preview: '1',
      }),
      await br.post(`${base}/templates/new?type=sms`, { name: 'Text', body: 'Line one\nLine two', preview: '1' }),
      await br.get(`${base}/templates/${a.templates.email.id}`),
      await br.get(`${base}/templates/${a.templates.email.id}/versions`),
    ];
    const [mine] = await built.modules.notify.service.search(a.service.id, { limit: 1, offset: 0 });
    pages.push(await br.get(`${base}/messages/${mine.id}`));
    for (const res of pages) {
      expect(res.statusCode).toBe(200);
      expect(csp(res)).toContain("style-src 'self'");
      expect(csp(res)).not.toContain('unsafe-inline');
      expect(res.body).not.toMatch(/\sstyle="/);
    }
    // Each kind of block, as GOV.UK's classes draw it.
    const blocks = [
      ...['<h2 class="govuk-heading-m">Heading</h2>', '<h3 class="govuk-heading-s">Sub</h3>', '<div class="govuk-inset-text">Inset</div>'],
      '<a class="govuk-link cs-break" href="https://example.gov.uk">https://example.gov.uk</a>',
      ...['<ul class="govuk-list govuk-list--bullet"><li>one</li></ul>', '<ol class="govuk-list govuk-list--number"><li>first</li></ol>'],
      'class="cs-preview ',
    ];
    expect(blocks.filter((b) => !pages[0].body.includes(b))).toEqual([]);
    expect(pages[1].body).toContain('<p class="govuk-body cs-pre-wrap">Line one\nLine two</p>');
  });

  it('writes every change made in the console to the audit log, which staff see on /admin/audit', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const base = `/admin/notify/${a.service.slug}`;
    await br.get(`${base}/templates/new?type=sms`);
    const created = await br.post(`${base}/templates/new?type=sms`, { name: 'Audited', body: 'Your code is ((code))' });
    expect(created.statusCode).toBe(303);
    const id = /templates\/([0-9a-f-]{36})/.exec(created.headers.location as string)![1];
    await br.post(`${base}/templates/${id}/edit`, { name: 'Audited', body: 'Your new code is ((code))' });
    await br.post(`${base}/team`, { kind: 'guest', recipient: 'audited@example.com', name: 'Audited guest' });
    const guest = (await built.modules.notify.service.allowed(a.service.id)).find((x) => x.email === 'audited@example.com')!;
    await br.post(`${base}/team/${guest.id}/remove`, {});
    await br.post(`${base}/callbacks`, { delivery_url: 'https://service.example.gov.uk/audited', delivery_token: 'a-long-enough-token' });
    await br.post(`${base}/callbacks`, { delivery_url: '' });
    await br.post(`${base}/settings`, { email_from: 'audited', rate_limit: '50' });

    const entries = await built.kernel.audit.list({ organisationId: a.org.id });
    const mine = entries.filter((e) => e.actor === 'staff:team-a@example.gov.uk' && e.action.startsWith('notify.'));
    const actions = mine.map((e) => e.action);
    for (const action of [
      'notify.template.create',
      'notify.template.update',
      'notify.team.add',
      'notify.team.remove',
      'notify.callback.save',
      'notify.callback.remove',
      'notify.settings.update',
    ])
      expect(actions, action).toContain(action);
    const create = mine.find((e) => e.action === 'notify.template.create' && (e.after as { id: string }).id === id)!;
    expect(create.after).toMatchObject({ id, type: 'sms', name: 'Audited', body: 'Your code is ((code))', version: 1 });
    const update = mine.find((e) => e.action === 'notify.template.update' && (e.after as { id: string }).id === id)!;
    expect(update.before).toMatchObject({ version: 1 });
    expect(update.after).toMatchObject({ version: 2, body: 'Your new code is ((code))' });
    // Callback tokens never reach the audit log.
    expect(JSON.stringify(mine)).not.toContain('a-long-enough-token');

    // Organisation administrators and platform administrators read it in the console.
    await built.modules.catalogue.service.createStaff(cli, {
      email: 'audit-admin@example.gov.uk',
      password: PASSWORD,
      role: 'platform_admin',
    });
    const admin = await signIn('audit-admin@example.gov.uk');
    const audit = text((await admin.get('/admin/audit')).body);
    expect(audit).toContain('notify.template.create');
    expect(audit).toContain('staff:team-a@example.gov.uk');
  });

  it('manages the team and guest list, and callbacks', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const base = `/admin/notify/${a.service.slug}`;
    await br.get(`${base}/team`);
    const bad = await br.post(`${base}/team`, { kind: 'guest', recipient: 'not a recipient' });
    expect(bad.statusCode).toBe(400);
    expect((await br.post(`${base}/team`, { kind: 'guest', recipient: 'friend@example.com', name: 'Friend' })).statusCode).toBe(303);
    const team = await br.get(`${base}/team`);
    expect(text(team.body)).toContain('friend@example.com');
    expect(text(team.body)).toContain('team-a@example.gov.uk');
    const allowed = await built.modules.notify.service.allowed(a.service.id);
    expect(allowed.map((x) => x.email)).toContain('friend@example.com');

    await br.get(`${base}/callbacks`);
    const insecure = await br.post(`${base}/callbacks`, { delivery_url: 'ftp://example.com/x', delivery_token: 'short' });
    expect(insecure.statusCode).toBe(400);
    expect(
      (
        await br.post(`${base}/callbacks`, {
          delivery_url: 'https://service.example.gov.uk/receipts',
          delivery_token: 'a-long-enough-token',
        })
      ).statusCode,
    ).toBe(303);
    expect((await built.modules.notify.service.callback(a.service.id, 'delivery_status'))?.url).toBe(
      'https://service.example.gov.uk/receipts',
    );
  });

  it('lists and searches sent messages and shows usage, for the team’s own service only', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const base = `/admin/notify/${a.service.slug}`;
    const list = await br.get(`${base}/messages`);
    expect(list.statusCode).toBe(200);
    expect(text(list.body)).toContain('citizen-a@example.com');
    expect(text((await br.get(`${base}/messages?q=case-a`)).body)).toContain('citizen-a@example.com');
    expect(text((await br.get(`${base}/messages?q=nothing-like-this`)).body)).toContain('No messages match.');
    const overview = text((await br.get(base)).body);
    expect(overview).toContain('Messages sent in the last 7 days');

    // Another service's team: no way in to this service's messages, nor to one message by id.
    const other = await signIn('team-b@example.gov.uk');
    expect((await other.get(`${base}/messages`)).statusCode).toBe(403);
    expect((await other.get(`${base}/templates`)).statusCode).toBe(403);
    const [mine] = await built.modules.notify.service.search(a.service.id, { limit: 1, offset: 0 });
    expect((await other.get(`/admin/notify/${b.service.slug}/messages/${mine.id}`)).statusCode).toBe(404);
    expect(text((await other.get(`/admin/notify/${b.service.slug}/messages`)).body)).not.toContain('citizen-a@example.com');
  });

  it('saves settings', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const base = `/admin/notify/${a.service.slug}`;
    await br.get(`${base}/settings`);
    const res = await br.post(`${base}/settings`, {
      email_from: 'permits',
      sms_sender: 'PERMITS',
      restricted: 'yes',
      rate_limit: '100',
      inbound_number: '07700900888',
    });
    expect(res.statusCode).toBe(303);
    const p = await built.modules.notify.service.settings(a.service.id);
    expect(p).toMatchObject({
      fromEmail: 'permits@localhost',
      smsSender: 'PERMITS',
      settings: { restricted: true, rate_limit: 100, inbound_number: '07700900888' },
    });
  });
});
