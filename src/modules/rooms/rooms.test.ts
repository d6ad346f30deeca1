// Rooms through HTTP and real WebSockets, as browsers use them: staff set up a call for their
// own services only; an invitation link works once and expires; guests wait in the lobby until
// a host lets them in; the socket refuses anyone else, other sites and oversized messages; the
// presenter's view reaches everyone and late joiners; a removed guest is cut off; decisions land
// on the service's decision log with the call as evidence; the summary reaches the attendees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { connect, invitedGuest, roomFixture, sentLink, staffBrowser, type Client } from './testing.js';

let t: TestApp;
let base: string;
let a: Awaited<ReturnType<typeof roomFixture>>;
let b: Awaited<ReturnType<typeof roomFixture>>;
const open: Client[] = [];

beforeAll(async () => {
  t = await buildTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  a = await roomFixture(t);
  b = await roomFixture(t);
});
afterAll(async () => {
  for (const c of open) c.close();
  await t?.close();
});

async function client(roomId: string, jar: Record<string, string>, opts: { origin?: string } = {}) {
  const c = await connect(base, roomId, jar, opts);
  open.push(c);
  return c;
}

async function newRoom(host: Awaited<ReturnType<typeof staffBrowser>>, title = 'Claims backlog check-in') {
  await host.get('/admin/rooms');
  const res = await host.post('/admin/rooms', { title, services: [a.service.slug] });
  expect(res.statusCode, res.body).toBe(303);
  return String(res.headers.location).split('/').pop()!;
}

