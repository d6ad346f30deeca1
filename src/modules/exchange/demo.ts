// The demo exchange: the fictional agencies as members with their registries' data services
// (attributes with DPV categories and sensitivity), the legal bases they rely on, and access
// rights — the Blue Badge service may ask DWP for benefit entitlement (consent or public
// task), identity proofing may check passports and driving licences (statute), and a DWP fraud
// team may read HMRC income bands covertly. Every service points at REGISTRIES_URL.
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { ExchangeService, ServiceInput } from './service.js';
import type { DirectoryCache } from './directory.js';

const cli = { kind: 'cli' } as const;
type Attr = ServiceInput['attributes'][number];
const a = (name: string, title: string, titleCy: string, dpvCategory: string, sensitivity: Attr['sensitivity'] = 'normal'): Attr => ({
  name,
  title,
  titleCy,
  dpvCategory,
  sensitivity,
});

/** A small OpenAPI 3 description of one GET endpoint with query parameters and an object answer. */
function openapi(title: string, path: string, params: string[], fields: Record<string, string>) {
  return {
    openapi: '3.0.3',
    info: { title, version: '1.0.0' },
    paths: {
      [path]: {
        get: {
          summary: title,
          parameters: params.map((p) => ({ name: p, in: 'query', required: false, schema: { type: 'string' } })),
          responses: {
            '200': {
              description: 'The match and the released attributes',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      matched: { type: 'boolean' },
                      ...Object.fromEntries(Object.entries(fields).map(([k, t]) => [k, { type: t }])),
                    },
                  },
                },
              },
            },
            '400': { description: 'Not enough to match on' },
            '401': { description: 'Not signed by the exchange' },
          },
        },
      },
    },
  };
}

const IDENTITY = [
  a('valid', 'Document is valid', 'Mae’r ddogfen yn ddilys', 'dpv-pd:OfficialID'),
  a('given_name', 'Given name', 'Enw cyntaf', 'dpv-pd:Name'),
  a('family_name', 'Family name', 'Cyfenw', 'dpv-pd:Name'),
  a('birth_date', 'Date of birth', 'Dyddiad geni', 'dpv-pd:BirthDate'),
  a('expiry_date', 'Expiry date', 'Dyddiad dod i ben', 'dpv-pd:OfficialID'),
  a('address', 'Address', 'Cyfeiriad', 'dpv-pd:PostalAddress'),
];

