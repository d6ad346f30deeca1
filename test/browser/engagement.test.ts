// Engagement pages in a real browser: a consultation (with a hidden comment and a reply), the
// comment form with its personal-data warning, a conversation and its opinion-group report,
// the list, the shared platforms' governance and adoption pages, and the console's moderation,
// platform voting, request, answer and exemption pages pass axe in English and Welsh, and hostile text
// stays text (no script runs). Taking part through the plain forms is tested through HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeReport, expectBilingualAxe, newPage, pageProblems, startHarness, type Harness } from './browser.js';
import { cli, engagementFixture, openConsultation, PASSWORD } from '../../src/modules/engagement/testing.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let h: Harness;
let consultationId: string;
let conversationId: string;
let staffEmail: string;
let orgSlug: string;
let requestId: string;
const ownerEmail = `platform.owner.${Date.now()}@example.org`;
const HOSTILE = '<img src=x onerror="window.__xss=1">';

beforeAll(async () => {
  h = await startHarness();
  const f = await engagementFixture(h.built);
  staffEmail = f.email;
  const c = await openConsultation(h.built, f.service.slug, {
    subject: 'roadmap',
    roadmap_item_id: f.item.id,
    background: `Background ${HOSTILE}`,
  });
  consultationId = c.id;
  orgSlug = f.org.slug;
  // Shared platforms: a vote, a request, a platform owner to answer it, and an exemption.
  const staff = (await h.built.modules.catalogue.service.staffActor(
    (await h.built.kernel.db.query<{ id: string }>('SELECT id FROM catalogue.staff_users WHERE email = $1', [f.email])).rows[0]!.id,
  ))!;
  const gov = h.built.modules.engagement.governance;
  const notify = await h.built.modules.catalogue.service.getServiceDetail('cityscape-notify');
  await gov.vote(staff, 'cityscape-notify', notify.roadmap.find((r) => r.status !== 'done')!.id, 'support');
  requestId = (await gov.propose(staff, 'cityscape-notify', { title: `Inbound letters ${HOSTILE}`, detail: 'Scanned post' })).id;
  await h.built.modules.catalogue.service.createStaff(cli, {
    email: ownerEmail,
    password: PASSWORD,
    role: 'service_team',
    organisationSlug: 'department-for-digital-government',
  });
  await h.built.modules.catalogue.service.updateService(cli, f.service.slug, { platforms: ['notify', 'payments'] } as never);
  await h.built.modules.engagement.adoption.exempt(cli, {
    serviceSlug: f.service.slug,
    platform: 'payments',
    reason: `Old contract ${HOSTILE}`,
    expiresOn: new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10),
    decidedBy: 'Cabinet Member',
  });
  const svc = h.built.modules.engagement.service;
  const who = (n: number) => ({ person: `anon:browser-${n}`, email: null });
  const first = await svc.comment(c.id, who(1), { body: `First ${HOSTILE}` });
  if (first.ok) await svc.comment(c.id, who(2), { body: 'A reply', parentId: first.id });
  const hidden = await svc.comment(c.id, who(3), { body: 'Off topic' });
  if (hidden.ok) await svc.moderate(cli, c.id, hidden.id, 'hide', 'Not about this consultation');
  const dir = join(import.meta.dirname, '..', '..', 'src', 'modules', 'engagement', 'fixtures', 'polis');
  conversationId = (
    await h.built.modules.engagement.conversations.importPolis(
      cli,
      f.service.slug,
      { title: 'Glass', question: 'What should we do about glass?' },
      { comments: readFileSync(join(dir, 'comments.csv'), 'utf8'), votes: readFileSync(join(dir, 'votes.csv'), 'utf8') },
    )
  ).id;
});
afterAll(async () => {
  await h?.close();
});

describe('engagement pages', () => {
  it('pass axe in English and Welsh', async () => {
    const { context, page } = await newPage(h);
    try {
      await expectBilingualAxe(page, [
        '/consultations',
        `/consultations/${consultationId}`,
        `/consultations/${consultationId}/comment`,
        `/conversations/${conversationId}`,
        `/conversations/${conversationId}/report`,
      ]);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the shared platforms' governance and adoption pages pass axe in English and Welsh", async () => {
    const { context, page } = await newPage(h);
    try {
      await expectBilingualAxe(page, ['/platforms/governance', '/platforms/adoption', `/platforms/adoption/${orgSlug}`]);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the console's moderation page passes axe", async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto('/admin/sign-in');
      await page.fill('#email', staffEmail);
      await page.fill('#password', PASSWORD);
      await page.getByRole('button', { name: /sign in/i }).click();
      for (const path of [
        '/admin/engagement',
        `/admin/engagement/${consultationId}`,
        `/admin/engagement/${conversationId}`,
        '/admin/platforms',
        '/admin/platforms/propose',
        '/admin/platforms/exemptions',
      ]) {
        const res = await page.goto(path);
        expect(res?.status(), path).toBe(200);
        expect(await axeReport(page, path)).toBe('');
      }
      // The forms with their errors shown.
      await page.goto('/admin/platforms/propose');
      await page.getByRole('button', { name: /send request/i }).click();
      expect(await page.locator('.govuk-error-summary').count()).toBe(1);
      expect(await axeReport(page, 'propose with errors')).toBe('');
      await page.goto('/admin/platforms/exemptions');
      await page.getByRole('button', { name: /record exemption/i }).click();
      expect(await page.locator('.govuk-error-summary').count()).toBe(1);
      expect(await axeReport(page, 'exemption with errors')).toBe('');
    } finally {
      await context.close();
    }
  });

  it("a platform owner's answer page passes axe", async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto('/admin/sign-in');
      await page.fill('#email', ownerEmail);
      await page.fill('#password', PASSWORD);
      await page.getByRole('button', { name: /sign in/i }).click();
      const path = `/admin/platforms/requests/${requestId}`;
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(200);
      expect(await axeReport(page, path)).toBe('');
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});