describe('setting up a call', () => {
  it('needs a staff sign-in, checks the form, and offers only the staff member’s own services', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/admin/rooms', headers: { accept: 'text/html' } });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toContain('/admin/sign-in');
    const host = await staffBrowser(t, a.email);
    const page = await host.get('/admin/rooms');
    expect(page.body).toContain(a.service.name);
    expect(page.body).not.toContain(b.service.name);
    const bad = await host.post('/admin/rooms', { title: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('govuk-error-summary');
    expect(bad.body).toContain('Enter a title for the call');
    expect(bad.body).toContain('Choose at least one service');
    const other = await host.post('/admin/rooms', { title: 'Not mine', services: [b.service.slug] });
    expect(other.statusCode).toBe(403);
    const id = await newRoom(host);
    const call = await host.get(`/rooms/${id}`);
    expect(call.statusCode).toBe(200);
    expect(call.body).toContain('What everyone sees');
    // Another organisation's staff, and people who are not signed in, cannot get in.
    const stranger = await staffBrowser(t, b.email);
    expect((await stranger.get(`/rooms/${id}`)).statusCode).toBe(403);
    expect((await formBrowser(t).get(`/rooms/${id}`)).statusCode).toBe(403);
    expect((await stranger.get('/admin/rooms')).body).not.toContain('Claims backlog check-in');
  });
});

describe('invitations', () => {
  it('sends a link through Notify that works once, for one person, and expires', async () => {
    const host = await staffBrowser(t, a.email);
    const id = await newRoom(host);
    await host.get(`/rooms/${id}`);
    const bad = await host.post(`/rooms/${id}/invitations`, { name: 'Sam', email: 'not an address' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter an email address in the correct format');
    const guest = await invitedGuest(t, host, id, a.service.id, 'Sam Patel');
    expect(guest.participant.state).toBe('waiting');
    const lobby = await guest.browser.get(`/rooms/${id}`);
    expect(lobby.body).toContain('Waiting for the host to let you in');
    // The same link again, from anyone: used.
    const again = formBrowser(t);
    expect((await again.get(guest.link)).statusCode).toBe(410);
    expect((await again.post(guest.link, { name: 'Someone else' })).statusCode).toBe(410);
    // A made-up link.
    expect((await again.get(`${base}/rooms/join/${'x'.repeat(43)}`)).statusCode).toBe(404);
    // An expired one.
    await host.post(`/rooms/${id}/invitations`, { name: 'Late Lee', phone: '07700 900982' });
    const smsLink = await sentLink(t, a.service.id, '07700');
    await t.kernel.db.query(`UPDATE rooms.invitations SET expires_at = now() - interval '1 minute' WHERE name = 'Late Lee'`);
    const expired = await formBrowser(t).get(smsLink);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This invitation has expired');
    // Tokens are kept only as hashes.
    const { rows } = await t.kernel.db.query(`SELECT token_hash FROM rooms.invitations WHERE room_id = $1`, [id]);
    for (const r of rows) expect(guest.link).not.toContain(r.token_hash);
    // The host lets the guest in from the lobby (no JavaScript needed).
    await host.get(`/rooms/${id}`);
    const admit = await host.post(`/rooms/${id}/people/${guest.participant.id}`, { action: 'admit' });
    expect(admit.statusCode).toBe(303);
    const inCall = await guest.browser.get(`/rooms/${id}`);
    expect(inCall.body).toContain('What everyone sees');
    expect(inCall.body).not.toContain('Record what was agreed'); // hosts only
  });
});

describe('the call’s WebSocket', () => {
  it('refuses people not in the room, other sites, forged cookies and oversized messages', async () => {
    const host = await staffBrowser(t, a.email);
    const id = await newRoom(host);
    await expect(client(id, {})).rejects.toMatchObject({ status: 403 });
    await expect(client(id, { [`cs_room_${id}`]: 'x'.repeat(43) })).rejects.toMatchObject({ status: 403 });
    await expect(client(id, host.jar, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
    const stranger = await staffBrowser(t, b.email);
    await expect(client(id, stranger.jar)).rejects.toMatchObject({ status: 403 });
    await expect(client('00000000-0000-4000-8000-000000000000', host.jar)).rejects.toMatchObject({ status: 404 });
    const c = await client(id, host.jar);
    await c.next((m) => m.t === 'welcome');
    c.ws.send('x'.repeat(70 * 1024));
    expect((await c.closed).code).toBe(1009);
  });

  it('lets a guest in from the lobby; the presenter’s view reaches everyone, late joiners too; removal cuts off', async () => {
    const host = await staffBrowser(t, a.email);
    const id = await newRoom(host);
    const h = await client(id, host.jar);
    const welcome = await h.next((m) => m.t === 'welcome');
    expect(welcome.me.role).toBe('host');
    expect(welcome.view.services).toEqual([a.service.id]);

    const g1 = await invitedGuest(t, host, id, a.service.id, 'Gwen Jones');
    const lobby = await client(id, g1.browser.jar);
    await lobby.next((m) => m.t === 'lobby');
    await h.next((m) => m.t === 'waiting' && m.p.id === g1.participant.id);
    lobby.send({ t: 'chat', text: 'let me in' });
    expect((await lobby.next((m) => m.t === 'error')).code).toBe('in_lobby');
    h.send({ t: 'admit', id: g1.participant.id });
    await lobby.next((m) => m.t === 'admitted');
    const c1 = await client(id, g1.browser.jar);
    await c1.next((m) => m.t === 'welcome');
    await h.next((m) => m.t === 'joined' && m.p.id === g1.participant.id);

    // Signalling goes to the one participant addressed.
    h.send({ t: 'signal', to: g1.participant.id, data: { type: 'offer', sdp: 'v=0' } });
    expect((await c1.next((m) => m.t === 'signal')).data).toEqual({ type: 'offer', sdp: 'v=0' });

    // A participant may not change the view; the host (presenter) can, and everyone follows.
    c1.send({ t: 'view', view: { ...welcome.view, period: 'month' } });
    expect((await c1.next((m) => m.t === 'error' && m.code === 'not_presenter')).code).toBe('not_presenter');
    const next = {
      ...welcome.view,
      period: 'month',
      kpis: ['transactions', 'liveUsers'],
      highlight: { service: a.service.id, kpi: 'liveUsers' },
    };
    h.send({ t: 'view', view: next });
    const seen = await c1.next((m) => m.t === 'view');
    expect(seen.view).toMatchObject({ period: 'month', kpis: ['transactions', 'liveUsers'], highlight: { kpi: 'liveUsers' } });
    expect(seen.by.name).toBe(a.email);
    expect(seen.figures.services[a.service.id].current).toHaveProperty('transactions');
    await h.next((m) => m.t === 'view' && m.version === seen.version);
    // A bad view is refused and changes nothing.
    h.send({ t: 'view', view: { ...next, services: [b.service.id] } });
    expect((await h.next((m) => m.t === 'error' && m.code === 'bad_view')).code).toBe('bad_view');

    // The host makes the guest presenter; their change reaches the host.
    h.send({ t: 'role', id: g1.participant.id, role: 'presenter' });
    await c1.next((m) => m.t === 'role' && m.role === 'presenter');
    c1.send({ t: 'view', view: { ...next, period: 'quarter' } });
    await h.next((m) => m.t === 'view' && m.view.period === 'quarter');

    // A network blip: the guest's page connects again; the stale socket is replaced and the view is as it was.
    const again = await client(id, g1.browser.jar);
    expect((await c1.closed).code).toBe(4409);
    const back = await again.next((m) => m.t === 'welcome');
    expect(back.view.period).toBe('quarter');
    expect(back.me.role).toBe('presenter');

    // A late joiner gets the current view on arrival.
    const g2 = await invitedGuest(t, host, id, a.service.id, 'Lowri Evans');
    h.send({ t: 'admit', id: g2.participant.id });
    await h.next((m) => m.t === 'admitted' && m.p.id === g2.participant.id);
    const late = await client(id, g2.browser.jar);
    const lateWelcome = await late.next((m) => m.t === 'welcome');
    expect(lateWelcome.view.period).toBe('quarter');
    expect(lateWelcome.view.highlight).toEqual({ service: a.service.id, kpi: 'liveUsers' });
    expect(lateWelcome.participants.map((p: any) => p.name)).toEqual(expect.arrayContaining(['Gwen Jones', 'Lowri Evans']));

    // Chat is kept with the room.
    late.send({ t: 'chat', text: 'Figures look better this week' });
    expect((await h.next((m) => m.t === 'chat')).text).toBe('Figures look better this week');

    // Removed: cut off now and refused afterwards.
    h.send({ t: 'remove', id: g2.participant.id });
    expect((await late.closed).code).toBe(4403);
    await expect(client(id, g2.browser.jar)).rejects.toMatchObject({ status: 403 });
    expect((await g2.browser.get(`/rooms/${id}`)).statusCode).toBe(403);
    const log = await t.modules.rooms.service.log(id);
    expect(log.filter((e) => e.kind === 'view').map((e) => e.actor_name)).toEqual([a.email, 'Gwen Jones']);
    expect(log.find((e) => e.kind === 'chat')?.detail.text).toBe('Figures look better this week');
  });
});

describe('outcomes', () => {
  it('records decisions and actions on the service with the call as evidence, and sends the summary when the call ends', async () => {
    const host = await staffBrowser(t, a.email);
    const id = await newRoom(host, 'Outcomes call');
    const g = await invitedGuest(t, host, id, a.service.id, 'Manager Mo');
    await host.get(`/rooms/${id}`);
    await host.post(`/rooms/${id}/people/${g.participant.id}`, { action: 'admit' });
    const c = await client(id, g.browser.jar);
    await c.next((m) => m.t === 'welcome');
    await host.get(`/rooms/${id}`);
    const bad = await host.post(`/rooms/${id}/decisions`, { service: a.service.slug, decision: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the decision');
    const ok = await host.post(`/rooms/${id}/decisions`, {
      service: a.service.slug,
      decision: 'Open on Saturdays for a month',
      reasoning: 'Backlog',
    });
    expect(ok.statusCode).toBe(303);
    await c.next((m) => m.t === 'outcome' && m.kind === 'decision');
    await host.post(`/rooms/${id}/actions`, {
      'action-service': a.service.slug,
      'action-title': 'Hire two temporary advisers',
      'action-status': 'now',
    });
    const detail = await t.modules.catalogue.service.getServiceDetail(a.service.slug);
    const d = detail.decisions.find((x: any) => x.decision === 'Open on Saturdays for a month');
    expect(d?.evidence_url).toBe(`http://localhost:3000/rooms/${id}/summary`);
    expect(detail.roadmap.some((x: any) => x.title === 'Hire two temporary advisers')).toBe(true);
    // A guest cannot record outcomes.
    await g.browser.get(`/rooms/${id}`);
    expect((await g.browser.post(`/rooms/${id}/decisions`, { service: a.service.slug, decision: 'x' })).statusCode).toBe(403);

    const end = await host.post(`/rooms/${id}/end`, {});
    expect(end.headers.location).toBe(`/rooms/${id}/summary`);
    expect((await c.closed).code).toBe(4000);
    const summary = await g.browser.get(`/rooms/${id}/summary`);
    expect(summary.statusCode).toBe(200);
    expect(summary.body).toContain('Manager Mo');
    expect(summary.body).toContain('Open on Saturdays for a month');
    const sent = (await t.modules.notify.service.search(a.service.id, { q: g.email, limit: 10, offset: 0 })) as any[];
    expect(sent.some((n) => String(n.body).includes('Open on Saturdays for a month'))).toBe(true);
    expect((await formBrowser(t).get(`/rooms/${id}/summary`)).statusCode).toBe(403);
    // An ended call takes no one.
    await expect(client(id, host.jar)).rejects.toMatchObject({ status: 410 });
  });
});
