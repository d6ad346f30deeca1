// A call in real Chromium with fake camera and microphone: a host and two guests join (the
// guests through their invitation links and the lobby), every pair's RTCPeerConnection reaches
// `connected` and receives media bytes, the presenter's view change reaches the other two, a
// late joiner arrives to the current view, a removed guest is cut off; the pages pass axe in
// English and Welsh and the call page has no script or CSP errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { axeReport, newPage, pageProblems, screenshot, startHarness, type Harness } from './browser.js';
import { PASSWORD, roomFixture, sentLink } from '../../src/modules/rooms/testing.js';

let h: Harness;
let fx: Awaited<ReturnType<typeof roomFixture>>;
let roomId: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  h = await startHarness({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  fx = await roomFixture(h.built);
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await h?.close();
});

async function open(): Promise<Page> {
  const { context, page } = await newPage(h);
  contexts.push(context);
  return page;
}

/** Peers of this page whose connection is `connected`. */
const connectedPeers = (page: Page) =>
  page.evaluate(() => [...(window as any).cityscapeRoom.peers.values()].filter((p: any) => p.pc.connectionState === 'connected').length);

/** Bytes of media received from each peer (inbound RTP, audio and video). */
const inboundBytes = (page: Page) =>
  page.evaluate(async () => {
    const out: number[] = [];
    for (const p of (window as any).cityscapeRoom.peers.values()) {
      let bytes = 0;
      (await p.pc.getStats()).forEach((s: any) => {
        if (s.type === 'inbound-rtp') bytes += s.bytesReceived ?? 0;
      });
      out.push(bytes);
    }
    return out;
  });

