// The shared platforms as demo catalogue services (issue #17): each platform is a service of the
// demo Department for Digital Government, with an accountable minister, decisions and a roadmap,
// so councils and departments can see — and vote on — what the platforms do next.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';

const DAY = 86_400_000;
const day = (now: Date, offsetDays: number) => new Date(now.getTime() + offsetDays * DAY).toISOString().slice(0, 10);

export const PLATFORM_ORG = {
  slug: 'department-for-digital-government',
  name: 'Department for Digital Government',
  name_cy: 'Yr Adran Llywodraeth Ddigidol',
  summary: 'Demo organisation (fictional). Runs the shared platforms that central and local government use.',
  summary_cy: 'Sefydliad demo (ffuglennol). Yn rhedeg y platfformau a rennir y mae llywodraeth ganolog a lleol yn eu defnyddio.',
  team: ['shared-platforms', 'Shared Platforms', 'Platfformau a Rennir'] as const,
};

// Office-holders: name, role, role_cy, mailbox
const OWNERS: Record<string, [string, string, string, string]> = {
  digital: [
    'Miriam Achebe',
    'Minister of State for Digital Government',
    'Gweinidog Gwladol dros Lywodraeth Ddigidol',
    'digital.minister@example.org',
  ],
  data: [
    'Owen Gallagher',
    'Parliamentary Under-Secretary of State for Data and Identity',
    'Is-ysgrifennydd Gwladol Seneddol dros Ddata a Hunaniaeth',
    'data.minister@example.org',
  ],
};

