// The designer in the staff console through HTTP, as signed-in staff: create a service and its
// form in one go, add pages (questions, options, Welsh, show-if conditions), the fee and
// deliveries, edit the JSON, publish a version live; every refusal re-renders with a GOV.UK
// error summary; CSRF on every POST; and staff of another organisation can neither see nor
// change the form (nor download its submissions — see csv.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, staffBrowser, type TestApp } from '../../../test/helpers.js';
import { errorSummary } from '../identity/testing.js';

const PASSWORD = 'a long enough password';
let t: TestApp;
let orgSlug: string;
let otherOrgSlug: string;

const staff = (email: string) => staffBrowser(t, email, PASSWORD);

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const c = t.modules.catalogue.service;
  const orgs = await c.listOrganisations();
  orgSlug = orgs[0].slug;
  otherOrgSlug = orgs[1].slug;
  await c.createStaff(cli, { email: 'designer@example.org', password: PASSWORD, role: 'organisation_admin', organisationSlug: orgSlug });
  await c.createStaff(cli, {
    email: 'elsewhere@example.org',
    password: PASSWORD,
    role: 'organisation_admin',
    organisationSlug: otherOrgSlug,
  });
});
afterAll(async () => {
  await t?.close();
});

const draft = async (slug: string) => {
  const s = await t.modules.catalogue.service.getService(slug);
  const f = (await t.modules.forms.service.byService(s.id))!;
  return { f, def: (await t.modules.forms.service.version(f.id, f.draft_version!))!.definition };
};