export async function seedDemoExchange(
  k: Kernel,
  catalogue: CatalogueService,
  svc: ExchangeService,
  directory: DirectoryCache,
): Promise<boolean> {
  const d = await directory.get();
  if (d.members.size) return false;
  const base = (k.config.exchange?.registriesUrl ?? `${k.config.publicUrl}/registries`).replace(/\/+$/, '');
  const instance = d.node.instance;
  const org = async (slug: string) => ((await catalogue.getOrganisation(slug).catch(() => null)) ? slug : null);
  const svcSlug = async (slug: string) => ((await catalogue.getService(slug).catch(() => null)) ? slug : null);

  const members: Array<[string, string, string, string | null]> = [
    ['GOV', 'DWP', 'Department for Work and Families (DWP)', 'department-for-work-and-families'],
    ['GOV', 'DVLA', 'Motor Vehicle Licensing Agency (DVLA)', 'motor-vehicle-licensing-agency'],
    ['GOV', 'HMPO', 'Department for Citizenship and Records: Passport Office', 'department-for-citizenship-and-records'],
    ['GOV', 'HMRC', 'HM Revenue and Customs', null],
    ['GOV', 'GRO', 'General Register Office', null],
    ['GOV', 'CITYSCAPE', 'Cityscape platform', null],
    ['LA', 'RIVERSIDE', 'Riverside City Council', 'riverside-city-council'],
    ['LA', 'GLANFOR', 'Glanfor County Council', 'glanfor-county-council'],
  ];
  for (const [memberClass, memberCode, name, slug] of members)
    await svc.addMember(cli, { instance, memberClass, memberCode, name, organisationSlug: slug ? await org(slug) : null });
  const subs: Array<[string, string, string | null]> = [
    ['GOV/DWP/benefits', 'Benefit entitlement', null],
    ['GOV/DWP/fraud', 'Fraud and error investigation', null],
    ['GOV/DVLA/drivers', 'Driver records', null],
    ['GOV/HMPO/passports', 'Passport records', null],
    ['GOV/HMRC/income', 'Income records', null],
    ['GOV/GRO/births', 'Birth registrations', null],
    ['GOV/CITYSCAPE/identity', 'Identity proofing', null],
    ['LA/RIVERSIDE/counciltax', 'Council tax', null],
    ['LA/RIVERSIDE/bluebadge', 'Blue Badge applications', 'apply-for-a-blue-badge'],
    ['LA/GLANFOR/counciltax', 'Treth gyngor / Council tax', null],
    ['LA/GLANFOR/counciltaxsupport', 'Council tax support applications', 'pay-council-tax'],
  ];
  for (const [id, name, service] of subs)
    await svc.addSubsystem(cli, `${instance}/${id}`, { name, serviceSlug: service ? await svcSlug(service) : null });

  const services: ServiceInput[] = [
    {
      subsystem: `${instance}/GOV/DWP/benefits`,
      code: 'entitlement',
      title: 'Benefit entitlement',
      titleCy: 'Hawl i fudd-daliadau',
      description: 'Whether a person receives PIP, DLA or Universal Credit, and at what rate.',
      openapi: openapi('Benefit entitlement', '/', ['nino', 'given_name', 'family_name', 'birth_date'], {
        pip_mobility: 'string',
        pip_mobility_points: 'integer',
        pip_daily_living: 'string',
        dla_mobility_rate: 'string',
        universal_credit: 'boolean',
        award_start: 'string',
      }),
      url: `${base}/dwp/benefits/entitlement`,
      attributes: [
        a('pip_mobility', 'PIP mobility component rate', 'Cyfradd elfen symudedd PIP', 'dpv-pd:HealthRecord', 'special'),
        a('pip_mobility_points', 'PIP mobility points', 'Pwyntiau symudedd PIP', 'dpv-pd:HealthRecord', 'special'),
        a('pip_daily_living', 'PIP daily living component rate', 'Cyfradd elfen bywyd bob dydd PIP', 'dpv-pd:HealthRecord', 'special'),
        a('dla_mobility_rate', 'DLA mobility rate', 'Cyfradd symudedd DLA', 'dpv-pd:HealthRecord', 'special'),
        a('universal_credit', 'Receives Universal Credit', 'Yn cael Credyd Cynhwysol', 'dpv-pd:FinancialStatus'),
        a('award_start', 'Award start date', 'Dyddiad dechrau’r dyfarniad', 'dpv-pd:FinancialStatus'),
      ],
    },
    {
      subsystem: `${instance}/GOV/DVLA/drivers`,
      code: 'licence-check',
      title: 'Driving licence check',
      titleCy: 'Gwirio trwydded yrru',
      description: 'Whether a driving licence matches the person and is valid.',
      openapi: openapi('Driving licence check', '/', ['licence_number', 'given_name', 'family_name', 'birth_date', 'expiry_date'], {
        valid: 'boolean',
        given_name: 'string',
        family_name: 'string',
        birth_date: 'string',
        expiry_date: 'string',
        address: 'object',
        categories: 'array',
        penalty_points: 'integer',
      }),
      url: `${base}/dvla/licences/check`,
      attributes: [
        ...IDENTITY,
        a('categories', 'Vehicle categories', 'Categorïau cerbydau', 'dpv-pd:License'),
        a('penalty_points', 'Penalty points', 'Pwyntiau cosb', 'dpv-pd:License'),
      ],
    },
    {
      subsystem: `${instance}/GOV/HMPO/passports`,
      code: 'validity',
      title: 'Passport validity',
      titleCy: 'Dilysrwydd pasbort',
      description: 'Whether a passport matches the person and is valid.',
      openapi: openapi('Passport validity', '/', ['passport_number', 'given_name', 'family_name', 'birth_date', 'expiry_date'], {
        valid: 'boolean',
        given_name: 'string',
        family_name: 'string',
        birth_date: 'string',
        expiry_date: 'string',
        issuing_country: 'string',
        address: 'object',
      }),
      url: `${base}/hmpo/passports/validity`,
      attributes: [...IDENTITY, a('issuing_country', 'Issuing country', 'Gwlad gyhoeddi', 'dpv-pd:OfficialID')],
    },
    {
      subsystem: `${instance}/GOV/HMRC/income`,
      code: 'band',
      title: 'Income tax band',
      titleCy: 'Band treth incwm',
      description: 'The income tax band a person paid in a tax year.',
      openapi: openapi('Income tax band', '/', ['nino', 'given_name', 'family_name', 'birth_date', 'tax_year'], {
        tax_year: 'string',
        income_band: 'string',
      }),
      url: `${base}/hmrc/income/band`,
      attributes: [
        a('tax_year', 'Tax year', 'Blwyddyn dreth', 'dpv-pd:Income'),
        a('income_band', 'Income tax band', 'Band treth incwm', 'dpv-pd:Income'),
      ],
    },
    {
      subsystem: `${instance}/GOV/GRO/births`,
      code: 'entry',
      title: 'Birth registration',
      titleCy: 'Cofrestru genedigaeth',
      description: 'A birth entry in the register.',
      openapi: openapi('Birth registration', '/', ['given_name', 'family_name', 'birth_date'], {
        entry_reference: 'string',
        place_of_birth: 'string',
        registration_district: 'string',
        mother_name: 'string',
        father_name: 'string',
      }),
      url: `${base}/gro/births/entry`,
      attributes: [
        a('entry_reference', 'Entry reference', 'Cyfeirnod y cofnod', 'dpv-pd:OfficialID'),
        a('place_of_birth', 'Place of birth', 'Man geni', 'dpv-pd:BirthPlace'),
        a('registration_district', 'Registration district', 'Ardal gofrestru', 'dpv-pd:BirthPlace'),
        a('mother_name', 'Mother’s name', 'Enw’r fam', 'dpv-pd:Family'),
        a('father_name', 'Father’s name', 'Enw’r tad', 'dpv-pd:Family'),
      ],
    },
    ...(['RIVERSIDE', 'GLANFOR'] as const).map((c): ServiceInput => ({
      subsystem: `${instance}/LA/${c}/counciltax`,
      code: 'account',
      title: 'Council tax account',
      titleCy: 'Cyfrif treth gyngor',
      description: 'Band, discounts and reduction on a council tax account.',
      openapi: openapi('Council tax account', '/', ['postcode', 'given_name', 'family_name'], {
        account_reference: 'string',
        band: 'string',
        single_person_discount: 'boolean',
        council_tax_reduction: 'boolean',
      }),
      url: `${base}/${c.toLowerCase()}/council-tax/account`,
      attributes: [
        a('account_reference', 'Account reference', 'Cyfeirnod y cyfrif', 'dpv-pd:AccountIdentifier'),
        a('band', 'Council tax band', 'Band treth gyngor', 'dpv-pd:HouseOwned'),
        a('single_person_discount', 'Single person discount', 'Gostyngiad person sengl', 'dpv-pd:HouseholdData'),
        a('council_tax_reduction', 'Council tax reduction', 'Gostyngiad treth gyngor', 'dpv-pd:FinancialStatus'),
      ],
    })),
  ];
  for (const s of services) await svc.registerService(cli, s);

  const bases = [
    {
      id: 'statute:identity-verification',
      kind: 'statute' as const,
      title: 'Identity verification for public services',
      title_cy: 'Gwirio hunaniaeth ar gyfer gwasanaethau cyhoeddus',
      citation: 'Digital Economy Act 2017, Part 5, Chapter 1 (public service delivery), s. 35',
      url: 'https://www.legislation.gov.uk/ukpga/2017/30/part/5',
      objection: false,
      covert: false,
    },
    {
      id: 'public-task:blue-badge',
      kind: 'public-task' as const,
      title: 'Deciding Blue Badge applications',
      title_cy: 'Penderfynu ar geisiadau Bathodyn Glas',
      citation: 'Chronically Sick and Disabled Persons Act 1970, s. 21; UK GDPR art. 6(1)(e)',
      url: 'https://www.legislation.gov.uk/ukpga/1970/44/section/21',
      objection: true,
      covert: false,
    },
    {
      id: 'public-task:council-tax-support',
      kind: 'public-task' as const,
      title: 'Council tax reduction',
      title_cy: 'Gostyngiad treth gyngor',
      citation: 'Local Government Finance Act 1992, s. 13A; UK GDPR art. 6(1)(e)',
      url: 'https://www.legislation.gov.uk/ukpga/1992/14/section/13A',
      objection: true,
      covert: false,
    },
    {
      id: 'statute:benefit-fraud',
      kind: 'statute' as const,
      title: 'Investigating benefit fraud',
      title_cy: 'Ymchwilio i dwyll budd-daliadau',
      citation: 'Social Security Administration Act 1992, s. 109B',
      url: 'https://www.legislation.gov.uk/ukpga/1992/5/section/109B',
      objection: false,
      covert: true,
    },
  ];
  for (const b of bases) await svc.registerBasis(cli, b);

  const rights = [
    {
      client: `${instance}/LA/RIVERSIDE/bluebadge`,
      service: `${instance}/GOV/DWP/benefits/entitlement`,
      purposes: ['dpv:ServiceProvision'],
      attributes: ['pip_mobility', 'pip_mobility_points', 'dla_mobility_rate'],
      bases: ['consent', 'public-task:blue-badge'],
    },
    {
      client: `${instance}/GOV/CITYSCAPE/identity`,
      service: `${instance}/GOV/HMPO/passports/validity`,
      purposes: ['dpv:IdentityVerification'],
      attributes: IDENTITY.map((x) => x.name).concat('issuing_country'),
      bases: ['statute:identity-verification'],
    },
    {
      client: `${instance}/GOV/CITYSCAPE/identity`,
      service: `${instance}/GOV/DVLA/drivers/licence-check`,
      purposes: ['dpv:IdentityVerification'],
      attributes: IDENTITY.map((x) => x.name),
      bases: ['statute:identity-verification'],
    },
    {
      client: `${instance}/LA/GLANFOR/counciltaxsupport`,
      service: `${instance}/GOV/HMRC/income/band`,
      purposes: ['dpv:ServiceProvision'],
      attributes: ['tax_year', 'income_band'],
      bases: ['consent', 'public-task:council-tax-support'],
    },
    {
      client: `${instance}/LA/GLANFOR/counciltaxsupport`,
      service: `${instance}/LA/GLANFOR/counciltax/account`,
      purposes: ['dpv:ServiceProvision'],
      attributes: ['account_reference', 'band', 'single_person_discount', 'council_tax_reduction'],
      bases: ['public-task:council-tax-support'],
    },
    {
      client: `${instance}/GOV/DWP/fraud`,
      service: `${instance}/GOV/HMRC/income/band`,
      purposes: ['dpv:FraudPreventionAndDetection'],
      attributes: ['tax_year', 'income_band'],
      bases: ['statute:benefit-fraud'],
      covertDays: 90,
    },
  ];
  for (const r of rights) await svc.grant(cli, r);
  return true;
}
