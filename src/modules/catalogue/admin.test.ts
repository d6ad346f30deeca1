// The staff console through HTTP, as a browser would use it: cookies, CSRF tokens, forms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, type TestApp } from '../../../test/helpers.js';
import { sha256 } from '../../kernel/crypto.js';

const PASSWORD = 'a long enough password';
const USERS = {
  platform: 'platform.admin@example.org',
  riverside: 'riverside.admin@example.org',
  glanfor: 'glanfor.admin@example.org',
  team: 'riverside.team@example.org',
  locked: 'locked.out@example.org',
};

let built: TestApp;
let ipCount = 0;

type Res = Awaited<ReturnType<TestApp['app']['inject']>>;

/** A browser with its own IP address (sign-in attempts are limited per address). */
function browser() {
  ipCount += 1;
  return formBrowser(built, { ip: `10.1.${Math.floor(ipCount / 200)}.${(ipCount % 200) + 1}` });
}
type Browser = ReturnType<typeof browser>;

async function signIn(email: string, password = PASSWORD): Promise<Browser> {
  const b = browser();
  await b.get('/admin/sign-in');
  const res = await b.post('/admin/sign-in', { email, password });
  expect(res.statusCode, res.body).toBe(303);
  await b.get(String(res.headers.location)); // as a browser would: a new session, so a new CSRF token
  return b;
}

const setCookies = (res: Res): string[] => {
  const c = res.headers['set-cookie'];
  return (Array.isArray(c) ? c : c ? [c] : []) as string[];
};
const api = async (path: string) => {
  const res = await built.app.inject({ method: 'GET', url: `/api/catalogue/v1${path}` });
  return { status: res.statusCode, json: res.json() as any };
};
const today = () => new Date().toISOString().slice(0, 10);
const dateFields = (name: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: String(+d), [`${name}-month`]: String(+m), [`${name}-year`]: y };
};

beforeAll(async () => {
  built = await buildTestApp({ seed: true });
  const c = built.modules.catalogue.service;
  await c.createStaff(cli, { email: USERS.platform, password: PASSWORD, role: 'platform_admin' });
  await c.createStaff(cli, {
    email: USERS.riverside,
    password: PASSWORD,
    role: 'organisation_admin',
    organisationSlug: 'riverside-city-council',
  });
  await c.createStaff(cli, {
    email: USERS.glanfor,
    password: PASSWORD,
    role: 'organisation_admin',
    organisationSlug: 'glanfor-county-council',
  });
  await c.createStaff(cli, { email: USERS.team, password: PASSWORD, role: 'service_team', organisationSlug: 'riverside-city-council' });
  await c.createStaff(cli, { email: USERS.locked, password: PASSWORD, role: 'service_team', organisationSlug: 'riverside-city-council' });
});
afterAll(async () => {
  await built?.close();
});