type Item = ['now' | 'next' | 'later' | 'done', string, string, string | null, number | null];
// platform key, slug, name, name_cy, summary, owner, roadmap [status, title, description, title_cy, target days], decisions [days ago, decision, reasoning]
const PLATFORMS: Array<[string, string, string, string, string, string, Item[], Array<[number, string, string]>]> = [
  [
    'identity',
    'cityscape-sign-in',
    'Cityscape Sign-in',
    'Mewngofnodi Cityscape',
    'One sign-in for citizens and staff across central and local government, with identity checks.',
    'data',
    [
      [
        'now',
        'Sign in with a council tenancy account',
        'Link existing council accounts to a Cityscape sign-in.',
        'Mewngofnodi gyda chyfrif tenantiaeth cyngor',
        60,
      ],
      [
        'next',
        'Welsh-language identity checks',
        'Every identity-proving question and letter in Welsh.',
        'Gwiriadau hunaniaeth yn Gymraeg',
        120,
      ],
      ['later', 'Acting on behalf of someone else', 'Power of attorney and carers acting for another person.', null, null],
      ['done', 'Two-factor by text message', 'A code by text for people without an authenticator app.', null, -30],
    ],
    [[200, 'Require P2 identity for benefit and licence services', 'Fraud analysis showed P1 was not enough for money and entitlements.']],
  ],
  [
    'payments',
    'cityscape-pay',
    'Cityscape Pay',
    'Taliadau Cityscape',
    'Take card payments, refunds and recurring payments for any public service.',
    'digital',
    [
      [
        'now',
        'Payment links for councils without developers',
        'Take a payment from a link, with no integration.',
        'Dolenni talu i gynghorau heb ddatblygwyr',
        45,
      ],
      [
        'next',
        'Direct Debit for council tax',
        'Recurring payments set up in the same journey.',
        'Debyd Uniongyrchol ar gyfer y dreth gyngor',
        150,
      ],
      ['later', 'Split payments between councils', 'One payment shared between neighbouring authorities.', null, null],
    ],
    [[120, 'Keep one payment service provider contract for all users', 'Negotiated rates are 30% lower than councils pay alone.']],
  ],
  [
    'addresses',
    'cityscape-address-lookup',
    'Cityscape Address Lookup',
    'Chwilio am Gyfeiriadau Cityscape',
    'Find an address by postcode, text or UPRN, from AddressBase.',
    'data',
    [
      ['now', 'Welsh-language addresses', 'Return the Welsh form of an address where one exists.', 'Cyfeiriadau Cymraeg', 30],
      ['next', 'New-build addresses before they reach AddressBase', 'Councils add addresses as soon as they are named.', null, 90],
    ],
    [[300, 'Use AddressBase Premium under the Public Sector Geospatial Agreement', 'No charge to councils or departments.']],
  ],
  [
    'notify',
    'cityscape-notify',
    'Cityscape Notify',
    'Hysbysu Cityscape',
    'Send emails, text messages and letters from templates.',
    'digital',
    [
      ['now', 'Bilingual letters', 'English and Welsh on one letter, as Welsh councils must send.', 'Llythyrau dwyieithog', 40],
      ['next', 'Inbound text messages', 'Replies to texts reach the service team.', null, 100],
      ['done', 'Email branding for councils', 'A council’s own logo and colours on its emails.', null, -60],
    ],
    [[90, 'Give councils the same free allowance of text messages as departments', 'Councils asked for parity; the cost is small.']],
  ],
  [
    'exchange',
    'cityscape-data-exchange',
    'Cityscape Data Exchange',
    'Cyfnewid Data Cityscape',
    'Services ask the agency that holds the data instead of asking the citizen again.',
    'data',
    [
      ['now', 'Council tax records through the exchange', 'Councils answer requests for council tax band and discounts.', null, 75],
      ['later', 'Births and deaths for councils', 'Tell us once, through the exchange.', null, null],
    ],
    [[150, 'Log every access where the citizen can see it', 'Trust in data sharing depends on people seeing it.']],
  ],
  [
    'consent',
    'cityscape-consent',
    'Cityscape Consent',
    'Caniatâd Cityscape',
    'Citizens give, limit and withdraw permission to use their data.',
    'data',
    [['next', 'Consent on behalf of a child', 'Parents manage consent for their children.', null, 180]],
    [],
  ],
  [
    'performance',
    'cityscape-performance',
    'Cityscape Performance',
    'Perfformiad Cityscape',
    'Live service performance: the four KPIs, volumes and page analytics without cookies.',
    'digital',
    [
      [
        'now',
        'Compare services across councils',
        'Benchmarks of the same service in different councils.',
        'Cymharu gwasanaethau ar draws cynghorau',
        60,
      ],
    ],
    [],
  ],
  [
    'experiments',
    'cityscape-experiments',
    'Cityscape Experiments',
    'Arbrofion Cityscape',
    'Feature flags and A/B tests on live services, with statistics.',
    'digital',
    [['later', 'Experiments across several services', 'One test run in several councils at once.', null, null]],
    [],
  ],
  [
    'forms',
    'cityscape-forms',
    'Cityscape Forms',
    'Ffurflenni Cityscape',
    'Set up a new service quickly from a form definition.',
    'digital',
    [
      ['now', 'Save and return for long forms', 'People finish a form later without losing answers.', null, 30],
      ['next', 'Council form templates', 'Shared definitions for common council services.', 'Templedi ffurflenni cynghorau', 120],
    ],
    [[60, 'Publish every form definition as open source', 'Other councils can reuse what one builds.']],
  ],
  [
    'engagement',
    'cityscape-engagement',
    'Cityscape Engagement',
    'Ymgysylltu Cityscape',
    'Feedback, consultations and “you said, we did” for every service.',
    'digital',
    [['next', 'Consultations in British Sign Language', 'BSL videos alongside the written question.', null, 150]],
    [],
  ],
  [
    'rooms',
    'cityscape-rooms',
    'Cityscape Rooms',
    'Ystafelloedd Cityscape',
    'Video calls with front-line staff who share a live dashboard.',
    'digital',
    [['later', 'Interpreters in calls', 'Add a language interpreter to a call.', null, null]],
    [],
  ],
  [
    'catalogue',
    'cityscape-service-catalogue',
    'Cityscape Service Catalogue',
    'Catalog Gwasanaethau Cityscape',
    'Every public service, who runs it, who is accountable and what it decided.',
    'digital',
    [
      [
        'done',
        'Welsh for every citizen-facing field',
        'Welsh beside English everywhere in the catalogue.',
        'Cymraeg ar gyfer pob maes i ddinasyddion',
        -90,
      ],
    ],
    [],
  ],
];

