// Demo catalogue: fictional departments, councils, services, office-holders, decisions, roadmaps
// and 90 days of feedback, so a fresh Cityscape has something real-looking to show. All marked demo.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';
import { HOW_TO_APPLY, HOW_TO_APPLY_CY, WELSH } from './demo-content.js';
import { seedDemoPlatforms } from './demo-platforms.js';

const DAY = 86_400_000;
const DEMO = 'Demo organisation (fictional). ';
const DEMO_CY = 'Sefydliad demo (ffuglennol). ';

// key, slug, name, name_cy, kind, parent key, summary
const ORGS: [string, string, string, string | null, string, string | null, string][] = [
  [
    'dftm',
    'department-for-transport-and-mobility',
    'Department for Transport and Mobility',
    null,
    'ministerial_department',
    null,
    'Responsible for roads, vehicles, active travel and local transport.',
  ],
  [
    'dcr',
    'department-for-citizenship-and-records',
    'Department for Citizenship and Records',
    null,
    'ministerial_department',
    null,
    'Responsible for civil registration, travel documents and citizenship.',
  ],
  [
    'dwf',
    'department-for-work-and-families',
    'Department for Work and Families',
    null,
    'ministerial_department',
    null,
    'Responsible for benefits, carers and support for families.',
  ],
  [
    'mvla',
    'motor-vehicle-licensing-agency',
    'Motor Vehicle Licensing Agency',
    null,
    'arms_length_body',
    'dftm',
    'Keeps the register of vehicles and drivers and collects vehicle tax.',
  ],
  [
    'riverside',
    'riverside-city-council',
    'Riverside City Council',
    null,
    'local_authority',
    null,
    'Unitary council for the city of Riverside.',
  ],
  [
    'glanfor',
    'glanfor-county-council',
    'Glanfor County Council',
    'Cyngor Sir Glanfor',
    'local_authority',
    null,
    'Bilingual county council in Wales.',
  ],
  [
    'kestrel',
    'kestrel-digital',
    'Kestrel Digital Ltd',
    null,
    'supplier',
    null,
    'Supplier that builds and hosts services for several councils.',
  ],
  [
    'chn',
    'citizens-help-network',
    'Citizens Help Network',
    null,
    'partner',
    null,
    'Charity helping people use public services by phone and in person.',
  ],
];

// org key, slug, name
const TEAMS: [string, string, string][] = [
  ['dftm', 'local-transport-digital', 'Local Transport Digital'],
  ['dcr', 'civil-registration', 'Civil Registration Services'],
  ['dcr', 'travel-documents', 'Travel Documents'],
  ['dwf', 'carers-and-families', 'Carers and Families Digital'],
  ['mvla', 'vehicle-tax', 'Vehicle Tax'],
  ['riverside', 'digital-services', 'Digital Services'],
  ['riverside', 'parking-and-highways', 'Parking and Highways'],
  ['glanfor', 'digital', 'Digital Services'],
  ['kestrel', 'council-delivery', 'Council Delivery'],
  ['chn', 'digital-inclusion', 'Digital Inclusion'],
];

