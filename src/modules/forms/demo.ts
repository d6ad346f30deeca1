// Demo forms: a real form of its own, live, for every demo service that has none — Blue Badge
// with benefit entitlement from the exchange and the fee, council tax, carer's support and a
// plain application form for the rest.
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Definition } from './definition.js';
import type { FormsService } from './service.js';
import { starterDefinition } from './admin.js';

const yesno = (id: string, en: string, cy: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'yesno' as const,
  label: { en, cy },
  ...extra,
});

export const DEMO_FORMS: Record<string, Definition> = {
  'apply-for-a-blue-badge': {
    title: { en: 'Apply for a Blue Badge', cy: 'Gwneud cais am Fathodyn Glas' },
    intro: {
      en: 'Use this service to apply for a Blue Badge from Riverside City Council.\n\nIf you get the higher rate of the mobility part of PIP, we can check it with DWP so you do not need to send a letter.',
      cy: 'Defnyddiwch y gwasanaeth hwn i wneud cais am Fathodyn Glas gan Gyngor Dinas Riverside.',
    },
    signIn: 'Cl.Cm.P2',
    pages: [
      {
        id: 'pip',
        title: { en: 'Your mobility award', cy: 'Eich dyfarniad symudedd' },
        questions: [
          {
            id: 'pipMobility',
            type: 'radios',
            label: {
              en: 'What rate of the PIP mobility component do you get?',
              cy: 'Pa gyfradd o elfen symudedd PIP ydych chi’n ei chael?',
            },
            attribute: 'dwp/benefits.pip_mobility',
            options: [
              { value: 'enhanced', text: { en: 'Enhanced rate', cy: 'Cyfradd uwch' } },
              { value: 'standard', text: { en: 'Standard rate', cy: 'Cyfradd safonol' } },
              { value: 'none', text: { en: 'I do not get it', cy: 'Nid wyf yn ei chael' } },
            ],
          },
        ],
      },
      {
        id: 'walking',
        title: { en: 'Walking', cy: 'Cerdded' },
        if: 'noEnhancedPip',
        questions: [
          {
            id: 'walkingDifficulty',
            type: 'textarea',
            label: {
              en: 'Describe how your condition affects your walking',
              cy: 'Disgrifiwch sut mae eich cyflwr yn effeithio ar eich gallu i gerdded',
            },
          },
        ],
      },
      {
        id: 'address',
        title: { en: 'Your address', cy: 'Eich cyfeiriad' },
        questions: [{ id: 'homeAddress', type: 'address', label: { en: 'What is your address?', cy: 'Beth yw eich cyfeiriad?' } }],
      },
      {
        id: 'photo',
        title: { en: 'Your photo', cy: 'Eich llun' },
        questions: [
          {
            id: 'photo',
            type: 'file',
            label: { en: 'Upload a photo of your face', cy: 'Uwchlwythwch lun o’ch wyneb' },
            validation: { maxBytes: 5_000_000, accept: ['image/jpeg', 'image/png'] },
          },
        ],
      },
      {
        id: 'contact',
        title: { en: 'Your email address', cy: 'Eich cyfeiriad e-bost' },
        questions: [{ id: 'email', type: 'email', label: { en: 'What is your email address?', cy: 'Beth yw eich cyfeiriad e-bost?' } }],
      },
      {
        id: 'declaration',
        title: { en: 'Declaration', cy: 'Datganiad' },
        questions: [
          {
            id: 'declaration',
            type: 'declaration',
            label: { en: 'Declaration', cy: 'Datganiad' },
            content: {
              en: 'The information I have given is correct. I understand it is a criminal offence to give false information.',
              cy: 'Mae’r wybodaeth a roddais yn gywir.',
            },
          },
        ],
      },
    ],
    conditions: { noEnhancedPip: { question: 'pipMobility', op: 'isNot', value: 'enhanced' } },
    fee: { description: { en: 'Blue Badge fee', cy: 'Ffi Bathodyn Glas' }, amount: 1000 },
    confirmation: {
      emailQuestion: 'email',
      body: { en: 'We will decide within 12 weeks. We will write to you.', cy: 'Byddwn yn penderfynu o fewn 12 wythnos.' },
    },
    deliveries: [{ type: 'api' }],
    referencePrefix: 'BB',
  },
  'pay-council-tax': {
    title: { en: 'Pay your council tax', cy: 'Talu eich treth gyngor' },
    pages: [
      {
        id: 'account',
        title: { en: 'Your council tax account', cy: 'Eich cyfrif treth gyngor' },
        questions: [
          {
            id: 'accountNumber',
            type: 'text',
            label: { en: 'What is your council tax account number?', cy: 'Beth yw rhif eich cyfrif treth gyngor?' },
            hint: { en: '8 digits, on your bill', cy: '8 digid, ar eich bil' },
            validation: {
              pattern: '\\d{8}',
              patternMessage: { en: 'Enter your 8-digit account number', cy: 'Rhowch eich rhif cyfrif 8 digid' },
            },
          },
        ],
      },
      {
        id: 'instalments',
        title: { en: 'How many months', cy: 'Sawl mis' },
        questions: [
          {
            id: 'months',
            type: 'number',
            label: { en: 'How many monthly instalments do you want to pay now?', cy: 'Sawl rhandaliad misol ydych chi am eu talu nawr?' },
            validation: { integer: true, min: 1, max: 10 },
          },
        ],
      },
      {
        id: 'contact',
        title: { en: 'Your email address', cy: 'Eich cyfeiriad e-bost' },
        questions: [{ id: 'email', type: 'email', label: { en: 'What is your email address?', cy: 'Beth yw eich cyfeiriad e-bost?' } }],
      },
    ],
    fee: {
      description: { en: 'Council tax instalments', cy: 'Rhandaliadau treth gyngor' },
      items: [{ description: 'Monthly instalment', amount: 14500, multiplyBy: 'months' }],
    },
    confirmation: { emailQuestion: 'email' },
    deliveries: [{ type: 'api' }],
    referencePrefix: 'CT',
  },
  'apply-for-carers-support': {
    title: { en: 'Apply for carer’s support', cy: 'Gwneud cais am gymorth i ofalwyr' },
    pages: [
      {
        id: 'name',
        title: { en: 'Your name', cy: 'Eich enw' },
        questions: [
          { id: 'fullName', type: 'text', label: { en: 'What is your full name?', cy: 'Beth yw eich enw llawn?' }, account: 'fullName' },
        ],
      },
      {
        id: 'dob',
        title: { en: 'Your date of birth', cy: 'Eich dyddiad geni' },
        questions: [
          {
            id: 'dateOfBirth',
            type: 'date',
            label: { en: 'What is your date of birth?', cy: 'Beth yw eich dyddiad geni?' },
            hint: { en: 'For example, 27 3 1980', cy: 'Er enghraifft, 27 3 1980' },
            validation: { past: true },
          },
        ],
      },
      {
        id: 'people',
        title: { en: 'The people you care for', cy: 'Y bobl rydych yn gofalu amdanynt' },
        repeat: { max: 5, itemName: { en: 'Person', cy: 'Person' } },
        questions: [
          { id: 'personName', type: 'text', label: { en: 'Their name', cy: 'Eu henw' } },
          {
            id: 'hours',
            type: 'number',
            label: { en: 'Hours a week you care for them', cy: 'Oriau’r wythnos rydych yn gofalu amdanynt' },
            validation: { integer: true, min: 1, max: 168 },
          },
        ],
      },
      {
        id: 'help',
        title: { en: 'Help you need', cy: 'Help sydd ei angen arnoch' },
        questions: [
          {
            id: 'help',
            type: 'checkboxes',
            label: { en: 'What help would you like?', cy: 'Pa help hoffech chi?' },
            options: [
              { value: 'break', text: { en: 'A break from caring', cy: 'Seibiant rhag gofalu' } },
              { value: 'money', text: { en: 'Advice about money', cy: 'Cyngor am arian' } },
              { value: 'training', text: { en: 'Training', cy: 'Hyfforddiant' } },
            ],
          },
        ],
      },
      {
        id: 'working',
        title: { en: 'Work', cy: 'Gwaith' },
        questions: [yesno('working', 'Do you work?', 'Ydych chi’n gweithio?')],
        next: [{ page: 'employer', if: 'works' }, { page: 'contact' }],
      },
      {
        id: 'employer',
        title: { en: 'Your employer', cy: 'Eich cyflogwr' },
        questions: [{ id: 'employer', type: 'text', label: { en: 'Who do you work for?', cy: 'I bwy ydych chi’n gweithio?' } }],
      },
      {
        id: 'contact',
        title: { en: 'Your email address', cy: 'Eich cyfeiriad e-bost' },
        questions: [{ id: 'email', type: 'email', label: { en: 'What is your email address?', cy: 'Beth yw eich cyfeiriad e-bost?' } }],
      },
    ],
    conditions: { works: { question: 'working', op: 'is', value: 'yes' } },
    confirmation: { emailQuestion: 'email' },
    deliveries: [{ type: 'api' }],
    referencePrefix: 'CS',
  },
};

export async function seedDemoForms(k: Pick<Kernel, 'log'>, catalogue: CatalogueService, service: FormsService): Promise<boolean> {
  let any = false;
  for (const s of await catalogue.listServices()) {
    if (s.platform || (await service.byService(s.id))) continue; // a shared platform is no citizen's form
    // Services that pay through a payment link or elsewhere keep their own start.
    if (s.slug === 'pay-a-parking-fine' || s.slug === 'check-your-bin-collection-day') continue;
    const def = DEMO_FORMS[s.slug] ?? { ...starterDefinition(s.name), title: { en: s.name, ...(s.name_cy ? { cy: s.name_cy } : {}) } };
    await service.save({ id: s.id, slug: s.slug }, def, { by: 'demo', live: true });
    any = true;
  }
  if (any) k.log.info('forms: demo forms published');
  return any;
}
