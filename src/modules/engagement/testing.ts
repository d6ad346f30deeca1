// Test support for engagement (never imported by the app): a fresh organisation and service
// with a roadmap item, a staff member who manages it signed in through the console, and a
// consultation opened through the service.
import { staffBrowser as signedInStaff } from '../../../test/helpers.js';
import type { BuiltApp } from '../../app.js';
import type { ConsultationInput } from './schema.js';

export const cli = { kind: 'cli' } as const;
export const PASSWORD = 'a long enough password 42';
let counter = 0;

export const day = (offset: number) => new Date(Date.now() + offset * 86400_000).toISOString().slice(0, 10);

/** A fresh council, service (with a roadmap item and office-holder) and a service-team member. */
export async function engagementFixture(built: Pick<BuiltApp, 'modules'>) {
  const { catalogue } = built.modules;
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const org = await catalogue.service.createOrganisation(cli, {
    slug: `council-${n}`,
    name: `Council ${n}`,
    kind: 'local_authority',
  } as never);
  const service = await catalogue.service.createService(cli, {
    slug: `bins-${n}`,
    name: `Bin collections ${n}`,
    summary: 'Bins',
    phase: 'live',
    organisation_slug: org.slug,
  } as never);
  await catalogue.service.setOfficeHolder(cli, service.slug, {
    name: 'Cllr Jane Doe',
    role: 'Cabinet Member for Waste',
    in_post_since: '2024-05-01',
  });
  const item = await catalogue.service.saveRoadmapItem(cli, service.slug, null, { status: 'next', title: 'Fortnightly glass collections' });
  const email = `team.${n}@example.org`;
  await catalogue.service.createStaff(cli, { email, password: PASSWORD, role: 'service_team', organisationSlug: org.slug });
  return { org, service, item, email };
}

/** A browser signed in to the staff console. */
export function staffBrowser(built: Pick<BuiltApp, 'app'>, email: string) {
  return signedInStaff(built, email, PASSWORD, '/admin/engagement');
}

export async function openConsultation(built: Pick<BuiltApp, 'modules'>, serviceSlug: string, input: Partial<ConsultationInput> = {}) {
  return built.modules.engagement.service.create(cli, serviceSlug, {
    subject: 'general',
    title: 'Should we collect glass every fortnight?',
    question: 'What do you think of fortnightly glass collections?',
    eligibility: 'anyone',
    allow_anonymous: true,
    opens_on: day(-1),
    closes_on: day(14),
    options: [{ label: 'Collect glass every fortnight' }, { label: 'Keep monthly collections' }],
    ...input,
  } as ConsultationInput);
}
