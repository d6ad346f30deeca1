// Demo data agreements for the demo catalogue's services, so the journey works end to end once
// forms and the exchange ask: a Blue Badge application checking a DWP disability benefit, a
// carer's support application checking Carer's Allowance, and a bilingual travel pass check.
// Attribute ids follow docs/CONTRACTS.md and the exchange's demo access rights (Blue Badge may
// receive dwp/benefits.pip_mobility, pip_mobility_points and dla_mobility_rate, so its
// agreement names exactly those); names come from the exchange's catalogue when it is there.
// Everything is fictional and marked demo.
import type { CatalogueService } from '../catalogue/index.js';
import type { Ctx } from './context.js';
import type { AgreementService } from './service-agreements.js';
import type { AgreementAttribute } from './store.js';

const DWP = { provider: 'UK/GOV/DWP', providerName: 'Department for Work and Pensions' };

interface DemoAgreement {
  service: string;
  purpose: string;
  purposeCy?: string;
  description: string;
  descriptionCy?: string;
  dpvPurpose: string;
  durationDays: number;
  attributes: AgreementAttribute[];
}

const PIP_MOBILITY = {
  id: 'dwp/benefits.pip_mobility',
  name: 'Personal Independence Payment mobility rate',
  nameCy: 'Cyfradd symudedd y Taliad Annibyniaeth Personol',
  description: 'Whether you get the mobility part of PIP, and at what rate',
  sensitivity: true,
  category: 'dpv-pd:HealthRecord',
  ...DWP,
};

const AGREEMENTS: DemoAgreement[] = [
  {
    service: 'apply-for-a-blue-badge',
    purpose: 'Check your disability benefits for your Blue Badge application',
    description:
      'Riverside City Council asks the Department for Work and Pensions whether you get the mobility part of Personal Independence Payment or Disability Living Allowance, instead of asking you for an award letter.',
    dpvPurpose: 'dpv:ServiceProvision',
    durationDays: 90,
    attributes: [
      PIP_MOBILITY,
      {
        id: 'dwp/benefits.pip_mobility_points',
        name: 'PIP mobility points',
        nameCy: 'Pwyntiau symudedd PIP',
        description: 'How many points you were awarded for moving around',
        sensitivity: true,
        category: 'dpv-pd:HealthRecord',
        ...DWP,
      },
      {
        id: 'dwp/benefits.dla_mobility_rate',
        name: 'Disability Living Allowance mobility rate',
        nameCy: 'Cyfradd symudedd y Lwfans Byw i’r Anabl',
        description: 'Whether you get the higher rate of the mobility component',
        sensitivity: true,
        category: 'dpv-pd:HealthRecord',
        ...DWP,
      },
    ],
  },
  {
    service: 'apply-for-carers-support',
    purpose: "Check your Carer's Allowance for Carer's Support",
    description: "We ask the Department for Work and Pensions whether you get Carer's Allowance, so you do not need to send proof.",
    dpvPurpose: 'dpv:ServiceProvision',
    durationDays: 365,
    attributes: [
      {
        id: 'dwp/benefits.carers_allowance',
        name: "Carer's Allowance award",
        nameCy: 'Dyfarniad Lwfans Gofalwr',
        description: "Whether you get Carer's Allowance and since when",
        sensitivity: false,
        category: 'dpv-pd:FinancialStatus',
        ...DWP,
      },
    ],
  },
  {
    service: 'apply-for-a-concessionary-travel-pass',
    purpose: 'Check your age and disability benefits for a travel pass',
    purposeCy: 'Gwirio eich oedran a’ch budd-daliadau anabledd ar gyfer cerdyn teithio',
    description: 'We check your date of birth and whether you get a qualifying disability benefit, instead of asking for documents.',
    descriptionCy: 'Rydym yn gwirio eich dyddiad geni ac a ydych yn cael budd-dal anabledd cymwys, yn lle gofyn am ddogfennau.',
    dpvPurpose: 'dpv:ServiceProvision',
    durationDays: 30,
    attributes: [
      {
        id: 'hmpo/passports.birth_date',
        name: 'Date of birth',
        nameCy: 'Dyddiad geni',
        description: 'Your date of birth as your passport records it',
        sensitivity: false,
        category: 'dpv-pd:BirthDate',
        provider: 'UK/GOV/HMPO',
        providerName: 'HM Passport Office',
      },
      PIP_MOBILITY,
    ],
  },
];

export async function seedDemoConsent(ctx: Ctx, agreements: AgreementService, catalogue: CatalogueService): Promise<boolean> {
  const { rows } = await ctx.db.query('SELECT 1 FROM consent.agreements LIMIT 1');
  if (rows.length) return false;
  const names = new Map((ctx.exchange ? await ctx.exchange.attributes().catch(() => []) : []).map((a) => [a.id, a]));
  let seeded = false;
  for (const d of AGREEMENTS) {
    const service = await catalogue.getService(d.service).catch(() => null);
    if (!service) continue;
    const scope = { organisationId: service.organisation.id, serviceId: service.id, actor: 'demo' };
    await agreements.create(scope, {
      purpose: d.purpose,
      purpose_cy: d.purposeCy ?? null,
      purpose_description: d.description,
      purpose_description_cy: d.descriptionCy ?? null,
      dpv_purpose: d.dpvPurpose,
      lawful_basis: 'consent',
      duration_days: d.durationDays,
      dpia: 'Demo data protection impact assessment (fictional)',
      attributes: d.attributes.map((a) => {
        const x = names.get(a.id);
        return x ? { ...a, name: x.name, nameCy: x.nameCy ?? a.nameCy, provider: x.provider, providerName: x.providerName } : a;
      }),
      policy: {
        name: `${service.organisation.name} privacy notice (demo)`,
        version: '1.0',
        url: `${ctx.config.publicUrl}/organisations/${service.organisation.slug}`,
        jurisdiction: 'GB',
        industry_sector: 'Public administration',
        data_retention_period_days: 365,
        geographic_restriction: 'UK',
        storage_location: 'UK',
      },
    });
    seeded = true;
  }
  return seeded;
}