describe('signing in', () => {
  it('shows the sign-in form with a CSRF token', async () => {
    const res = await browser().get('/admin/sign-in');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Sign in to the staff console');
    expect(res.body).toMatch(/name="email"/);
    expect(res.body).toMatch(/name="password"/);
    expect(res.body).toMatch(/name="_csrf" value="[^"]+"/);
    expect(res.body).toMatch(/<button[^>]*>\s*Sign in\s*<\/button>/);
  });

  it('is in Welsh when asked', async () => {
    const res = await browser().get('/admin/sign-in?lang=cy');
    expect(res.body).toContain('Mewngofnodi i’r consol staff');
    expect(res.body).toContain('lang="cy"');
  });

  it('asks for missing fields', async () => {
    const b = browser();
    await b.get('/admin/sign-in');
    const res = await b.post('/admin/sign-in', { email: '', password: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('href="#email">Enter your email address');
    expect(res.body).toContain('href="#password">Enter your password');
    expect(res.body).toMatch(/<title>Error: /);
  });

  it('rejects a wrong password with one neutral message, keeping the email', async () => {
    const b = browser();
    await b.get('/admin/sign-in');
    const res = await b.post('/admin/sign-in', { email: USERS.riverside, password: 'not the password' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('href="#email">Enter a correct email address and password');
    expect(res.body).toContain(`value="${USERS.riverside}"`);
    expect(setCookies(res).some((c) => c.startsWith('cs_session='))).toBe(false);
    // An unknown account gets the same message.
    const unknown = await b.post('/admin/sign-in', { email: 'nobody@example.org', password: 'whatever' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.body).toContain('Enter a correct email address and password');
  });

  it('locks the account after 5 failures, even against the right password', async () => {
    const b = browser();
    await b.get('/admin/sign-in');
    for (let i = 0; i < 5; i++)
      expect((await b.post('/admin/sign-in', { email: USERS.locked, password: `wrong ${i}` })).statusCode).toBe(401);
    const res = await b.post('/admin/sign-in', { email: USERS.locked, password: PASSWORD });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('This account is locked after 5 failed attempts');
    expect(setCookies(res).some((c) => c.startsWith('cs_session='))).toBe(false);
  });

  it('signs in with a new HttpOnly, SameSite=Lax session cookie each time, then shows the dashboard', async () => {
    const b = browser();
    await b.get('/admin/sign-in');
    const first = await b.post('/admin/sign-in', { email: USERS.riverside, password: PASSWORD });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/admin');
    const cookie = setCookies(first).find((c) => c.startsWith('cs_session='))!;
    expect(cookie).toBeTruthy();
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    const firstId = b.jar.cs_session;

    const dash = await b.get('/admin');
    expect(dash.statusCode).toBe(200);
    expect(dash.body).toContain('Services you can manage');
    expect(dash.body).toContain('href="/admin/services/apply-for-a-blue-badge"');
    expect(dash.body).not.toContain('href="/admin/services/pay-council-tax"'); // Glanfor's
    expect(dash.body).toContain('href="/admin/sign-out"');
    // Every platform's console is reachable from here.
    for (const [href, text] of [
      ['/admin/notify', 'Send emails, text messages and letters'],
      ['/admin/pay', 'Payments'],
      ['/admin/identity/clients', 'Relying services (sign-in)'],
    ]) {
      expect(dash.body).toContain(`<a class="govuk-link" href="${href}">${text}</a>`);
    }

    await b.get('/admin/sign-in');
    await b.post('/admin/sign-in', { email: USERS.riverside, password: PASSWORD });
    expect(b.jar.cs_session).toBeTruthy();
    expect(b.jar.cs_session).not.toBe(firstId);
    // The earlier session ended when the new one began.
    const old = await built.app.inject({ method: 'GET', url: '/admin', headers: { accept: 'text/html', cookie: `cs_session=${firstId}` } });
    expect(old.statusCode).toBe(403);
  });

  it('goes on to a safe local next page only', async () => {
    const b = browser();
    await b.get('/admin/sign-in?next=%2Fadmin%2Faudit');
    expect((await b.post('/admin/sign-in', { email: USERS.platform, password: PASSWORD, next: '/admin/audit' })).headers.location).toBe(
      '/admin/audit',
    );
    for (const next of ['//evil.example/admin', 'https://evil.example/', '/admin//evil.example', '/\\evil.example']) {
      const c = browser();
      await c.get('/admin/sign-in');
      expect((await c.post('/admin/sign-in', { email: USERS.platform, password: PASSWORD, next })).headers.location).toBe('/admin');
    }
  });

  it('rate-limits sign-in attempts from one address', async () => {
    const b = browser();
    await b.get('/admin/sign-in');
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) codes.push((await b.post('/admin/sign-in', { email: 'nobody@example.org', password: 'x' })).statusCode);
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    expect(codes[10]).toBe(429);
  });
});

describe('the guard', () => {
  it('sends people without a session to sign in, remembering where they were going', async () => {
    const res = await browser().get('/admin/services/apply-for-a-blue-badge');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/sign-in?next=%2Fadmin%2Fservices%2Fapply-for-a-blue-badge');
  });

  it('shows the session-expired page for a stale or unknown session cookie', async () => {
    const b = browser();
    b.jar.cs_session = 'not-a-session-that-exists';
    const res = await b.get('/admin');
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Your session has expired');
    expect(res.body).toContain('href="/admin/sign-in"');
  });

  it('rejects a POST without a CSRF token', async () => {
    const anon = browser();
    await anon.get('/admin/sign-in');
    const noToken = await anon.post('/admin/sign-in', { email: USERS.platform, password: PASSWORD }, { csrf: false });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('This form has expired');
    expect(setCookies(noToken).some((c) => c.startsWith('cs_session='))).toBe(false);

    const b = await signIn(USERS.platform);
    const res = await b.post(
      '/admin/services',
      { slug: 'csrf-test-service', name: 'CSRF test', summary: 'x', phase: 'alpha', organisation: 'riverside-city-council' },
      { csrf: false },
    );
    expect(res.statusCode).toBe(403);
    expect((await api('/services/csrf-test-service')).status).toBe(404);
  });

  it('signs out with a POST, ending the session', async () => {
    const b = await signIn(USERS.team);
    const id = b.jar.cs_session;
    const confirm = await b.get('/admin/sign-out');
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('action="/admin/sign-out"');
    const res = await b.post('/admin/sign-out', {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/sign-in?done=signed-out');
    expect((await b.get(res.headers.location as string)).body).toContain('You have signed out');
    expect((await b.get('/admin')).statusCode).toBe(303); // cookie cleared
    const replay = await built.app.inject({ method: 'GET', url: '/admin', headers: { accept: 'text/html', cookie: `cs_session=${id}` } });
    expect(replay.statusCode).toBe(403); // and the old id no longer works
  });
});

describe('services', () => {
  const form = {
    slug: 'apply-for-a-library-card',
    name: 'Apply for a library card',
    name_cy: 'Gwneud cais am gerdyn llyfrgell',
    summary: 'Join Riverside libraries online.',
    summary_cy: '',
    description: 'Borrow books, e-books and audiobooks.',
    phase: 'beta',
    organisation: 'riverside-city-council',
    team: 'digital-services',
    start_url: 'https://riverside.example.org/libraries/join',
    platforms: ['identity', 'notify'],
  };

  it('creates a service through the form; it appears on the public API', async () => {
    const b = await signIn(USERS.riverside);
    const page = await b.get('/admin/services/new');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('value="discovery"');
    expect(page.body).toContain('value="riverside-city-council"');
    expect(page.body).not.toContain('value="glanfor-county-council"');
    const res = await b.post('/admin/services', form);
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/admin/services/apply-for-a-library-card?done=service-created');
    const shown = await b.get(res.headers.location as string);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('govuk-notification-banner--success');
    expect(shown.body).toContain('Service created');

    const { status, json } = await api('/services/apply-for-a-library-card');
    expect(status).toBe(200);
    expect(json.name).toBe('Apply for a library card');
    expect(json.name_cy).toBe('Gwneud cais am gerdyn llyfrgell');
    expect(json.summary_cy).toBeNull();
    expect(json.phase).toBe('beta');
    expect(json.organisation.slug).toBe('riverside-city-council');
    expect(json.team?.slug).toBe('digital-services');
    expect(json.platforms).toEqual(['identity', 'notify']);
  });

  it('re-renders with an error summary and keeps what was entered', async () => {
    const b = await signIn(USERS.riverside);
    await b.get('/admin/services/new');
    const res = await b.post('/admin/services', { ...form, slug: 'Not A Slug', name: '', phase: '', summary: 'Keep <this> summary' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('href="#slug">Slug must be lowercase letters, numbers and hyphens');
    expect(res.body).toContain('href="#name">Enter a service name');
    expect(res.body).toContain('href="#phase">Select a phase');
    expect(res.body).toContain('value="Not A Slug"');
    expect(res.body).toContain('Keep &lt;this&gt; summary');
    expect(res.body).toMatch(/value="identity"\s+checked/);
    expect((await api('/services/not-a-slug')).status).toBe(404);

    const taken = await b.post('/admin/services', { ...form, slug: 'apply-for-a-blue-badge' });
    expect(taken.statusCode).toBe(400);
    expect(taken.body).toContain('href="#slug">That slug is already in use');

    const wrongTeam = await b.post('/admin/services', { ...form, slug: 'a-service-with-a-bad-team', team: 'no-such-team' });
    expect(wrongTeam.statusCode).toBe(400);
    expect(wrongTeam.body).toContain('href="#team">Choose a team from the owning organisation');
  });

  it('lets an organisation admin edit their own service but not another organisation’s', async () => {
    const b = await signIn(USERS.riverside);
    expect((await b.get('/admin/services/apply-for-a-blue-badge/edit')).statusCode).toBe(200);
    const other = await b.get('/admin/services/pay-council-tax/edit');
    expect(other.statusCode).toBe(403);
    expect(other.body).toContain('You do not have permission to view this page');
    expect((await b.get('/admin/services/pay-council-tax')).statusCode).toBe(403);
    const before = (await api('/services/pay-council-tax')).json;
    const post = await b.post('/admin/services/pay-council-tax/edit', {
      name: 'Hijacked',
      summary: 'x',
      phase: 'live',
      organisation: 'riverside-city-council',
    });
    expect(post.statusCode).toBe(403);
    expect((await api('/services/pay-council-tax')).json.name).toBe(before.name);

    const { slug: _slug, ...editable } = form;
    const ok = await b.post('/admin/services/apply-for-a-library-card/edit', { ...editable, phase: 'live', summary: 'Join online.' });
    expect(ok.statusCode, ok.body).toBe(303);
    expect((await api('/services/apply-for-a-library-card')).json).toMatchObject({ phase: 'live', summary: 'Join online.' });
  });

  it('changes the office-holder, keeping the previous one in the history', async () => {
    const before = (await api('/services/apply-for-a-blue-badge')).json;
    const previous = before.office_holder.name as string;
    const b = await signIn(USERS.riverside);
    const page = await b.get('/admin/services/apply-for-a-blue-badge/office-holder');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(previous);

    const bad = await b.post('/admin/services/apply-for-a-blue-badge/office-holder', {
      name: 'Cllr Ada Evans',
      role: '',
      organisation: 'riverside-city-council',
      ...dateFields('in_post_since', '2026-02-31'),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#role">Enter the office-holder’s role');
    expect(bad.body).toContain('href="#in_post_since-day">');
    expect(bad.body).toContain('value="Cllr Ada Evans"');

    const res = await b.post('/admin/services/apply-for-a-blue-badge/office-holder', {
      name: 'Cllr Ada Evans',
      role: 'Cabinet Member for Adult Social Care',
      organisation: 'riverside-city-council',
      contact: 'ada.evans@example.org',
      ...dateFields('in_post_since', today()),
      is_demo: 'yes',
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/admin/services/apply-for-a-blue-badge?done=office-holder-set');
    const after = (await api('/services/apply-for-a-blue-badge')).json;
    expect(after.office_holder.name).toBe('Cllr Ada Evans');
    expect(after.previous_office_holders.map((h: any) => h.name)).toContain(previous);
    expect(after.previous_office_holders.find((h: any) => h.name === previous).left_post).toBe(today());
  });
});

describe('Welsh versions in the console', () => {
  it('edits the Welsh of every citizen-facing field, and the Welsh pages show it', async () => {
    const b = await signIn(USERS.glanfor);
    const slug = 'check-your-bin-collection-day';
    const svc = (await api(`/services/${slug}`)).json;
    const form = await b.get(`/admin/services/${slug}/edit`);
    for (const field of ['description_cy', 'how_to_apply', 'how_to_apply_cy'])
      expect(form.body, field).toMatch(new RegExp(`<textarea[^>]*name="${field}"`));
    expect(form.body).toMatch(/<textarea[^>]*name="how_to_apply_cy"[^>]*lang="cy"/);
    const edit = await b.post(`/admin/services/${slug}/edit`, {
      name: svc.name,
      name_cy: svc.name_cy,
      summary: svc.summary,
      summary_cy: svc.summary_cy,
      description: svc.description,
      description_cy: 'Disgrifiad newydd yn Gymraeg.',
      how_to_apply: 'Phone us.',
      how_to_apply_cy: 'Ffoniwch ni.\n\n* gyda’ch cod post',
      phase: svc.phase,
      organisation: 'glanfor-county-council',
      team: svc.team.slug,
      platforms: svc.platforms,
    });
    expect(edit.statusCode, edit.body).toBe(303);
    const tooLong = await b.post(`/admin/services/${slug}/edit`, {
      name: svc.name,
      summary: svc.summary,
      phase: svc.phase,
      organisation: 'glanfor-county-council',
      how_to_apply_cy: 'x'.repeat(5001),
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('href="#how_to_apply_cy"');

    expect((await b.get(`/admin/services/${slug}/office-holder`)).body).toMatch(/name="role_cy"/);
    /** Fills in a console form and expects it saved (a redirect back with a banner). */
    const save = async (url: string, fields: Record<string, string>) => {
      await b.get(url);
      const res = await b.post(url, fields);
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(303);
    };
    await save(`/admin/services/${slug}/office-holder`, {
      name: 'Cllr Nia Rowlands',
      role: 'Cabinet Member for Environment',
      role_cy: 'Aelod Cabinet dros yr Amgylchedd',
      organisation: 'glanfor-county-council',
      ...dateFields('in_post_since', today()),
    });
    await save(`/admin/services/${slug}/decisions/new`, {
      ...dateFields('decided_on', today()),
      decision: 'Collect garden waste every fortnight',
      decision_cy: 'Casglu gwastraff gardd bob pythefnos',
      reasoning: 'Residents asked.',
      reasoning_cy: 'Gofynnodd trigolion.',
      decided_by: 'Cabinet',
      decided_by_cy: 'Y Cabinet',
    });
    await save(`/admin/services/${slug}/roadmap/new`, {
      status: 'next',
      title: 'Garden waste',
      title_cy: 'Gwastraff gardd',
      description: 'Sign up online.',
      description_cy: 'Cofrestru ar-lein.',
    });
    const item = (await api(`/services/${slug}`)).json.roadmap.find((r: any) => r.title === 'Garden waste');
    expect((await b.get(`/admin/services/${slug}/roadmap/${item.id}/edit`)).body).toContain('value="Gwastraff gardd"');
    await save('/admin/organisations/glanfor-county-council/edit', {
      name: 'Glanfor County Council',
      name_cy: 'Cyngor Sir Glanfor',
      kind: 'local_authority',
      summary: 'Bilingual county council.',
      summary_cy: 'Cyngor sir dwyieithog.',
    });
    await save('/admin/organisations/glanfor-county-council/teams/new', { slug: 'waste', name: 'Waste team', name_cy: 'Tîm gwastraff' });

    // The console shows what is stored; the Welsh pages show the Welsh.
    const admin = await b.get(`/admin/services/${slug}`);
    expect(admin.body).toContain('Disgrifiad newydd yn Gymraeg.');
    expect(admin.body).toContain('<p class="govuk-body govuk-!-margin-bottom-1" lang="cy">Casglu gwastraff gardd bob pythefnos</p>');
    const page = (await built.app.inject({ url: `/services/${slug}?lang=cy` })).body;
    const shown = ['Disgrifiad newydd yn Gymraeg.', 'Aelod Cabinet dros yr Amgylchedd', 'Casglu gwastraff gardd bob pythefnos'];
    const alsoShown = ['Gofynnodd trigolion.', 'Y Cabinet', 'Gwastraff gardd', 'Cofrestru ar-lein.'];
    expect([...shown, ...alsoShown].filter((w) => !page.includes(w))).toEqual([]);
    const apply = (await built.app.inject({ url: `/services/${slug}/apply?lang=cy` })).body;
    expect(apply).toContain('<p class="govuk-body">Ffoniwch ni.</p>');
    expect(apply).toContain('<li>gyda’ch cod post</li>');
    const org = (await built.app.inject({ url: '/organisations/glanfor-county-council?lang=cy' })).body;
    expect(org).toContain('Cyngor sir dwyieithog.');
    expect(org).toContain('Tîm gwastraff');
  });
});

describe('service team members', () => {
  it('can add a decision and roadmap items but cannot create services or manage staff', async () => {
    const b = await signIn(USERS.team);
    const form = await b.get('/admin/services/apply-for-a-blue-badge/decisions/new');
    expect(form.statusCode).toBe(200);
    const res = await b.post('/admin/services/apply-for-a-blue-badge/decisions/new', {
      ...dateFields('decided_on', '2026-03-01'),
      decision: 'Offer a paper form in libraries',
      reasoning: 'Some applicants have no internet access.',
      decided_by: 'Service owner',
      evidence_url: '',
    });
    expect(res.statusCode, res.body).toBe(303);
    expect((await api('/services/apply-for-a-blue-badge')).json.decisions.map((d: any) => d.decision)).toContain(
      'Offer a paper form in libraries',
    );

    const road = await b.post('/admin/services/apply-for-a-blue-badge/roadmap/new', {
      status: 'next',
      title: 'Paper form pilot',
      description: '',
      ...dateFields('target_date', '2027-01-15'),
    });
    expect(road.statusCode, road.body).toBe(303);
    const item = (await api('/services/apply-for-a-blue-badge')).json.roadmap.find((r: any) => r.title === 'Paper form pilot');
    expect(item).toMatchObject({ status: 'next', target_date: '2027-01-15' });
    const edit = await b.get(`/admin/services/apply-for-a-blue-badge/roadmap/${item.id}/edit`);
    expect(edit.body).toContain('value="Paper form pilot"');
    expect(edit.body).toMatch(/name="target_date-day"[^>]*value="15"/);
    const saved = await b.post(`/admin/services/apply-for-a-blue-badge/roadmap/${item.id}/edit`, {
      status: 'done',
      title: 'Paper form pilot',
      description: 'Done in 3 libraries',
    });
    expect(saved.statusCode, saved.body).toBe(303);
    expect((await api('/services/apply-for-a-blue-badge')).json.roadmap.find((r: any) => r.id === item.id)).toMatchObject({
      status: 'done',
      target_date: null,
    });

    expect((await b.get('/admin/services/new')).statusCode).toBe(403);
    const create = await b.post('/admin/services', {
      slug: 'team-made-service',
      name: 'Team made',
      summary: 'x',
      phase: 'alpha',
      organisation: 'riverside-city-council',
    });
    expect(create.statusCode).toBe(403);
    expect((await api('/services/team-made-service')).status).toBe(404);
    expect((await b.get('/admin/services/apply-for-a-blue-badge/edit')).statusCode).toBe(403);
    expect((await b.get('/admin/services/apply-for-a-blue-badge/office-holder')).statusCode).toBe(403);
    expect((await b.get('/admin/staff')).statusCode).toBe(403);
    expect((await b.get('/admin/services/pay-council-tax/decisions/new')).statusCode).toBe(403);
  });
});

describe('API keys', () => {
  it('shows a new key once, stores only its hash, and stops it working when revoked', async () => {
    const b = await signIn(USERS.riverside);
    expect((await b.get('/admin/services/apply-for-a-blue-badge/api-keys/new')).statusCode).toBe(200);
    const bad = await b.post('/admin/services/apply-for-a-blue-badge/api-keys/new', { name: '', platform: 'nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#platform">Select a platform');
    expect(bad.body).toContain('href="#type">Select a type of key');

    const res = await b.post('/admin/services/apply-for-a-blue-badge/api-keys/new', {
      name: 'Production payments',
      platform: 'pay',
      type: 'live',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('You will not be able to see this key again');
    const secret = /<code class="cs-key" id="secret">([^<]+)<\/code>/.exec(res.body)?.[1] ?? '';
    expect(secret).toMatch(/^api_live_[A-Za-z0-9_-]{30,}$/);

    const { rows } = await built.kernel.db.query<Record<string, unknown>>(
      `SELECT * FROM catalogue.api_keys WHERE name = 'Production payments'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_hash).toBe(sha256(secret));
    for (const [column, value] of Object.entries(rows[0])) expect(String(value), column).not.toContain(secret);
    expect(rows[0].hint).toBe(secret.slice(-4));

    expect(await built.modules.catalogue.service.verifyApiKey(secret, 'pay')).toMatchObject({ keyId: rows[0].id, type: 'live' });
    expect(await built.modules.catalogue.service.verifyApiKey(secret, 'notify')).toBeNull();

    const page = await b.get('/admin/services/apply-for-a-blue-badge');
    expect(page.body).toContain('Production payments');
    expect(page.body).toContain(`…${secret.slice(-4)}`);
    expect(page.body).not.toContain(secret);

    const confirm = await b.get(`/admin/services/apply-for-a-blue-badge/api-keys/${rows[0].id}/revoke`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Revoke this API key?');
    // The key belongs to this service: another service's URL does not find it.
    expect((await b.get(`/admin/services/report-a-pothole/api-keys/${rows[0].id}/revoke`)).statusCode).toBe(404);
    const revoked = await b.post(`/admin/services/apply-for-a-blue-badge/api-keys/${rows[0].id}/revoke`, {});
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers.location).toBe('/admin/services/apply-for-a-blue-badge?done=key-revoked');
    expect((await b.get(revoked.headers.location as string)).body).toContain('API key revoked');
    expect(await built.modules.catalogue.service.verifyApiKey(secret, 'pay')).toBeNull();
  });

  it('never stores a Notify key or its shared secret in plain text', async () => {
    const b = await signIn(USERS.team);
    const res = await b.post('/admin/services/apply-for-a-blue-badge/api-keys/new', {
      name: 'Notify test',
      platform: 'notify',
      type: 'test',
    });
    expect(res.statusCode).toBe(200);
    const secret = /<code class="cs-key" id="secret">([^<]+)<\/code>/.exec(res.body)?.[1] ?? '';
    const sharedSecret = secret.slice(-36);
    expect(sharedSecret).toMatch(/^[0-9a-f-]{36}$/);
    const { rows } = await built.kernel.db.query<Record<string, unknown>>(`SELECT * FROM catalogue.api_keys WHERE name = 'Notify test'`);
    for (const [column, value] of Object.entries(rows[0])) expect(String(value), column).not.toContain(sharedSecret);
    expect((await built.modules.catalogue.service.verifyApiKey(secret, 'notify'))?.secret).toBe(sharedSecret);
  });

  it('does not let staff of another organisation create or revoke keys', async () => {
    const b = await signIn(USERS.glanfor);
    expect((await b.get('/admin/services/apply-for-a-blue-badge/api-keys/new')).statusCode).toBe(403);
    const res = await b.post('/admin/services/apply-for-a-blue-badge/api-keys/new', { name: 'Sneaky', platform: 'pay', type: 'live' });
    expect(res.statusCode).toBe(403);
    const { rows } = await built.kernel.db.query(`SELECT id FROM catalogue.api_keys WHERE name = 'Sneaky'`);
    expect(rows).toHaveLength(0);
  });
});

describe('organisations, teams and staff', () => {
  it('lets a platform admin create an organisation and an organisation admin add a team', async () => {
    const admin = await signIn(USERS.platform);
    const bad = await admin.post('/admin/organisations', { slug: 'harbour-town-council', name: '', kind: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#kind">Select the kind of organisation');
    const res = await admin.post('/admin/organisations', {
      slug: 'harbour-town-council',
      name: 'Harbour Town Council',
      name_cy: 'Cyngor Tref yr Harbwr',
      kind: 'local_authority',
      summary: 'A small town council.',
      website: 'https://harbour.example.org',
      parent: '',
    });
    expect(res.statusCode, res.body).toBe(303);
    expect((await api('/organisations/harbour-town-council')).json.organisation).toMatchObject({
      name: 'Harbour Town Council',
      kind: 'local_authority',
    });

    const org = await signIn(USERS.riverside);
    expect((await org.get('/admin/organisations/new')).statusCode).toBe(403);
    expect((await org.get('/admin/organisations/glanfor-county-council/edit')).statusCode).toBe(403);
    const list = await org.get('/admin/organisations');
    expect(list.body).toContain('Riverside City Council');
    expect(list.body).not.toContain('Glanfor County Council');
    const team = await org.post('/admin/organisations/riverside-city-council/teams/new', {
      slug: 'libraries',
      name: 'Libraries',
      email: 'libraries@example.org',
    });
    expect(team.statusCode, team.body).toBe(303);
    expect((await api('/organisations/riverside-city-council')).json.teams.map((t: any) => t.slug)).toContain('libraries');
    const again = await org.post('/admin/organisations/riverside-city-council/teams/new', {
      slug: 'libraries',
      name: 'Libraries again',
      email: '',
    });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('href="#slug">That slug is already in use');
  });

  it('lets an organisation admin add staff to their own organisation only, never taking over an account', async () => {
    const b = await signIn(USERS.riverside);
    const form = await b.get('/admin/staff/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).not.toContain('value="platform_admin"');
    const short = await b.post('/admin/staff/new', {
      email: 'new.person@example.org',
      name: 'New Person',
      role: 'service_team',
      organisation: 'riverside-city-council',
      password: 'short',
    });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('href="#password">Password must be at least 12 characters');
    const takeover = await b.post('/admin/staff/new', {
      email: USERS.platform,
      name: 'Mine now',
      role: 'service_team',
      organisation: 'riverside-city-council',
      password: 'another long password',
    });
    expect(takeover.statusCode).toBe(400);
    expect(takeover.body).toContain('A staff account with this email address already exists');
    const elsewhere = await b.post('/admin/staff/new', {
      email: 'spy@example.org',
      name: 'Spy',
      role: 'service_team',
      organisation: 'glanfor-county-council',
      password: 'another long password',
    });
    expect(elsewhere.statusCode).toBe(400);
    const res = await b.post('/admin/staff/new', {
      email: 'New.Person@example.org',
      name: 'New Person',
      role: 'service_team',
      organisation: 'riverside-city-council',
      password: 'another long password',
    });
    expect(res.statusCode, res.body).toBe(303);
    const list = await b.get('/admin/staff');
    expect(list.body).toContain('new.person@example.org');
    expect(list.body).not.toContain(USERS.glanfor);
    await signIn('new.person@example.org', 'another long password');
    // The platform admin still signs in with their own password.
    await signIn(USERS.platform);
  });
});

describe('audit log', () => {
  it('lists the actions with before and after, limited to the organisation for organisation staff', async () => {
    const admin = await signIn(USERS.platform);
    const res = await admin.get('/admin/audit');
    expect(res.statusCode).toBe(200);
    for (const action of [
      'service.create',
      'service.update',
      'office_holder.set',
      'decision.create',
      'api_key.create',
      'api_key.revoke',
      'organisation.create',
    ]) {
      expect(res.body).toContain(`<code>${action}</code>`);
    }
    expect(res.body).toContain(`staff:${USERS.riverside}`);
    expect(res.body).toContain('Show before and after');
    // The office-holder change records who held the post before (JSON, HTML-escaped).
    expect(res.body).toMatch(/&quot;name&quot;: &quot;Cllr Ada Evans&quot;/);
    expect(res.body).toMatch(/&quot;left_post&quot;: null/);

    const glanfor = await signIn(USERS.glanfor);
    const own = await glanfor.get('/admin/audit');
    expect(own.statusCode).toBe(200);
    expect(own.body).not.toContain(`staff:${USERS.riverside}`);
    expect(own.body).not.toContain('Cllr Ada Evans'); // Riverside's office-holder change

    const older = await admin.get('/admin/audit?page=2');
    expect(older.statusCode).toBe(200);
    expect((await admin.get('/admin/audit?page=nonsense')).statusCode).toBe(200);
  });
});
