// Consultations through HTTP on a real database: a team opens one in the console; people
// support or oppose options once each and comment (warned about personal data); hostile
// content is shown as text everywhere; moderators hide with reasons, writers appeal, and the
// trail records it; the service page shows it beside the office-holder; other organisations'
// staff and keys see nothing of it; and "you said, we did" lands in the decision log and
// reaches the people who asked, through Notify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { cli, day, engagementFixture, openConsultation, staffBrowser } from './testing.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
});
afterAll(() => t.close());

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)> "quoted" & 'single'`;

describe('opening a consultation', () => {
  it('is done in the console on a roadmap item, and shows on the service page beside the office-holder', async () => {
    const f = await engagementFixture(t);
    const staff = await staffBrowser(t, f.email);
    let page = await staff.get(`/admin/engagement/new?service=${f.service.slug}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Fortnightly glass collections');

    // Errors come back in the summary, keeping what was typed.
    let res = await staff.post('/admin/engagement/new', {
      service: f.service.slug,
      mode: 'consultation',
      subject: 'roadmap',
      title: 'Glass',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('Enter the question');
    expect(res.body).toContain('value="Glass"');

    const [y1, m1, d1] = day(-1).split('-');
    const [y2, m2, d2] = day(20).split('-');
    res = await staff.post('/admin/engagement/new', {
      service: f.service.slug,
      mode: 'consultation',
      subject: 'roadmap',
      roadmap_item_id: f.item.id,
      title: 'Glass collections',
      title_cy: 'Casgliadau gwydr',
      question: 'How often should we collect glass?',
      background: 'We collect glass monthly.\n\nMany of you asked for more.',
      options: 'Every fortnight\nEvery month',
      options_cy: 'Bob pythefnos\nBob mis',
      eligibility: 'anyone',
      allow_anonymous: 'yes',
      'opens-day': d1,
      'opens-month': m1,
      'opens-year': y1,
      'closes-day': d2,
      'closes-month': m2,
      'closes-year': y2,
      promised_kpis: ['userSatisfaction'],
    });
    expect(res.statusCode).toBe(303);
    const id = /\/admin\/engagement\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];

    const pub = formBrowser(t);
    page = await pub.get(`/consultations/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('How often should we collect glass?');
    expect(page.body).toContain('Fortnightly glass collections');
    expect(page.body).toContain('Every fortnight');
    const cy = await pub.get(`/consultations/${id}?lang=cy`);
    expect(cy.body).toContain('Casgliadau gwydr');
    expect(cy.body).toContain('Bob pythefnos');

    const servicePage = await pub.get(`/services/${f.service.slug}`);
    expect(servicePage.body).toContain(`/consultations/${id}`);
    // The panel sits with the accountable office-holder's section.
    const holderAt = servicePage.body.indexOf('Cllr Jane Doe');
    const panelAt = servicePage.body.indexOf(`/consultations/${id}`);
    expect(holderAt).toBeGreaterThan(0);
    expect(panelAt).toBeGreaterThan(holderAt);

    const list = await t.app.inject({ url: `/engagement/v1/consultations?service=${f.service.slug}` });
    expect(list.statusCode).toBe(200);
    expect(list.json().consultations[0]).toMatchObject({ id, title: 'Glass collections', status: 'open', roadmap_item_id: f.item.id });
  });

  it('refuses a roadmap item of another service, and bad dates, with field errors (API)', async () => {
    const a = await engagementFixture(t);
    const b = await engagementFixture(t);
    const key = (await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: a.service.slug, platform: 'engagement', type: 'live' }))
      .secret;
    const post = (body: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/engagement/v1/consultations',
        headers: { authorization: `Bearer ${key}` },
        payload: body as object,
      });
    const base = { subject: 'roadmap', title: 'T', question: 'Q', eligibility: 'anyone', opens_on: day(0), closes_on: day(3) };
    let res = await post({ ...base, roadmap_item_id: b.item.id });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_consultation', errors: [{ field: 'roadmap_item_id' }] });
    res = await post({ ...base, subject: 'general', closes_on: day(-3) });
    expect(res.statusCode).toBe(400);
    res = await post({ ...base, subject: 'general', opens_on: 'tomorrow' });
    expect(res.statusCode).toBe(400);
    res = await post({ ...base, roadmap_item_id: a.item.id });
    expect(res.statusCode).toBe(201);
    expect(res.json().service_slug).toBe(a.service.slug);
    const none = await t.app.inject({ method: 'POST', url: '/engagement/v1/consultations', payload: base });
    expect(none.statusCode).toBe(401);
  });
});

describe('taking part', () => {
  it('counts one view per person per option; a second browser is a second person', async () => {
    const f = await engagementFixture(t);
    const c = await openConsultation(t, f.service.slug);
    const [o1] = await t.modules.engagement.service.options(c.id);
    const alice = formBrowser(t, { ip: '10.1.0.1' });
    await alice.get(`/consultations/${c.id}`);
    let res = await alice.post(`/consultations/${c.id}/options/${o1.id}`, { stance: 'support' });
    expect(res.statusCode).toBe(303);
    res = await alice.post(`/consultations/${c.id}/options/${o1.id}`, { stance: 'support' });
    let [after] = await t.modules.engagement.service.options(c.id);
    expect(after).toMatchObject({ support: 1, oppose: 0 });
    await alice.post(`/consultations/${c.id}/options/${o1.id}`, { stance: 'oppose' });
    [after] = await t.modules.engagement.service.options(c.id);
    expect(after).toMatchObject({ support: 0, oppose: 1 });

    const bob = formBrowser(t, { ip: '10.1.0.2' });
    await bob.get(`/consultations/${c.id}`);
    await bob.post(`/consultations/${c.id}/options/${o1.id}`, { stance: 'oppose' });
    [after] = await t.modules.engagement.service.options(c.id);
    expect(after).toMatchObject({ support: 0, oppose: 2 });
    const page = await bob.get(`/consultations/${c.id}?done=voted`);
    expect(page.body).toContain('0 support, 2 oppose');

    // Without CSRF, nothing.
    const forged = await bob.post(`/consultations/${c.id}/options/${o1.id}`, { stance: 'support' }, { csrf: false });
    expect(forged.statusCode).toBe(403);
    // An unknown stance or option is a clear 400/404, never a 500.
    expect((await bob.post(`/consultations/${c.id}/options/${o1.id}`, { stance: 'maybe' })).statusCode).toBe(400);
    expect((await bob.post(`/consultations/${c.id}/options/00000000-0000-0000-0000-000000000000`, { stance: 'support' })).statusCode).toBe(
      404,
    );
    expect((await bob.get('/consultations/not-a-uuid')).statusCode).toBe(404);
  });

  it('sends people to sign in where anonymous taking part is not allowed', async () => {
    const f = await engagementFixture(t);
    const c = await openConsultation(t, f.service.slug, { allow_anonymous: false });
    const b = formBrowser(t);
    await b.get(`/consultations/${c.id}`);
    const res = await b.post(`/consultations/${c.id}/comments`, { body: 'A thought' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/identity\/sign-in\?return_to=/);
  });

  it('warns about personal data and strong language before posting, refuses duplicates, and flags them for moderators', async () => {
    const f = await engagementFixture(t);
    const c = await openConsultation(t, f.service.slug);
    const b = formBrowser(t, { ip: '10.2.0.1' });
    await b.get(`/consultations/${c.id}`);
    let res = await b.post(`/consultations/${c.id}/comments`, { body: 'Call me on 07700 900123 about it' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('personal information');
    expect(res.body).toContain('07700 900123'); // kept in the box so it can be edited
    expect(await t.modules.engagement.service.comments(c.id)).toHaveLength(0);
    res = await b.post(`/consultations/${c.id}/comments`, { body: 'Call me on 07700 900123 about it', confirm: 'yes' });
    expect(res.statusCode).toBe(303);
    const [posted] = await t.modules.engagement.service.comments(c.id);
    expect(posted.flags).toContain('personal_data');

    res = await b.post(`/consultations/${c.id}/comments`, { body: 'Glass every fortnight, please.' });
    expect(res.statusCode).toBe(303);
    res = await b.post(`/consultations/${c.id}/comments`, { body: 'glass   every fortnight PLEASE' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('already posted this comment');
    const other = formBrowser(t, { ip: '10.2.0.2' });
    await other.get(`/consultations/${c.id}`);
    await other.post(`/consultations/${c.id}/comments`, { body: 'Glass every fortnight please!' });
    const all = await t.modules.engagement.service.comments(c.id);
    expect(all.at(-1)!.flags).toContain('duplicate');

    // Empty and over-long comments re-render with the error summary.
    expect((await b.post(`/consultations/${c.id}/comments`, { body: '  ' })).body).toContain('Enter your comment');
    expect((await b.post(`/consultations/${c.id}/comments`, { body: 'x'.repeat(2001) })).statusCode).toBe(400);
  });

  it('shows hostile content as text on every page and in the API (stored XSS impossible)', async () => {
    const f = await engagementFixture(t);
    const c = await openConsultation(t, f.service.slug, {
      title: HOSTILE,
      question: HOSTILE,
      background: HOSTILE,
      options: [{ label: HOSTILE }, { label: 'b' }],
    });
    const b = formBrowser(t, { ip: '10.3.0.1' });
    await b.get(`/consultations/${c.id}`);
    await b.post(`/consultations/${c.id}/comments`, { body: HOSTILE });
    const [cm] = await t.modules.engagement.service.comments(c.id);
    await b.post(`/consultations/${c.id}/comments`, { body: `reply ${HOSTILE}`, parent: cm.id });
    const staff = await staffBrowser(t, f.email);
    const pages = [
      await b.get(`/consultations/${c.id}`),
      await b.get(`/consultations/${c.id}/comment?reply=${cm.id}`),
      await b.get(`/consultations/${c.id}/comments/${cm.id}/report`),
      await b.get('/consultations'),
      await b.get(`/services/${f.service.slug}`),
      await staff.get(`/admin/engagement/${c.id}`),
      await staff.get('/admin/engagement'),
    ];
    for (const p of pages) {
      expect(p.statusCode).toBe(200);
      expect(p.body).not.toContain('<script>alert');
      expect(p.body).not.toContain('<img src=x');
      expect(p.body).toContain('&lt;script&gt;alert');
    }
    const api = await t.app.inject({ url: `/engagement/v1/consultations/${c.id}` });
    expect(api.headers['content-type']).toContain('application/json');
    expect(api.json().comments[0].body).toBe(HOSTILE);
  });
});

describe('moderation', () => {
  it('hides with a reason shown in place, lets the writer appeal, and keeps a trail; redacts personal data', async () => {
    const f = await engagementFixture(t);
    const c = await openConsultation(t, f.service.slug);
    const writer = formBrowser(t, { ip: '10.4.0.1' });
    await writer.get(`/consultations/${c.id}`);
    await writer.post(`/consultations/${c.id}/comments`, { body: 'Off-topic rant about parking' });
    await writer.post(`/consultations/${c.id}/comments`, { body: 'Email me at someone@example.org', confirm: 'yes' });
    const [rant, email] = await t.modules.engagement.service.comments(c.id);

    const reader = formBrowser(t, { ip: '10.4.0.2' });
    await reader.get(`/consultations/${c.id}/comments/${rant.id}/report`);
    expect((await reader.post(`/consultations/${c.id}/comments/${rant.id}/report`, { reason: 'Off topic' })).statusCode).toBe(303);

    const staff = await staffBrowser(t, f.email);
    let page = await staff.get(`/admin/engagement/${c.id}`);
    expect(page.body).toContain('Reported 1 times');
    // A reason is required.
    let res = await staff.post(`/admin/engagement/${c.id}/comments/${rant.id}`, { action: 'hide', reason: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Enter the reason');
    res = await staff.post(`/admin/engagement/${c.id}/comments/${rant.id}`, { action: 'hide', reason: 'Not about glass collections' });
    expect(res.statusCode).toBe(303);
    res = await staff.post(`/admin/engagement/${c.id}/comments/${email.id}`, { action: 'redact', reason: 'Personal data' });
    expect(res.statusCode).toBe(303);

    page = await reader.get(`/consultations/${c.id}`);
    expect(page.body).not.toContain('Off-topic rant about parking');
    expect(page.body).toContain('Not about glass collections');
    expect(page.body).not.toContain('someone@example.org');
    expect(page.body).toContain('Email me at [redacted]');

    // Only the writer may appeal (another browser gets a 404).
    expect((await reader.get(`/consultations/${c.id}/comments/${rant.id}/appeal`)).statusCode).toBe(404);
    page = await writer.get(`/consultations/${c.id}/comments/${rant.id}/appeal`);
    expect(page.statusCode).toBe(200);
    res = await writer.post(`/consultations/${c.id}/comments/${rant.id}/appeal`, { appeal: '' });
    expect(res.statusCode).toBe(400);
    res = await writer.post(`/consultations/${c.id}/comments/${rant.id}/appeal`, { appeal: 'It is about bins too' });
    expect(res.statusCode).toBe(303);

    await staff.get(`/admin/engagement/${c.id}`);
    res = await staff.post(`/admin/engagement/${c.id}/comments/${rant.id}/appeal`, {
      decision: 'uphold',
      reason: 'Fair: it is about collections',
    });
    expect(res.statusCode).toBe(303);
    page = await reader.get(`/consultations/${c.id}`);
    expect(page.body).toContain('Off-topic rant about parking');

    const trail = (await t.modules.engagement.service.moderation(c.id)).map((m) => m.action).reverse();
    expect(trail).toEqual(['reported', 'hide', 'redact', 'appealed', 'appeal_upheld']);
    const audit = await t.kernel.db.query(`SELECT action FROM kernel.audit_log WHERE subject = $1 ORDER BY id`, [
      `engagement.consultation:${c.id}`,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['engagement.comment.hide', 'engagement.comment.redact', 'engagement.comment.appeal_upheld']),
    );
  });

  it("keeps one organisation's staff and keys out of another's consultations", async () => {
    const a = await engagementFixture(t);
    const b = await engagementFixture(t);
    const c = await openConsultation(t, a.service.slug);
    const [cm] = await (async () => {
      const w = formBrowser(t, { ip: '10.5.0.1' });
      await w.get(`/consultations/${c.id}`);
      await w.post(`/consultations/${c.id}/comments`, { body: 'Hello' });
      return t.modules.engagement.service.comments(c.id);
    })();
    const intruder = await staffBrowser(t, b.email);
    expect((await intruder.get(`/admin/engagement/${c.id}`)).statusCode).toBe(403);
    expect((await intruder.post(`/admin/engagement/${c.id}/comments/${cm.id}`, { action: 'hide', reason: 'x' })).statusCode).toBe(403);
    expect((await intruder.get(`/admin/engagement/new?service=${a.service.slug}`)).statusCode).toBe(403);
    const home = await intruder.get('/admin/engagement');
    expect(home.body).not.toContain(c.id);
    const keyB = (
      await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: b.service.slug, platform: 'engagement', type: 'live' })
    ).secret;
    const res = await t.app.inject({
      method: 'POST',
      url: `/engagement/v1/consultations/${c.id}/response`,
      headers: { authorization: `Bearer ${keyB}` },
      payload: { response: 'x', why_not: 'y' },
    });
    expect(res.statusCode).toBe(404);
  });
});

describe('you said, we did', () => {
  it('links the response to a decision in the log, tells the people who asked through Notify, and shows progress', async () => {
    const f = await engagementFixture(t);
    const c = await openConsultation(t, f.service.slug, {
      subject: 'roadmap',
      roadmap_item_id: f.item.id,
      eligibility: 'staff',
      allow_anonymous: false,
      promised_kpis: ['userSatisfaction'],
    });
    const staff = await staffBrowser(t, f.email);
    await staff.get(`/consultations/${c.id}`);
    expect((await staff.post(`/consultations/${c.id}/follow`, {})).statusCode).toBe(303);
    expect((await staff.post(`/consultations/${c.id}/comments`, { body: 'Yes please' })).statusCode).toBe(303);

    // Responding before it closes is refused.
    let page = await staff.get(`/admin/engagement/${c.id}`);
    expect(page.body).toContain('once the consultation has closed');
    await t.kernel.db.query('UPDATE engagement.consultations SET opens_on = $2, closes_on = $3 WHERE id = $1', [c.id, day(-10), day(-1)]);

    page = await staff.get(`/admin/engagement/${c.id}`);
    let res = await staff.post(`/admin/engagement/${c.id}/respond`, { response: 'You asked for fortnightly glass.', outcome: 'decision' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Enter the decision');
    res = await staff.post(`/admin/engagement/${c.id}/respond`, {
      response: 'You asked for fortnightly glass.',
      outcome: 'decision',
      decision: 'Collect glass every fortnight from April',
      decided_by: 'Cllr Jane Doe',
    });
    expect(res.statusCode).toBe(303);

    const detail = await t.modules.catalogue.service.getServiceDetail(f.service.slug);
    const d = detail.decisions.find((x) => x.decision === 'Collect glass every fortnight from April');
    expect(d?.evidence_url).toContain(`/consultations/${c.id}`);
    const after = await t.modules.engagement.service.get(c.id);
    expect(after.response_decision_id).toBe(d!.id);

    const sent = await t.kernel.db.query('SELECT recipient, reference FROM notify.notifications WHERE service_id = $1', [f.service.id]);
    expect(sent.rows).toEqual([
      expect.objectContaining({ recipient: f.email, reference: expect.stringContaining(`consultation-${c.id}`) }),
    ]);
    // Telling again tells no one twice.
    expect(await t.modules.engagement.responses.tellParticipants(c.id)).toBe(0);

    const pub = formBrowser(t);
    page = await pub.get(`/consultations/${c.id}`);
    expect(page.body).toContain('You said, we did');
    expect(page.body).toContain('Collect glass every fortnight from April');
    expect(page.body).toContain('Next'); // the roadmap item's status, from the catalogue
    expect(page.body).toContain('User satisfaction');
    await t.modules.catalogue.service.saveRoadmapItem(cli, f.service.slug, f.item.id, {
      status: 'done',
      title: 'Fortnightly glass collections',
    });
    page = await pub.get(`/consultations/${c.id}`);
    expect(page.body).toMatch(/govuk-tag--green">\s*Done/);
    const svcPage = await pub.get(`/services/${f.service.slug}`);
    expect(svcPage.body).toContain('Collect glass every fortnight from April');
  });
  it('keeps the decision, the response and the event that tells participants together: a failure leaves none of them', async () => {
    const f = await engagementFixture(t);
    const c = await openConsultation(t, f.service.slug);
    await t.kernel.db.query('UPDATE engagement.consultations SET opens_on = $2, closes_on = $3 WHERE id = $1', [c.id, day(-10), day(-1)]);
    const input = {
      response: 'You asked for fortnightly glass.',
      decision: { decided_on: day(0), decision: 'Fortnightly glass from June', decided_by: 'Cllr Jane Doe' },
    };
    // A real database failure while the response is written, after the decision was added in the same transaction.
    await t.kernel.db.exec(`
      CREATE FUNCTION engagement.test_refuse_response() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
      CREATE TRIGGER test_refuse_response BEFORE UPDATE OF response ON engagement.consultations
        FOR EACH ROW WHEN (NEW.response IS NOT NULL) EXECUTE FUNCTION engagement.test_refuse_response();`);
    try {
      await expect(t.modules.engagement.responses.respond(cli, c.id, input as never)).rejects.toThrow(/refused for the test/);
    } finally {
      await t.kernel.db.exec(
        'DROP TRIGGER test_refuse_response ON engagement.consultations; DROP FUNCTION engagement.test_refuse_response()',
      );
    }
    const decisions = async () =>
      (
        await t.kernel.db.query('SELECT id FROM catalogue.decisions WHERE service_id = $1 AND decision = $2', [
          f.service.id,
          input.decision.decision,
        ])
      ).rows;
    const events = async () =>
      (
        await t.kernel.db.query(
          "SELECT id FROM kernel.events WHERE type = 'engagement.consultation.responded' AND payload->>'consultation_id' = $1",
          [c.id],
        )
      ).rows;
    expect(await decisions()).toEqual([]);
    expect(await events()).toEqual([]);
    expect((await t.modules.engagement.service.get(c.id)).response).toBeNull();

    // Once the failure is gone the same response is kept whole: one decision, linked, and one event.
    const { decision } = await t.modules.engagement.responses.respond(cli, c.id, input as never);
    expect(await decisions()).toEqual([{ id: decision!.id }]);
    expect(await events()).toHaveLength(1);
    expect((await t.modules.engagement.service.get(c.id)).response_decision_id).toBe(decision!.id);
  });
});