// Office-holders: name, role, org key, public mailbox
const PEOPLE: Record<string, [string, string, string, string]> = {
  roads: ['Harriet Okafor', 'Minister of State for Roads and Local Transport', 'dftm', 'roads.minister@example.org'],
  roadsOld: ['Graham Whitlock', 'Minister of State for Roads and Local Transport', 'dftm', 'roads.minister@example.org'],
  active: ['Priya Desai', 'Parliamentary Under-Secretary of State for Active Travel', 'dftm', 'active.travel.minister@example.org'],
  registration: ['Thomas Abernethy', 'Minister for Civil Registration', 'dcr', 'registration.minister@example.org'],
  travel: ['Alison Marchetti', 'Minister of State for Borders and Travel Documents', 'dcr', 'travel.documents.minister@example.org'],
  carers: ['Nadia Rahman', 'Minister for Disabled People and Carers', 'dwf', 'carers.minister@example.org'],
  carersOld: ['Colin Ashworth', 'Minister for Disabled People and Carers', 'dwf', 'carers.minister@example.org'],
  adultCare: ['Joanne Pritchard', 'Councillor, Cabinet Member for Adult Social Care', 'riverside', 'cabinet.adultcare@example.org'],
  adultCareOld: ['Derek Lomax', 'Councillor, Cabinet Member for Adult Social Care', 'riverside', 'cabinet.adultcare@example.org'],
  highways: ['Samuel Osei', 'Councillor, Cabinet Member for Transport and Highways', 'riverside', 'cabinet.highways@example.org'],
  schools: ['Fatima Begum', 'Councillor, Cabinet Member for Children and Education', 'riverside', 'cabinet.education@example.org'],
  finance: ['Rhian Pugh', 'Councillor, Cabinet Member for Finance', 'glanfor', 'cabinet.cyllid@example.org'],
  financeOld: ['Gareth Llewelyn', 'Councillor, Cabinet Member for Finance', 'glanfor', 'cabinet.cyllid@example.org'],
  environment: ['Dafydd Morgan', 'Councillor, Cabinet Member for Environment', 'glanfor', 'cabinet.amgylchedd@example.org'],
  leader: ['Eleri Vaughan', 'Councillor, Leader of the Council', 'glanfor', 'arweinydd@example.org'],
};

type Decision = [daysAgo: number, decision: string, reasoning: string, by: string, evidence?: string];
type Roadmap = ['now' | 'next' | 'later' | 'done', string, string, number | null]; // target: days from now
interface DemoService {
  slug: string;
  name: string;
  summary: string;
  description: string;
  cy?: [string, string];
  phase: 'discovery' | 'alpha' | 'beta' | 'live' | 'retiring';
  team: string;
  platforms: string;
  mean: number;
  volume: number;
  holder: [string, number];
  prev?: [string, number];
  decisions: Decision[];
  roadmap: Roadmap[];
}
const EV = 'https://www.example.org/research/';

