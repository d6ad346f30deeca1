// Residents' consultations: who may take part is checked against the postcode of the address
// identity proved (the demo passport's, NT1 1AA), through identity's own pages on a real server.
// An area is whole postcodes, sectors ("NT1 1") or districts ("NT1"); a district never matches
// a longer one that starts the same ("NT11" is not "NT1").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, signedInCitizen, startApp, type Running } from '../identity/testing.js';
import { inArea } from './people.js';
import { engagementFixture, openConsultation } from './testing.js';

describe('the postcode check', () => {
  it('matches whole postcodes, sectors and districts, never a longer district', () => {
    expect(inArea('NT1 1AA', ['NT1'])).toBe(true);
    expect(inArea('nt11aa', ['NT1'])).toBe(true);
    expect(inArea('NT1 1AA', ['NT11'])).toBe(false);
    expect(inArea('NT11 1AA', ['NT1'])).toBe(false);
    expect(inArea('NT1 1AA', ['NT11AA'])).toBe(true);
    expect(inArea('NT1 1AA', ['NT11', 'NT1 1'])).toBe(true);
    expect(inArea('NT1 1AA', ['nt1  1'])).toBe(true);
    expect(inArea('NT1 2AB', ['NT11'])).toBe(false);
    expect(inArea('EC1A 1BB', ['EC1A'])).toBe(true);
    expect(inArea('EC1A 1BB', ['EC1'])).toBe(false);
    expect(inArea('', ['NT1'])).toBe(false);
    expect(inArea('NT1', ['NT1'])).toBe(false); // not a whole postcode
  });
});

describe("residents' consultations", () => {
  let run: Running;
  beforeAll(async () => {
    run = await startApp();
  }, 120_000);
  afterAll(() => run.close());

  async function residents(area: string[]) {
    const f = await engagementFixture(run.built);
    const c = await openConsultation(run.built, f.service.slug, {
      eligibility: 'residents',
      area_name: 'Newtown',
      area_postcodes: area,
      allow_anonymous: false,
    });
    const [first] = await run.built.modules.engagement.service.options(c.id);
    return { c, option: first.id };
  }
  const support = async (b: Browser, id: string, option: string) => {
    await b.go(`/consultations/${id}`);
    return b.submit(`/consultations/${id}/options/${option}`, { stance: 'support' });
  };
  const votes = async (id: string) =>
    (await run.built.kernel.db.query('SELECT count(*)::int AS n FROM engagement.option_votes WHERE consultation_id = $1', [id])).rows[0].n;

  it('sends people to sign in, then to prove their identity, and counts a proven resident of the area', async () => {
    const { c, option } = await residents(['NT1']);
    let page = await support(new Browser(run.baseUrl), c.id, option);
    expect(page.url).toContain('/identity/sign-in');
    const { browser: unproven } = await signedInCitizen(run);
    page = await support(unproven, c.id, option);
    expect(page.url).toMatch(/\/identity\/(prove|two-factor)/); // proving starts with a second factor
    expect(await votes(c.id)).toBe(0);

    const { browser: b } = await signedInCitizen(run, { prove: true });
    page = await support(b, c.id, option);
    expect(page.status).toBe(200);
    expect(page.url).toContain(`/consultations/${c.id}`);
    expect(await votes(c.id)).toBe(1);
    // One say each: supporting again changes nothing.
    await support(b, c.id, option);
    expect(await votes(c.id)).toBe(1);
  }, 120_000);

  it('refuses a proven citizen whose address is outside the area, with the reason, and counts nothing', async () => {
    const { browser: b } = await signedInCitizen(run, { prove: true });
    for (const area of [['NT11'], ['NT1 2'], ['CF10', 'NT2']]) {
      const { c, option } = await residents(area);
      const page = await support(b, c.id, option);
      expect(page.status, area.join()).toBe(403);
      expect(page.body).toContain('This consultation is for residents of an area');
      expect(page.body).toContain('Newtown');
      expect(await votes(c.id)).toBe(0);
    }
    for (const area of [['NT1 1'], ['NT1 1AA'], ['CF10', 'NT1']]) {
      const { c, option } = await residents(area);
      expect((await support(b, c.id, option)).status, area.join()).toBe(200);
      expect(await votes(c.id)).toBe(1);
    }
  }, 180_000);
});