describe('the form designer', () => {
  it('needs a signed-in staff member', async () => {
    const r = await formBrowser(t).get('/admin/forms');
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toMatch(/^\/admin\/sign-in/);
  });

  it('creates a service and its form in one go, refusing bad input with an error summary', async () => {
    const b = await staff('designer@example.org');
    expect((await b.get('/admin/forms/new')).statusCode).toBe(200);
    // Without the CSRF token: refused, nothing made.
    let r = await b.post(
      '/admin/forms/new',
      { organisation: orgSlug, name: 'Report a fallen tree', slug: 'report-a-fallen-tree', summary: 'Tell us.' },
      { csrf: false },
    );
    expect(r.statusCode).toBe(403);
    r = await b.post('/admin/forms/new', { organisation: '', name: '', slug: 'Not A Slug', summary: '' });
    expect(r.statusCode).toBe(400);
    expect(errorSummary(r.body).length).toBe(4);
    for (const f of ['organisation', 'name', 'slug', 'summary']) expect(r.body).toContain(`href="#${f}"`);
    r = await b.post('/admin/forms/new', {
      organisation: orgSlug,
      name: 'Report a fallen tree',
      slug: 'report-a-fallen-tree',
      summary: 'Tell us.',
      source: '{nope',
    });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('href="#source"');
    await expect(t.modules.catalogue.service.getService('report-a-fallen-tree')).rejects.toThrow();
    r = await b.post('/admin/forms/new', {
      organisation: orgSlug,
      name: 'Report a fallen tree',
      slug: 'report-a-fallen-tree',
      summary: 'Tell us.',
    });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin/forms/report-a-fallen-tree?done=created');
    const { f, def } = await draft('report-a-fallen-tree');
    expect(f).toMatchObject({ draft_version: 1, live_version: null });
    expect(def.title).toBe('Report a fallen tree');
    // The same web address again: refused on the field.
    r = await b.post('/admin/forms/new', { organisation: orgSlug, name: 'Again', slug: 'report-a-fallen-tree', summary: 'x' });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('href="#slug"');
  });

  it('adds pages with options, Welsh and a show-if condition; refuses bad ones', async () => {
    const b = await staff('designer@example.org');
    const page = await b.get('/admin/forms/report-a-fallen-tree');
    expect(page.statusCode).toBe(200);
    let r = await b.post('/admin/forms/report-a-fallen-tree/pages', { title: '', type: 'radios', options: 'Only one' });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('govuk-error-summary');
    expect(r.body).toContain('href="#title"');
    expect(r.body).toContain('href="#options"');
    r = await b.post('/admin/forms/report-a-fallen-tree/pages', { title: 'Where?', type: 'no-such-type' });
    expect(r.body).toContain('href="#type"');
    r = await b.post('/admin/forms/report-a-fallen-tree/pages', { title: 'Where?', type: 'radios', options: 'Only one' }, { csrf: false });
    expect(r.statusCode).toBe(403);
    expect((await draft('report-a-fallen-tree')).f.draft_version).toBe(1);

    r = await b.post('/admin/forms/report-a-fallen-tree/pages', {
      title: 'How big is it?',
      title_cy: 'Pa mor fawr yw e?',
      type: 'radios',
      options: 'Small\nLarge\n',
    });
    expect(r.statusCode, r.body.slice(0, 500)).toBe(303);
    let { def } = await draft('report-a-fallen-tree');
    const size = def.pages.at(-1)!;
    expect(size.title).toEqual({ en: 'How big is it?', cy: 'Pa mor fawr yw e?' });
    expect(size.questions[0]).toMatchObject({ type: 'radios', options: [{ value: 'small' }, { value: 'large' }] });
    r = await b.post('/admin/forms/report-a-fallen-tree/pages', {
      title: 'Is anyone hurt?',
      type: 'textarea',
      optional: 'yes',
      if_question: size.questions[0].id,
      if_value: 'large',
    });
    expect(r.statusCode).toBe(303);
    ({ def } = await draft('report-a-fallen-tree'));
    const hurt = def.pages.at(-1)!;
    expect(hurt.questions[0]).toMatchObject({ type: 'textarea', optional: true });
    expect(def.conditions![hurt.if!]).toEqual({ question: size.questions[0].id, op: 'is', value: 'large' });
    expect((await draft('report-a-fallen-tree')).f.draft_version).toBe(3);
  });

  it('sets the fee and deliveries, refusing a bad fee or web address', async () => {
    const b = await staff('designer@example.org');
    await b.get('/admin/forms/report-a-fallen-tree');
    let r = await b.post('/admin/forms/report-a-fallen-tree/settings', { fee: 'ten pounds', webhook: 'ftp://x', delivery_email: 'nope' });
    expect(r.statusCode).toBe(400);
    for (const f of ['fee', 'webhook', 'delivery_email']) expect(r.body).toContain(`href="#${f}"`);
    r = await b.post('/admin/forms/report-a-fallen-tree/settings', {
      fee: '£12.50',
      fee_description: 'Inspection fee',
      webhook: 'https://team.example.org/hook',
      api: 'yes',
      sign_in: 'Cl.Cm',
      confirmation: 'We will look within 5 days.',
    });
    expect(r.statusCode).toBe(303);
    const { def } = await draft('report-a-fallen-tree');
    expect(def.fee).toEqual({ description: 'Inspection fee', amount: 1250 });
    expect(def.deliveries).toEqual([{ type: 'webhook', url: 'https://team.example.org/hook' }, { type: 'api' }]);
    expect(def.signIn).toBe('Cl.Cm');
    expect(def.confirmation?.body).toBe('We will look within 5 days.');
  });

  it('edits the JSON: not JSON, or an invalid definition, re-renders with the error and keeps the text', async () => {
    const b = await staff('designer@example.org');
    await b.get('/admin/forms/report-a-fallen-tree');
    let r = await b.post('/admin/forms/report-a-fallen-tree/definition', { definition: '{"title": ' });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('href="#definition"');
    expect(r.body).toContain('{&quot;title&quot;:</textarea>');
    r = await b.post('/admin/forms/report-a-fallen-tree/definition', {
      definition: JSON.stringify({ title: 'X', pages: [{ id: 'a', title: 'A', questions: [{ id: 'q', type: 'radios', label: 'Q' }] }] }),
    });
    expect(r.statusCode).toBe(400);
    expect(errorSummary(r.body).join(' ')).toContain('/pages/0/questions/0');
    const before = (await draft('report-a-fallen-tree')).f.draft_version;
    const { def } = await draft('report-a-fallen-tree');
    r = await b.post('/admin/forms/report-a-fallen-tree/definition', { definition: JSON.stringify({ ...def, referencePrefix: 'PH' }) });
    expect(r.statusCode).toBe(303);
    expect((await draft('report-a-fallen-tree')).f.draft_version).toBe(before! + 1);
  });

  it('publishes a kept version live; the live form runs; a version that does not exist is refused', async () => {
    const b = await staff('designer@example.org');
    expect((await formBrowser(t).get('/forms/report-a-fallen-tree')).statusCode).toBe(404);
    await b.get('/admin/forms/report-a-fallen-tree');
    let r = await b.post('/admin/forms/report-a-fallen-tree/publish', { version: '99' });
    expect(r.statusCode).toBe(400);
    r = await b.post('/admin/forms/report-a-fallen-tree/publish', { version: '2' }, { csrf: false });
    expect(r.statusCode).toBe(403);
    r = await b.post('/admin/forms/report-a-fallen-tree/publish', { version: '2' });
    expect(r.statusCode).toBe(303);
    expect((await draft('report-a-fallen-tree')).f.live_version).toBe(2);
    const live = await formBrowser(t).get('/forms/report-a-fallen-tree');
    expect(live.statusCode).toBe(200);
    expect(live.body).toContain('Report a fallen tree');
    const list = await b.get('/admin/forms');
    expect(list.body).toContain('report-a-fallen-tree');
  });

  it('keeps staff of another organisation out', async () => {
    const b = await staff('elsewhere@example.org');
    expect((await b.get('/admin/forms')).body).not.toContain('/admin/forms/report-a-fallen-tree');
    expect((await b.get('/admin/forms/report-a-fallen-tree')).statusCode).toBe(403);
    const r = await b.post('/admin/forms/report-a-fallen-tree/pages', { title: 'Sneaky', type: 'text' });
    expect(r.statusCode).toBe(403);
    expect((await b.post('/admin/forms/report-a-fallen-tree/publish', { version: '1' })).statusCode).toBe(403);
    expect((await draft('report-a-fallen-tree')).f.live_version).toBe(2);
    // Nor can they make a service in an organisation that is not theirs.
    const n = await b.post('/admin/forms/new', { organisation: orgSlug, name: 'Sneaky', slug: 'sneaky-service', summary: 'x' });
    expect(n.statusCode).toBe(400);
    await expect(t.modules.catalogue.service.getService('sneaky-service')).rejects.toThrow();
  });
});