const SERVICES: DemoService[] = [
  {
    slug: 'apply-for-a-blue-badge',
    name: 'Apply for a Blue Badge',
    phase: 'live',
    team: 'riverside/digital-services',
    platforms: 'identity payments addresses notify exchange forms',
    mean: 4.1,
    volume: 5,
    holder: ['adultCare', 200],
    prev: ['adultCareOld', 1100],
    summary: 'Apply for or renew a Blue Badge parking permit if you have a disability or health condition.',
    description:
      'Residents of Riverside can apply for a Blue Badge for themselves or someone they care for. Proof of benefits is checked through the exchange, so most people no longer need to upload documents. The £10 fee is taken at the end of the application.',
    decisions: [
      [
        320,
        'Use the exchange to confirm qualifying benefits instead of asking for letters',
        'Document uploads were the main reason applications stalled; 61% of applicants already receive a qualifying benefit.',
        'Service owner',
        EV + 'blue-badge-evidence',
      ],
      [
        150,
        'Keep a paper form for people who cannot apply online',
        'Research with older residents showed 1 in 8 would not use the online form even with help.',
        'Cabinet, Riverside City Council',
      ],
      [
        40,
        'Send badge dispatch updates by text message',
        'Calls asking "where is my badge?" were a quarter of contact centre volume for this service.',
        'Service owner',
      ],
    ],
    roadmap: [
      ['done', 'Automatic benefit checks', 'Confirm qualifying benefits through the exchange.', -120],
      ['now', 'Renewal reminders', 'Remind badge holders 8 weeks before their badge expires.', 45],
      ['next', 'Upload a photo from your phone', 'Let people take their badge photo with a phone camera.', 120],
      ['later', 'Apply on behalf of someone else', 'A clearer route for carers and relatives.', null],
    ],
  },
  {
    slug: 'pay-a-parking-fine',
    name: 'Pay a parking fine',
    phase: 'live',
    team: 'riverside/parking-and-highways',
    platforms: 'payments notify',
    mean: 3.4,
    volume: 7,
    holder: ['highways', 500],
    summary: 'Pay a Penalty Charge Notice issued in Riverside, or see the photos of your vehicle.',
    description:
      'Pay a parking Penalty Charge Notice (PCN) online by card. You can see the evidence photos before you pay. If you pay within 14 days the charge is halved.',
    decisions: [
      [
        280,
        'Show evidence photos before asking for payment',
        'People were paying and then challenging, which doubled the work for both sides.',
        'Head of Parking Services',
      ],
      [
        90,
        'Stop charging a card fee for online payments',
        'The fee cost more to explain than it recovered.',
        'Cabinet, Riverside City Council',
        EV + 'parking-card-fees',
      ],
    ],
    roadmap: [
      ['done', 'Evidence photos', 'Show the civil enforcement officer photos online.', -200],
      ['now', 'Challenge a fine online', 'Make an informal challenge in the same service.', 30],
      ['next', 'Pay by Apple Pay and Google Pay', 'Faster payment on phones.', 100],
      ['later', 'Welsh and community languages', 'Translate the service pages.', null],
    ],
  },
  {
    slug: 'report-a-pothole',
    name: 'Report a pothole',
    phase: 'beta',
    team: 'riverside/parking-and-highways',
    platforms: 'addresses notify forms',
    mean: 3.7,
    volume: 4,
    holder: ['highways', 500],
    summary: 'Report a pothole or damaged road surface and track when it will be fixed.',
    description:
      'Drop a pin on a map or search for a street to report a pothole. You get a reference number and updates by email or text. Reports are sent straight to the highways maintenance contractor.',
    decisions: [
      [240, 'Let people report without signing in', 'Asking for an account halved completed reports in the alpha.', 'Service owner'],
      [
        60,
        'Publish expected repair times on the report page',
        '"When will it be fixed?" was the most common follow-up question.',
        'Cabinet Member for Transport and Highways',
        EV + 'pothole-repair-times',
      ],
    ],
    roadmap: [
      ['done', 'Map pin reporting', 'Choose the location on a map.', -150],
      ['now', 'Photo upload', 'Add a photo to a report.', 20],
      ['next', 'See nearby reports', 'Avoid duplicate reports of the same pothole.', 90],
      ['later', 'Other street problems', 'Extend to broken streetlights and fly-tipping.', null],
    ],
  },
  {
    slug: 'apply-for-a-school-place',
    name: 'Apply for a school place',
    phase: 'alpha',
    team: 'riverside/digital-services',
    platforms: 'identity addresses notify exchange forms',
    mean: 3.5,
    volume: 2,
    holder: ['schools', 420],
    summary: 'Apply for a primary or secondary school place in Riverside for your child.',
    description:
      "Parents and carers can list up to six preferred schools in order. The service shows last year's allocation distances for each school. This alpha is being tested with families applying for reception places.",
    decisions: [
      [
        300,
        'Start with reception applications only',
        'Reception is the largest intake and has the simplest rules to test with.',
        'Service owner',
      ],
      [
        180,
        "Show last year's furthest distance offered for each school",
        'Parents said this was the most useful thing for choosing realistic preferences.',
        'Cabinet Member for Children and Education',
        EV + 'school-admissions-alpha',
      ],
      [
        25,
        'Confirm address through the addresses platform rather than council tax records',
        'Council tax records missed 4% of families in temporary accommodation.',
        'Service owner',
      ],
    ],
    roadmap: [
      ['now', 'Private beta for reception', 'Open to families at 5 partner nurseries.', 60],
      ['next', 'In-year transfers', 'Move school part-way through the year.', 180],
      ['later', 'Secondary transfer', 'Year 6 to Year 7 applications.', null],
    ],
  },
  {
    slug: 'pay-council-tax',
    name: 'Pay your council tax',
    cy: ['Talu eich treth gyngor', 'Talwch eich bil treth gyngor Glanfor ar-lein, sefydlwch Ddebyd Uniongyrchol neu gwiriwch eich balans.'],
    phase: 'live',
    team: 'glanfor/digital',
    platforms: 'identity payments addresses notify',
    mean: 3.9,
    volume: 6,
    holder: ['finance', 330],
    prev: ['financeOld', 1400],
    summary: 'Pay your Glanfor council tax bill online, set up a Direct Debit or check your balance.',
    description:
      'Pay your council tax in English or Welsh, make a one-off card payment or set up a Direct Debit. You can see your balance and instalments after signing in. Single person discount can be applied for in the same place.',
    decisions: [
      [
        350,
        'Offer the whole service in Welsh from the first page',
        'Welsh language standards, and 22% of residents chose Welsh for paper bills.',
        'Cabinet, Glanfor County Council',
      ],
      [
        200,
        'Move the default instalment plan from 10 to 12 months',
        'Smaller monthly payments reduced arrears in the pilot wards.',
        'Cabinet Member for Finance',
        EV + 'council-tax-instalments',
      ],
      [70, 'Send bills by email to people who ask', 'Printing and posting bills costs about £0.85 each.', 'Head of Revenues'],
    ],
    roadmap: [
      ['done', 'Direct Debit sign-up online', 'No more paper mandate forms.', -250],
      ['done', 'Welsh language service', 'Every page available in Welsh.', -330],
      ['now', 'E-billing', 'Receive your bill by email.', 40],
      ['next', 'Single person discount review', 'Confirm you still qualify online.', 150],
      ['later', 'Moving home', 'Tell us you are moving in one place.', null],
    ],
  },
  {
    slug: 'check-your-bin-collection-day',
    name: 'Check your bin collection day',
    cy: [
      'Gwirio eich diwrnod casglu biniau',
      "Darganfyddwch pa finiau sy'n cael eu casglu ar ba ddiwrnod yn eich cyfeiriad, a chael nodyn atgoffa.",
    ],
    phase: 'live',
    team: 'glanfor/digital',
    platforms: 'addresses notify',
    mean: 4.5,
    volume: 8,
    holder: ['environment', 600],
    summary: 'Find out which bins are collected on which day at your address, and get a reminder.',
    description:
      'Enter your postcode to see your next collections for recycling, food waste and general waste. Sign up for a reminder by email or text the evening before. Changes over bank holidays are shown automatically.',
    decisions: [
      [
        260,
        'Send reminders the evening before, not the morning of collection',
        'Crews start at 6am, before most people read a morning reminder.',
        'Service owner',
      ],
      [
        100,
        'Show bank holiday changes on the results page',
        'Missed collections spiked after every bank holiday.',
        'Cabinet Member for Environment',
        EV + 'bins-bank-holidays',
      ],
    ],
    roadmap: [
      ['done', 'Text message reminders', 'Evening-before reminders by text.', -180],
      ['now', 'Report a missed collection', 'Report from the same page.', 30],
      ['later', 'Order a new bin', 'Replace a lost or broken bin online.', null],
    ],
  },
  {
    slug: 'apply-for-a-concessionary-travel-pass',
    name: 'Apply for a concessionary travel pass',
    cy: [
      'Gwneud cais am gerdyn teithio rhatach',
      "Gwnewch gais am deithio am ddim ar fysiau os ydych yn 60 oed neu'n hŷn neu os oes gennych anabledd.",
    ],
    phase: 'discovery',
    team: 'glanfor/digital',
    platforms: 'identity exchange',
    mean: 3.3,
    volume: 1,
    holder: ['leader', 700],
    summary: 'Apply for free bus travel if you are 60 or over or have a disability.',
    description:
      'The council is exploring how people apply for and renew concessionary travel passes today. Most applications are still made on paper in libraries. Discovery will decide whether to build an online service.',
    decisions: [
      [
        120,
        'Start a discovery into concessionary travel applications',
        'Paper applications take 6 weeks to process and renewals are due for 9,000 residents next year.',
        'Leader of the Council',
      ],
      [30, 'Include library staff in user research', 'Most applications are assisted by library staff today.', 'Service owner'],
    ],
    roadmap: [
      ['now', 'User research', 'Interviews with applicants and library staff.', 30],
      ['next', 'Discovery findings', 'Publish findings and a recommendation.', 75],
      ['later', 'Alpha', 'Prototype an online application if discovery supports it.', null],
    ],
  },
  {
    slug: 'tax-your-vehicle',
    name: 'Tax your vehicle',
    phase: 'live',
    team: 'mvla/vehicle-tax',
    platforms: 'identity payments notify exchange',
    mean: 4.6,
    volume: 8,
    holder: ['roads', 260],
    prev: ['roadsOld', 900],
    summary: 'Tax your car, motorcycle or other vehicle using the reference number from your reminder.',
    description:
      'Tax a vehicle for 6 or 12 months, or set up a monthly Direct Debit. Insurance and MOT are checked automatically through the exchange. You get a confirmation by email.',
    decisions: [
      [
        340,
        'Check MOT and insurance through the exchange',
        'Removes two questions and most failed applications.',
        'Chief Executive, Motor Vehicle Licensing Agency',
        EV + 'vehicle-tax-checks',
      ],
      [
        190,
        'Keep taxing at Post Office counters for another 2 years',
        '4% of customers still tax in person, mostly in rural areas.',
        'Minister of State for Roads and Local Transport',
      ],
      [50, 'Offer reminders by text as well as email', 'Text reminders had a higher on-time rate in a trial.', 'Service owner'],
    ],
    roadmap: [
      ['done', 'Automatic insurance check', 'No need to enter insurance details.', -300],
      ['now', 'Text reminders', 'Opt in to reminders by text message.', 25],
      ['next', 'Tax several vehicles at once', 'For households and small businesses.', 140],
      ['later', 'Fleet API', 'For fleet operators and lease companies.', null],
    ],
  },
  {
    slug: 'claim-a-cycle-to-work-voucher',
    name: 'Claim a cycle to work voucher',
    phase: 'retiring',
    team: 'dftm/local-transport-digital',
    platforms: 'identity payments',
    mean: 3.2,
    volume: 1,
    holder: ['active', 380],
    summary: 'Claim a voucher towards a bicycle for commuting; the scheme closes to new claims soon.',
    description:
      'This pilot scheme gave vouchers towards bicycles for people without an employer scheme. It closes to new claims at the end of the year. Existing vouchers can still be redeemed until they expire.',
    decisions: [
      [
        210,
        'Close the pilot scheme to new claims at the end of the year',
        'Employer schemes now cover most eligible people and the pilot evaluation is complete.',
        'Parliamentary Under-Secretary of State for Active Travel',
        EV + 'cycle-voucher-evaluation',
      ],
      [45, 'Tell current voucher holders by email about the closure', 'Avoid people losing unused vouchers.', 'Service owner'],
    ],
    roadmap: [
      ['done', 'Pilot evaluation', 'Publish the pilot evaluation.', -200],
      ['now', 'Closure notices', 'Email everyone with an unused voucher.', 15],
      ['next', 'Close to new claims', 'Replace the start page with guidance.', 80],
    ],
  },
  {
    slug: 'register-a-birth',
    name: 'Register a birth',
    phase: 'beta',
    team: 'dcr/civil-registration',
    platforms: 'identity addresses notify exchange forms',
    mean: 4.3,
    volume: 4,
    holder: ['registration', 450],
    summary: "Register a baby's birth online and order birth certificates.",
    description:
      'Parents can start a birth registration online and confirm it at a short appointment or video call with a registrar. Details from the hospital birth notification are filled in through the exchange. Certificates can be ordered and paid for at the end.',
    decisions: [
      [
        330,
        'Allow registration appointments by video call',
        'Travelling to a register office in the first weeks is hard for many parents.',
        'Minister for Civil Registration',
        EV + 'birth-registration-video',
      ],
      [160, 'Pre-fill details from the birth notification', 'Parents were re-typing details the NHS already holds.', 'Service owner'],
      [
        20,
        'Let both parents confirm from their own account',
        'Unmarried parents wanted to register jointly without both attending.',
        'Registrar General',
      ],
    ],
    roadmap: [
      ['done', 'Video appointments', 'Meet a registrar by video.', -240],
      ['now', 'Joint registration online', 'Both parents confirm separately.', 50],
      ['next', 'Public beta', 'Open to all register offices.', 160],
      ['later', 'Register a death', 'Apply the same pattern to death registration.', null],
    ],
  },
  {
    slug: 'renew-a-travel-document',
    name: 'Renew a travel document',
    phase: 'live',
    team: 'dcr/travel-documents',
    platforms: 'identity payments addresses notify',
    mean: 4.0,
    volume: 7,
    holder: ['travel', 310],
    summary: 'Renew an adult citizen travel document online and track your application.',
    description:
      'Renew your travel document online if it has expired or is about to. You can take a photo with your phone and track your application. Most applications are decided within 3 weeks.',
    decisions: [
      [
        300,
        'Accept phone photos checked automatically',
        'Photo booth costs and rejected photos were the top complaints.',
        'Service owner',
        EV + 'travel-document-photos',
      ],
      [
        110,
        'Publish current processing times on the start page',
        'People were booking travel without knowing how long renewal takes.',
        'Minister of State for Borders and Travel Documents',
      ],
    ],
    roadmap: [
      ['done', 'Phone photos', 'Automatic photo checking.', -280],
      ['now', 'Application tracking by text', 'Status updates by text message.', 35],
      ['next', 'Child renewals', "Renew a child's travel document.", 130],
      ['later', 'First applications', 'Apply for the first time online.', null],
    ],
  },
  {
    slug: 'apply-for-carers-support',
    name: "Apply for Carer's Support",
    phase: 'beta',
    team: 'dwf/carers-and-families',
    platforms: 'identity notify exchange forms',
    mean: 3.6,
    volume: 5,
    holder: ['carers', 150],
    prev: ['carersOld', 800],
    summary: "Apply for Carer's Support if you care for someone for at least 35 hours a week.",
    description:
      "Apply for a weekly payment if you look after someone with a disability or long-term illness. The cared-for person's disability benefit is confirmed through the exchange. You can save your application and come back to it.",
    decisions: [
      [
        310,
        "Confirm the cared-for person's benefit through the exchange",
        'Applicants often did not know the exact benefit or award date.',
        'Service owner',
        EV + 'carers-support-beta',
      ],
      [140, 'Add save and return', '40% of applications took more than one sitting in research.', 'Service owner'],
      [
        35,
        'Partner with Citizens Help Network for assisted digital support',
        'Carers told us they want help from someone who understands caring.',
        'Minister for Disabled People and Carers',
      ],
    ],
    roadmap: [
      ['done', 'Save and return', 'Come back to an application later.', -90],
      ['now', 'Assisted digital with partners', 'Phone and in-person help.', 40],
      ['next', 'Report a change', 'Tell us about changes to hours or earnings.', 120],
      ['later', 'Public beta', 'Replace the paper form.', null],
    ],
  },
];

