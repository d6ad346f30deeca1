// Import of real published definitions (fixtures/README.md names their origin and licence):
// what carries over, what the report names, and a walk through the imported form over HTTP;
// export back to XGovFormBuilder JSON and in again; the CLI prints the live URL last.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { importDefinition, exportDefinition } from './import.js';
import { checkDefinition } from './definition.js';
import { FORMS_COMMANDS } from './cli.js';
import { Out } from '../../commands.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(join(here, 'fixtures', name), 'utf8'));

describe('importing', () => {
  it('carries over an XGovFormBuilder form: sections, lists, conditions (objects and expressions), routing, declaration, outputs', () => {
    const r = importDefinition(fixture('xgov-get-condition-evaluation-context.json'));
    expect(r.format).toBe('xgovformbuilder');
    const d = r.definition;
    expect(checkDefinition(d)).toEqual([]);
    expect(d.pages[0].id).toBe('uk-passport');
    expect(d.pages[0].questions[0]).toMatchObject({ id: 'ukPassport', type: 'yesno' });
    expect(d.lists?.numberOfApplicants.map((o) => o.value)).toEqual(['1', '2', '3', '4']);
    expect(d.sections?.applicantOneDetails).toBe('Applicant 1');
    expect(d.conditions?.moreThanOneApplicant).toEqual({ question: 'numberOfApplicants', op: 'gt', value: '1' });
    expect(d.conditions?.doesntHaveUKPassport).toEqual({ question: 'ukPassport', op: 'is', value: 'no' });
    expect(d.conditions?.WLkGmF).toEqual({
      all: [
        { question: 'firstName', op: 'is', value: 'Applicant' },
        { question: 'ukPassport', op: 'is', value: 'no' },
      ],
    });
    expect(d.conditions?.nAQyYp).toEqual({ ref: 'doesntHaveUKPassport' });
    const first = d.pages.find((p) => p.id === 'uk-passport')!;
    expect(first.next).toEqual([
      { page: 'anothertest', if: 'WLkGmF' },
      { page: 'testconditions', if: 'doesntHaveUKPassport' },
      { page: 'how-many-people' },
    ]);
    expect(d.pages.at(-1)!.questions[0].type).toBe('declaration');
    expect(d.deliveries).toEqual([{ type: 'email', to: 'jennifermyanh.duong@digital.homeoffice.gov.uk' }]);
    // Same field names in several sections stay distinct questions.
    const ids = d.pages.flatMap((p) => p.questions.map((q) => q.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.report.join('\n')).toMatch(/summary\/status controller/);
    expect(r.report.join('\n')).toMatch(/content shown only under condition "bDDfgf"/);
  });

  it('names what it could not carry over from a repeating multi-input page', () => {
    const r = importDefinition(fixture('xgov-add-another.json'));
    expect(r.definition.pages[0].repeat).toEqual({ max: 10 });
    expect(r.report.join('\n')).toMatch(/multi-input "MultiInputField" asked as one text answer/);
  });

  it('carries over a GOV.UK Forms form document with every answer type', () => {
    const r = importDefinition(fixture('govuk-forms-all-question-types.json'));
    expect(r.format).toBe('govuk-forms');
    expect(r.definition.pages.map((p) => p.questions[0].type)).toEqual([
      'text',
      'number',
      'address',
      'email',
      'date',
      'text',
      'telephone',
      'checkboxes',
      'textarea',
    ]);
    expect(r.definition.pages[5].questions[0].validation?.pattern).toBeTruthy();
    expect(r.definition.confirmation?.body).toBe('Test');
    expect(r.report.join('\n')).toMatch(/privacy-notice/);
  });

  it('exports to XGovFormBuilder JSON that imports back to the same questions', () => {
    const d = importDefinition(fixture('xgov-get-condition-evaluation-context.json')).definition;
    const back = importDefinition(exportDefinition(d)).definition;
    const shape = (x: typeof d) => x.pages.map((p) => [p.id, p.questions.map((q) => [q.type, q.label])]);
    expect(shape(back)).toEqual(shape(d));
    expect(back.conditions?.moreThanOneApplicant).toEqual(d.conditions?.moreThanOneApplicant);
  });

  it('refuses what is not a form, with the path of the error', () => {
    expect(() => importDefinition([])).toThrow(/Expected a JSON object/);
    expect(() => importDefinition({ title: 'x', pages: [{ id: '1bad', title: 'A', questions: [] }] })).toThrow(/\/pages\/0\/id/);
  });
});

describe('an imported form, walked through', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('cityscape forms import prints the live URL last, and the form works without JavaScript', async () => {
    const out = new Out();
    const ctx = { built: t, config: t.kernel.config, cwd: join(here, 'fixtures'), appliedOnOpen: [] };
    const code = await FORMS_COMMANDS['forms import'].run(
      ctx,
      { service: 'register-a-birth' },
      ['xgov-get-condition-evaluation-context.json'],
      out,
    );
    expect(code ?? 0).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe(`${t.kernel.config.publicUrl}/forms/register-a-birth`);
    expect(out.stdout).toContain('Not carried over:');

    const b = formBrowser(t);
    const base = '/forms/register-a-birth';
    await b.get(base);
    let r = await b.post(`${base}/start`, {});
    const post = async (page: string, fields: Record<string, string>) => {
      await b.get(`${base}/${page}`);
      return b.post(`${base}/${page}`, { _v: '1', _page: page, ...fields });
    };
    expect(r.headers.location).toBe(`${base}/uk-passport`);
    r = await post('uk-passport', { ukPassport: 'yes' });
    expect(r.headers.location).toBe(`${base}/how-many-people`);
    r = await post('how-many-people', { numberOfApplicants: '2' });
    r = await post('applicant-one', { firstName: 'Ada', lastName: 'Lovelace' });
    r = await post('applicant-one-address', {
      'address-line1': '1 High Street',
      'address-town': 'Riverside',
      'address-postcode': 'RV1 1AA',
    });
    expect(r.headers.location).toBe(`${base}/applicant-two`);
    r = await post('applicant-two', { firstName_x: 'Charles', lastName_x: 'Babbage' });
    r = await post('applicant-two-address', {
      'address_x-line1': '2 High Street',
      'address_x-town': 'Riverside',
      'address_x-postcode': 'RV1 1AB',
    });
    expect(r.headers.location).toBe(`${base}/contact-details`);
    r = await post('contact-details', { phoneNumber: '01632 960 001', emailAddress: 'ada@example.org' });
    expect(r.headers.location).toBe(`${base}/testconditions`);
    r = await post('testconditions', {});
    expect(r.headers.location).toBe(`${base}/declaration`);
    r = await post('declaration', { declaration: 'agreed' });
    expect(r.headers.location).toBe(`${base}/check`);
    const check = await b.get(`${base}/check`);
    expect(check.body).toContain('Charles');
    const hash = /name="_answers" value="([^"]+)"/.exec(check.body)![1];
    r = await b.post(`${base}/check`, { _v: '1', _answers: hash });
    expect(r.headers.location).toBe(`${base}/confirmation`);
    const s = await t.modules.catalogue.service.getService('register-a-birth');
    const [sub] = await t.modules.forms.service.submissions(s.id);
    expect(sub.answers.find((a) => a.question === 'address_x')?.text).toBe('2 High Street, Riverside, RV1 1AB');
    const deliveries = await t.modules.forms.service.deliveriesOf(sub.id);
    expect(deliveries.map((d) => `${d.kind}:${d.target}`)).toContain('email:jennifermyanh.duong@digital.homeoffice.gov.uk');
  });
});
