// The demo's voice in the shared platforms (issue #17), so a new Cityscape's governance and
// adoption pages have something to show: organisations of different kinds vote on platform
// roadmap items and ask for things (one planned, one declined, one still open), a service is
// exempt from a platform, and a year of API key traffic gives the adoption trend its history.
// Everything goes through the modules' own functions (governance, adoption, catalogue); the
// key traffic is two statements (catalogue.seedDemoKeyUse).
import type { CatalogueService } from '../catalogue/index.js';
import type { Adoption } from './adoption.js';
import type { Governance, Staff } from './governance.js';

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

/** [organisation, platform, roadmap item, stance] */
const VOTES: Array<[string, string, string, 'support' | 'oppose']> = [
  ['riverside-city-council', 'cityscape-pay', 'Split payments between councils', 'support'],
  ['glanfor-county-council', 'cityscape-notify', 'Bilingual letters', 'support'],
  ['glanfor-county-council', 'cityscape-address-lookup', 'Welsh-language addresses', 'support'],
  ['department-for-work-and-families', 'cityscape-sign-in', 'Acting on behalf of someone else', 'support'],
  ['motor-vehicle-licensing-agency', 'cityscape-pay', 'Split payments between councils', 'oppose'],
];

/** [organisation, platform, title, detail, answer] */
const REQUESTS: Array<[string, string, string, string, { outcome: 'planned' | 'declined'; reason: string } | null]> = [
  [
    'riverside-city-council',
    'cityscape-pay',
    'Refunds to the original card for parking fines',
    'When an appeal succeeds we refund by cheque, because Pay cannot refund a payment more than 90 days old.',
    { outcome: 'planned', reason: 'Four councils asked for this. It is next, after split payments.' },
  ],
  [
    'department-for-work-and-families',
    'cityscape-notify',
    'Letters by recorded delivery',
    'Some decisions must be proved to have been delivered.',
    {
      outcome: 'declined',
      reason:
        'Recorded delivery needs a signature on the doorstep, which the print supplier cannot offer. Services that need proof of delivery keep their own contracts.',
    },
  ],
  [
    'glanfor-county-council',
    'cityscape-forms',
    'Welsh first on bilingual forms',
    'Residents who choose Welsh should see the Welsh question first, not second.',
    null,
  ],
];

/** [service, key platform, months of traffic, calls on a typical day] */
const TRAFFIC: Array<[string, string, number, number]> = [
  ['pay-a-parking-fine', 'pay', 11, 140],
  ['pay-a-parking-fine', 'notify', 11, 90],
  ['renew-a-travel-document', 'pay', 10, 60],
  ['renew-a-travel-document', 'notify', 10, 75],
  ['pay-council-tax', 'pay', 8, 220],
  ['check-your-bin-collection-day', 'notify', 7, 300],
  ['pay-council-tax', 'notify', 5, 120],
  ['register-a-birth', 'notify', 6, 25],
  ['register-a-birth', 'exchange', 3, 18],
  ['apply-for-carers-support', 'notify', 4, 12],
  ['apply-for-carers-support', 'exchange', 2, 9],
  ['report-a-pothole', 'notify', 3, 40],
  ['apply-for-a-school-place', 'notify', 1, 6],
];

export async function seedDemoPlatformVoice(catalogue: CatalogueService, governance: Governance, adoption: Adoption): Promise<void> {
  const [orgs, services] = await Promise.all([catalogue.listOrganisations(), catalogue.listServices()]);
  const slugs = new Set(services.map((s) => s.slug));
  if (!slugs.has('cityscape-pay') || !slugs.has('pay-a-parking-fine')) return; // not the demo catalogue
  const staffOf = (slug: string): Staff | null => {
    const o = orgs.find((x) => x.slug === slug);
    return o
      ? { kind: 'staff', id: `demo:${slug}`, email: `digital@${slug}.example.org`, role: 'service_team', organisationId: o.id }
      : null;
  };
  const cli = { kind: 'cli' } as const;

  // Key traffic: every other day from the key's first month to today, a little more in the week.
  const today = Date.now();
  const serviceId = new Map(services.map((s) => [s.slug, s.id]));
  await catalogue.seedDemoKeyUse(
    TRAFFIC.filter(([slug]) => serviceId.has(slug)).map(([slug, platform, months, calls], i) => {
      const days = [];
      for (let d = 0; d < months * 30; d += 2) {
        const date = new Date(today - d * DAY);
        const weekend = date.getUTCDay() % 6 === 0;
        days.push({
          day: date.toISOString().slice(0, 10),
          calls: Math.max(1, Math.round(calls * (weekend ? 0.4 : 1) * (0.8 + ((d * 7 + i * 13) % 9) / 20))),
        });
      }
      return { serviceId: serviceId.get(slug)!, platform, days };
    }),
  );

  const items = new Map<string, string>();
  for (const slug of new Set(VOTES.map((v) => v[1])))
    for (const r of (await catalogue.getServiceDetail(slug)).roadmap) items.set(`${slug}|${r.title}`, r.id);
  for (const [org, platform, title, stance] of VOTES) {
    const staff = staffOf(org);
    const item = items.get(`${platform}|${title}`);
    if (staff && item) await governance.vote(staff, platform, item, stance);
  }
  // Answers and the exemption change the catalogue (clearing its read cache) so they come last.
  const answers = [];
  for (const [org, platform, title, detail, answer] of REQUESTS) {
    const staff = staffOf(org);
    if (!staff) continue;
    const r = await governance.propose(staff, platform, { title, detail });
    if (answer) answers.push({ id: r.id, answer });
  }
  for (const { id, answer } of answers) await governance.answer(cli, id, { ...answer, status: 'next' });
  if (slugs.has('apply-for-a-school-place'))
    await adoption.exempt(cli, {
      serviceSlug: 'apply-for-a-school-place',
      platform: 'exchange',
      reason: 'The admissions system’s supplier contract runs to the spring; the service moves to the data exchange when it ends.',
      expiresOn: day(150),
      decidedBy: 'Head of Digital Services',
    });
}