const COMMENTS = [
  'Let me save my progress and come back later.',
  'The page timed out while I was finding my documents.',
  'Tell me how long it will take before I start.',
  'I could not find where to upload the photo.',
  'Make it clearer what happens after I submit.',
  'Send me a text when it is done, not just an email.',
  'The address search did not find my flat.',
  'Too many questions I had already answered before.',
  'It did not work well on my phone.',
  'I wanted to speak to someone but could not find a phone number.',
  'The payment page was confusing.',
  'Explain the words used on the eligibility page.',
  'Let me do it on behalf of my mum.',
  'The confirmation email went to spam.',
  'Please show the cost at the start.',
  'Signing in took longer than the form itself.',
  'Allow me to change my answers at the end.',
  'Use plainer language in the guidance.',
  'It would help to see my previous applications.',
  'Quick and easy, but the start page was hard to find.',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hash = (s: string) => [...s].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261);

/** Cumulative weights for ratings 1–5, weights ∝ e^(b·k), with b chosen so the mean is `mean`. */
function ratingCdf(mean: number): number[] {
  let lo = -6,
    hi = 6,
    w: number[] = [];
  for (let i = 0; i < 40; i++) {
    const b = (lo + hi) / 2;
    w = [1, 2, 3, 4, 5].map((k) => Math.exp(b * k));
    const mu = w.reduce((s, x, k) => s + x * (k + 1), 0) / w.reduce((s, x) => s + x, 0);
    if (mu < mean) lo = b;
    else hi = b;
  }
  const total = w.reduce((s, x) => s + x, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
}

const day = (now: Date, offsetDays: number) => new Date(now.getTime() + offsetDays * DAY).toISOString().slice(0, 10);

/** INSERT … SELECT FROM unnest(…): one statement per table. cols: [column, element type, select expression?]. */
async function bulk(tx: Queryable, table: string, cols: [string, string, string?][], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const names = cols.map((_, i) => `c${i}`);
  await tx.query(
    `INSERT INTO catalogue.${table} (${cols.map((c) => c[0]).join(', ')})
     SELECT ${cols.map((c, i) => c[2] ?? names[i]).join(', ')}
     FROM unnest(${cols.map((c, i) => `$${i + 1}::${c[1]}[]`).join(', ')}) AS u(${names.join(', ')})`,
    cols.map((_, i) => rows.map((r) => r[i])),
  );
}

/** Seeds the demo catalogue when the catalogue is empty. Returns true if it seeded. */
export async function seedDemoCatalogue(tx: Queryable, now: Date = new Date()): Promise<boolean> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['cityscape.catalogue.demo']);
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM catalogue.organisations');
  if (Number(rows[0]?.n) > 0) return false;

  const orgId = new Map(ORGS.map(([key]) => [key, randomUUID()]));
  const teamId = new Map(TEAMS.map(([org, slug]) => [`${org}/${slug}`, randomUUID()]));
  // The bilingual council keeps Welsh for everything it publishes.
  const bilingual = new Set(ORGS.filter((o) => o[3]).map((o) => o[0]));
  const welshOf = (org: string, english: string) => (bilingual.has(org) ? (WELSH[english] ?? null) : null);
  const id = (m: Map<string, string>, key: string) => {
    const v = m.get(key);
    if (!v) throw new Error(`demo catalogue: unknown key ${key}`);
    return v;
  };

  await bulk(
    tx,
    'organisations',
    [
      ['id', 'uuid'],
      ['slug', 'text'],
      ['name', 'text'],
      ['name_cy', 'text'],
      ['kind', 'text'],
      ['parent_id', 'uuid'],
      ['summary', 'text'],
      ['summary_cy', 'text'],
      ['website', 'text'],
      ['is_demo', 'boolean'],
    ],
    ORGS.map(([key, slug, name, cy, kind, parent, summary]) => [
      id(orgId, key),
      slug,
      name,
      cy,
      kind,
      parent ? id(orgId, parent) : null,
      DEMO + summary,
      cy && WELSH[summary] ? DEMO_CY + WELSH[summary] : null,
      `https://${slug}.example.org`,
      true,
    ]),
  );
  await bulk(
    tx,
    'teams',
    [
      ['id', 'uuid'],
      ['organisation_id', 'uuid'],
      ['slug', 'text'],
      ['name', 'text'],
      ['name_cy', 'text'],
      ['email', 'text'],
    ],
    TEAMS.map(([org, slug, name]) => [
      id(teamId, `${org}/${slug}`),
      id(orgId, org),
      slug,
      name,
      welshOf(org, name),
      `${slug}.${org}@example.org`,
    ]),
  );

  const services = SERVICES.map((s) => ({ ...s, id: randomUUID(), org: s.team.split('/')[0]! }));
  await bulk(
    tx,
    'services',
    [
      ['id', 'uuid'],
      ['slug', 'text'],
      ['name', 'text'],
      ['name_cy', 'text'],
      ['summary', 'text'],
      ['summary_cy', 'text'],
      ['description', 'text'],
      ['phase', 'text'],
      ['organisation_id', 'uuid'],
      ['team_id', 'uuid'],
      ['platforms', 'text', "string_to_array(c10, ' ')"],
      ['description_cy', 'text'],
      ['how_to_apply', 'text'],
      ['how_to_apply_cy', 'text'],
    ],
    // No start_url: no demo service has a form of its own, so "Start now" leads to how to apply.
    services.map((s) => [
      s.id,
      s.slug,
      s.name,
      s.cy?.[0] ?? null,
      s.summary,
      s.cy?.[1] ?? null,
      s.description,
      s.phase,
      id(orgId, s.org),
      id(teamId, s.team),
      s.platforms,
      welshOf(s.org, s.description),
      HOW_TO_APPLY[s.slug] ?? '',
      bilingual.has(s.org) ? (HOW_TO_APPLY_CY[s.slug] ?? null) : null,
    ]),
  );

  const holders: unknown[][] = [];
  for (const s of services) {
    const person = (key: string) => {
      const p = PEOPLE[key];
      if (!p) throw new Error(`demo catalogue: unknown person ${key}`);
      return [p[0], p[1], welshOf(p[2], p[1]), id(orgId, p[2]), p[3]];
    };
    holders.push([s.id, ...person(s.holder[0]), day(now, -s.holder[1]), null, true]);
    if (s.prev) holders.push([s.id, ...person(s.prev[0]), day(now, -s.prev[1]), day(now, -s.holder[1]), true]);
  }
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
      ['left_post', 'date'],
      ['is_demo', 'boolean'],
    ],
    holders,
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
      ['evidence_url', 'text'],
      ['decision_cy', 'text'],
      ['reasoning_cy', 'text'],
      ['decided_by_cy', 'text'],
    ],
    services.flatMap((s) =>
      s.decisions.map(([ago, decision, reasoning, by, ev]) => [
        s.id,
        day(now, -ago),
        decision,
        reasoning,
        by,
        ev ?? null,
        welshOf(s.org, decision),
        welshOf(s.org, reasoning),
        welshOf(s.org, by),
      ]),
    ),
  );
  await bulk(
    tx,
    'roadmap_items',
    [
      ['service_id', 'uuid'],
      ['status', 'text'],
      ['title', 'text'],
      ['description', 'text'],
      ['target_date', 'date'],
      ['title_cy', 'text'],
      ['description_cy', 'text'],
    ],
    services.flatMap((s) =>
      s.roadmap.map(([status, title, description, target]) => [
        s.id,
        status,
        title,
        description,
        target === null ? null : day(now, target),
        welshOf(s.org, title),
        welshOf(s.org, description),
      ]),
    ),
  );

  // 90 days of feedback ending at `now`, deterministic per service.
  const fb: [string[], number[], string[], string[]] = [[], [], [], []];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (const s of services) {
    const rnd = mulberry32(hash(s.slug));
    const cdf = ratingCdf(s.mean);
    for (let d = 0; d < 90; d++) {
      const n = Math.min(8, Math.max(1, s.volume + Math.floor(rnd() * 5) - 2));
      for (let j = 0; j < n; j++) {
        const u = rnd();
        fb[0].push(s.id);
        fb[1].push(cdf.findIndex((c) => u <= c) + 1 || 5);
        fb[2].push(rnd() < 0.3 ? COMMENTS[Math.floor(rnd() * COMMENTS.length)]! : '');
        const start = today - d * DAY; // spread across the (UTC) day; today only up to `now`
        fb[3].push(new Date(start + rnd() * (d === 0 ? now.getTime() - start : DAY)).toISOString());
      }
    }
  }
  await tx.query(
    `INSERT INTO catalogue.feedback (service_id, rating, improvement, created_at)
     SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::timestamptz[])`,
    fb,
  );
  await seedDemoPlatforms(tx, now, bulk);
  return true;
}