/** Seeds the platform services (and their department) into a demo catalogue being created. */
export async function seedDemoPlatforms(
  tx: Queryable,
  now: Date,
  bulk: (tx: Queryable, table: string, cols: [string, string, string?][], rows: unknown[][]) => Promise<void>,
): Promise<void> {
  const orgId = randomUUID();
  const teamId = randomUUID();
  await tx.query(
    `INSERT INTO catalogue.organisations (id, slug, name, name_cy, kind, summary, summary_cy, website, is_demo)
     VALUES ($1, $2, $3, $4, 'ministerial_department', $5, $6, $7, true)`,
    [
      orgId,
      PLATFORM_ORG.slug,
      PLATFORM_ORG.name,
      PLATFORM_ORG.name_cy,
      PLATFORM_ORG.summary,
      PLATFORM_ORG.summary_cy,
      `https://${PLATFORM_ORG.slug}.example.org`,
    ],
  );
  const [teamSlug, teamName, teamCy] = PLATFORM_ORG.team;
  await tx.query('INSERT INTO catalogue.teams (id, organisation_id, slug, name, name_cy, email) VALUES ($1, $2, $3, $4, $5, $6)', [
    teamId,
    orgId,
    teamSlug,
    teamName,
    teamCy,
    `${teamSlug}@example.org`,
  ]);
  const services = PLATFORMS.map((p) => ({ id: randomUUID(), p }));
  await bulk(
    tx,
    'services',
    [
      ['id', 'uuid'],
      ['slug', 'text'],
      ['name', 'text'],
      ['name_cy', 'text'],
      ['summary', 'text'],
      ['phase', 'text'],
      ['organisation_id', 'uuid'],
      ['team_id', 'uuid'],
      ['platform', 'text'],
      ['platforms', 'text', 'ARRAY[c8]'],
    ],
    services.map(({ id, p: [key, slug, name, cy, summary] }) => [id, slug, name, cy, summary, 'live', orgId, teamId, key, key]),
  );
  await bulk(
    tx,
    'office_holders',
    [
      ['service_id', 'uuid'],
      ['name', 'text'],
      ['role', 'text'],
      ['role_cy', 'text'],
      ['organisation_id', 'uuid'],
      ['contact', 'text'],
      ['in_post_since', 'date'],
      ['is_demo', 'boolean'],
    ],
    services.map(({ id, p }) => {
      const [name, role, roleCy, contact] = OWNERS[p[5]]!;
      return [id, name, role, roleCy, orgId, contact, day(now, -400), true];
    }),
  );
  await bulk(
    tx,
    'roadmap_items',
    [
      ['service_id', 'uuid'],
      ['status', 'text'],
      ['title', 'text'],
      ['description', 'text'],
      ['title_cy', 'text'],
      ['target_date', 'date'],
    ],
    services.flatMap(({ id, p }) =>
      p[6].map(([status, title, description, titleCy, target]) => [
        id,
        status,
        title,
        description,
        titleCy,
        target === null ? null : day(now, target),
      ]),
    ),
  );
  await bulk(
    tx,
    'decisions',
    [
      ['service_id', 'uuid'],
      ['decided_on', 'date'],
      ['decision', 'text'],
      ['reasoning', 'text'],
      ['decided_by', 'text'],
    ],
    services.flatMap(({ id, p }) => p[7].map(([ago, decision, reasoning]) => [id, day(now, -ago), decision, reasoning, OWNERS[p[5]]![1]])),
  );
}