async function invite(host: Page, name: string): Promise<Page> {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.org`;
  await host.locator('#invite input[name="name"]').fill(name);
  await host.locator('#invite input[name="email"]').fill(email);
  await host.getByRole('button', { name: 'Send invitation' }).click();
  await host.waitForURL(/done=invited/);
  const link = await sentLink(h.built, fx.service.id, email);
  const guest = await open();
  await guest.goto(new URL(link).pathname);
  await guest.getByRole('button', { name: 'Join the call' }).click();
  await guest.waitForURL(`**/rooms/${roomId}`);
  await guest.getByRole('heading', { name: 'Waiting for the host to let you in' }).waitFor();
  return guest;
}

async function admit(host: Page, guest: Page, name: string) {
  await host
    .locator('#lobby-list')
    .getByRole('button', { name: new RegExp(`^Let in\\W+${name}$`) })
    .click();
  await guest.locator('#shared-view').waitFor(); // the lobby reloads into the call
}

describe('a call', () => {
  it(
    'joins three people with audio and video, shares the view, takes late joiners, cuts off the removed',
    { timeout: 300_000 },
    async () => {
      const host = await open();
      await host.goto('/admin/sign-in');
      await host.locator('input[name="email"]').fill(fx.email);
      await host.locator('input[name="password"]').fill(PASSWORD);
      await Promise.all([
        host.waitForURL((u) => !u.pathname.startsWith('/admin/sign-in')),
        host.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      await host.goto('/admin/rooms');
      expect(await axeReport(host, '/admin/rooms')).toBe('');
      await host.locator('input[name="title"]').fill('Jobcentre backlog: weekly check-in');
      await host.getByLabel(fx.service.name).check();
      await host.getByRole('button', { name: 'Set up the call' }).click();
      await host.waitForURL(/\/rooms\/[0-9a-f-]{36}$/);
      roomId = new URL(host.url()).pathname.split('/').pop()!;

      const ada = await invite(host, 'Ada Guest');
      expect(await axeReport(ada, 'the lobby')).toBe('');
      await admit(host, ada, 'Ada Guest');
      const bo = await invite(host, 'Bo Guest');
      await admit(host, bo, 'Bo Guest');

      const all = [host, ada, bo];
      for (const p of all) await expect.poll(() => connectedPeers(p), { timeout: 30_000 }).toBe(2);
      for (const p of all) await expect.poll(async () => (await inboundBytes(p)).every((b) => b > 0), { timeout: 20_000 }).toBe(true);

      // The presenter (the host) changes the view; the other two follow without reloading.
      await host.locator('#change-view summary').click();
      await host.getByLabel('Last 30 days').check();
      await host.getByLabel('Show the period before').check();
      await host.locator('#highlight').selectOption({ label: `${fx.service.name}: People using it now` });
      const before = host.url();
      await host.getByRole('button', { name: 'Show everyone' }).click();
      for (const p of [ada, bo]) {
        await expect.poll(() => p.locator('#view-figures th').nth(1).innerText(), { timeout: 10_000 }).toBe('Last 30 days');
        await expect.poll(() => p.locator('#view-figures .cs-room-hl').getAttribute('data-kpi')).toBe('liveUsers');
        expect(await p.locator('#view-figures th', { hasText: 'Period before' }).count()).toBe(1);
      }
      expect(host.url()).toBe(before); // sent over the socket, not by posting the form

      // Chat reaches everyone.
      await ada.locator('#message').fill('Saturday opening would clear it');
      await ada.getByRole('button', { name: 'Send message' }).click();
      await expect.poll(() => bo.locator('#chat-list').innerText()).toContain('Saturday opening would clear it');

      // A late joiner arrives to the current view.
      const cy = await invite(host, 'Cai Late');
      await admit(host, cy, 'Cai Late');
      expect(await cy.locator('#view-figures th').nth(1).innerText()).toBe('Last 30 days');
      await expect.poll(() => cy.locator('#view-figures .cs-room-hl').getAttribute('data-kpi')).toBe('liveUsers');
      await expect.poll(() => connectedPeers(cy), { timeout: 30_000 }).toBe(3);
      expect(await axeReport(host, 'the call (host)')).toBe('');
      expect(await axeReport(cy, 'the call (guest)')).toBe('');
      await screenshot(host, 'rooms-call');

      // The host removes Bo: Bo is cut off, and everyone else drops the connection to Bo.
      await host
        .locator('#people-list')
        .getByRole('button', { name: /^Remove\W+Bo Guest$/ })
        .click();
      await expect.poll(() => bo.locator('#call-status').innerText(), { timeout: 10_000 }).toContain('no longer in this call');
      await expect.poll(() => connectedPeers(bo)).toBe(0);
      for (const p of [host, ada, cy]) await expect.poll(() => connectedPeers(p), { timeout: 10_000 }).toBe(2);
      expect((await bo.goto(`/rooms/${roomId}`))?.status()).toBe(403);

      for (const p of [host, ada, cy]) expect(pageProblems(p)).toEqual([]);
    },
  );

  it(
    'the invitation, lobby and call pages pass axe in Welsh, and the call works with no camera or WebRTC',
    { timeout: 300_000 },
    async () => {
      const page = await open();
      await page.goto(`/rooms/${roomId}?lang=cy`);
      expect(await page.locator('html').getAttribute('lang')).toBe('cy');
      expect(await axeReport(page, 'refused (cy)')).toBe('');
      // A guest whose browser has no WebRTC still sees the view and the chat.
      const host = contexts[0].pages()[0];
      const noRtc = await invite(host, 'Dee NoRtc');
      await noRtc.addInitScript(() => {
        delete (window as any).RTCPeerConnection;
      });
      await admit(host, noRtc, 'Dee NoRtc');
      await noRtc.goto(`/rooms/${roomId}?lang=cy`);
      await expect.poll(() => noRtc.locator('#call-status').innerText()).toContain('Ni all y porwr hwn wneud galwadau');
      expect(await noRtc.locator('#view-figures th').nth(1).innerText()).toBe('Y 30 diwrnod diwethaf');
      expect(await axeReport(noRtc, 'the call without WebRTC (cy)')).toBe('');
      await host.locator('#message').fill('Can everyone see the completion rate?');
      await host.getByRole('button', { name: 'Send message' }).click();
      await expect.poll(() => noRtc.locator('#chat-list').innerText()).toContain('Can everyone see the completion rate?');
    },
  );
});
