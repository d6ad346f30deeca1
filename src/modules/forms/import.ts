// Import and export of other form builders' definitions: XGovFormBuilder / DEFRA
// digital-form-builder JSON (pages with paths and components, conditions, lists, sections,
// fees, outputs) and GOV.UK Forms form documents (steps or pages with routing conditions).
// Whatever cannot be carried over is named in the report, never dropped silently.
import {
  checkDefinition,
  InvalidDefinition,
  type Condition,
  type Definition,
  type Option,
  type Page,
  type Question,
} from './definition.js';

export interface ImportResult {
  format: 'cityscape' | 'xgovformbuilder' | 'govuk-forms';
  definition: Definition;
  report: string[];
}

type Json = Record<string, any>;
const idOf = (s: string, fallback: string) => {
  const id = String(s ?? '')
    .replace(/^\//, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .slice(0, 64);
  return id || fallback;
};
const stripHtml = (s: string) =>
  String(s ?? '')
    .replace(/<\/(p|li|h\d)>/gi, '\n\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

/** Recognises the format and converts; throws InvalidDefinition with paths if the result is not valid. */
export function importDefinition(input: unknown): ImportResult {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new InvalidDefinition([{ path: '', message: 'Expected a JSON object' }]);
  const j = input as Json;
  let r: ImportResult;
  if (Array.isArray(j.pages) && j.pages.some((p: Json) => Array.isArray(p?.components))) r = fromXgov(j);
  else if (
    Array.isArray(j.steps) ||
    (Array.isArray(j.pages) && j.pages.some((p: Json) => p?.question_text !== undefined || p?.answer_type !== undefined))
  )
    r = fromGovukForms(j);
  else r = { format: 'cityscape', definition: j as Definition, report: [] };
  const errors = checkDefinition(r.definition);
  if (errors.length) throw new InvalidDefinition(errors);
  return r;
}

// ---------- XGovFormBuilder / DEFRA digital-form-builder ----------

const XGOV_TYPES: Record<string, Question['type']> = {
  TextField: 'text',
  MultilineTextField: 'textarea',
  NumberField: 'number',
  DatePartsField: 'date',
  DateField: 'date',
  EmailAddressField: 'email',
  TelephoneNumberField: 'telephone',
  RadiosField: 'radios',
  CheckboxesField: 'checkboxes',
  SelectField: 'select',
  AutocompleteField: 'select',
  YesNoField: 'yesno',
  UkAddressField: 'address',
  FileUploadField: 'file',
  MultiInputField: 'text',
};
const CONTENT_TYPES = new Set(['Para', 'Html', 'InsetText', 'Details', 'List', 'FlashCard', 'WarningText']);
const XGOV_OPS: Record<string, Condition extends infer C ? (C extends { op: infer O } ? O : never) : never> = {
  is: 'is',
  'is not': 'isNot',
  'is at least': 'gte',
  'is at most': 'lte',
  'is less than': 'lt',
  'is more than': 'gt',
  'is before': 'before',
  'is after': 'after',
  'is longer than': 'gt',
  'is shorter than': 'lt',
  contains: 'contains',
  'does not contain': 'isNot',
};

function fromXgov(j: Json): ImportResult {
  const report: string[] = [];
  const lists: Record<string, Option[]> = {};
  for (const l of (j.lists ?? []) as Json[]) {
    if (!l?.name || !Array.isArray(l.items) || !l.items.length) continue;
    lists[idOf(l.name, 'list')] = l.items.map((it: Json) => ({
      value: String(it.value),
      text: String(it.text ?? it.value),
      ...(it.hint ? { hint: stripHtml(it.hint) } : {}),
    }));
  }
  const sections: Record<string, string> = {};
  for (const s of (j.sections ?? []) as Json[]) if (s?.name) sections[idOf(s.name, 'section')] = String(s.title ?? s.name);
  const pathToId = new Map<string, string>();
  const used = new Set<string>();
  const pageList = ((j.pages ?? []) as Json[]).filter((p) => {
    const c = String(p.controller ?? '');
    if (/summary|SummaryPageController|status/i.test(c) || p.path === '/summary' || p.path === '/status') {
      report.push(`Page "${p.path}": its summary/status controller is replaced by Cityscape's check your answers and confirmation`);
      return false;
    }
    return true;
  });
  for (const p of pageList) {
    let id = idOf(p.path, 'page');
    while (used.has(id) || id === 'check') id = `${id}-x`;
    used.add(id);
    pathToId.set(String(p.path), id);
  }
  // An XGov field is named "section.field" in conditions; ours is the bare id (unique across the form).
  const fieldIds = new Map<string, string>();
  const questionIds = new Set<string>();
  const pages: Page[] = [];
  pageList.forEach((p) => {
    const id = pathToId.get(String(p.path))!;
    const intro: string[] = [];
    const questions: Question[] = [];
    for (const c of (p.components ?? []) as Json[]) {
      if (CONTENT_TYPES.has(c.type)) {
        if (c.options?.condition)
          report.push(`Page "${p.path}": content shown only under condition "${c.options.condition}" is always shown`);
        if (c.content) intro.push(stripHtml(c.content));
        if (c.type === 'Details' || c.type === 'List') report.push(`Page "${p.path}": ${c.type} "${c.title ?? c.name}" kept as plain text`);
        continue;
      }
      const type = XGOV_TYPES[c.type];
      if (!type) {
        report.push(`Page "${p.path}": component ${c.type} "${c.name}" is not supported and was left out`);
        continue;
      }
      let qid = idOf(c.name, 'question');
      while (questionIds.has(qid)) qid = `${qid}_x`;
      questionIds.add(qid);
      fieldIds.set(String(c.name), qid);
      if (p.section) fieldIds.set(`${p.section}.${c.name}`, qid);
      const q: Question = { id: qid, type, label: stripHtml(c.title ?? c.name) || qid };
      if (c.hint) q.hint = stripHtml(c.hint);
      if (c.options?.required === false || c.options?.optionalText === true) q.optional = c.options?.required === false ? true : q.optional;
      if (c.list) {
        const lid = idOf(c.list, 'list');
        if (lists[lid]) {
          if (type === 'yesno') report.push(`Page "${p.path}": yes/no field "${c.name}" uses list "${c.list}"; Cityscape's Yes/No is used`);
          else q.list = lid;
        } else if (type !== 'yesno') report.push(`Page "${p.path}": list "${c.list}" of "${c.name}" is missing`);
      }
      if (['radios', 'checkboxes', 'select'].includes(type) && !q.list) {
        q.type = 'text';
        report.push(`Page "${p.path}": "${c.name}" has no list; asked as text`);
      }
      if (c.type === 'AutocompleteField')
        report.push(`Page "${p.path}": autocomplete "${c.name}" shown as a select (works without JavaScript)`);
      if (c.type === 'MultiInputField') report.push(`Page "${p.path}": multi-input "${c.name}" asked as one text answer`);
      const v: NonNullable<Question['validation']> = {};
      const s = c.schema ?? {};
      if (type === 'number') {
        if (typeof s.min === 'number') v.min = s.min;
        if (typeof s.max === 'number') v.max = s.max;
        if (s.precision === 0 || s.integer) v.integer = true;
      } else if (['text', 'textarea'].includes(q.type)) {
        if (typeof s.max === 'number' && s.max > 0) v.maxLength = s.max;
        if (typeof s.min === 'number' && s.min > 0) v.minLength = s.min;
        if (typeof s.length === 'number') v.maxLength = v.minLength = s.length;
        if (typeof s.regex === 'string' && s.regex) v.pattern = s.regex;
      }
      if (type === 'date') {
        if (c.options?.maxDaysInFuture === 0) v.past = true;
        if (c.options?.maxDaysInPast === 0) v.future = true;
      }
      if (Object.keys(v).length) q.validation = v;
      questions.push(q);
    }
    const page: Page = { id, title: stripHtml(p.title ?? '') || questions[0]?.label.toString() || id, questions };
    if (intro.length) page.intro = intro.join('\n\n');
    if (p.section && sections[idOf(p.section, 'section')]) page.section = idOf(p.section, 'section');
    if (/RepeatingFieldPageController/.test(String(p.controller ?? '')) || p.repeatField) {
      page.repeat = { max: Number(p.options?.max) > 0 ? Math.min(100, Number(p.options.max)) : 10 };
    }
    if (p.controller && !page.repeat && !/StartPageController|\.\/pages\/start/i.test(String(p.controller)))
      report.push(`Page "${p.path}": custom controller ${p.controller} is not carried over`);
    pages.push(page);
  });

  // Conditions: each XGov condition is a flat list joined by and/or coordinators (and may name other conditions).
  const conditions: Record<string, Condition> = {};
  const condIds = new Map<string, string>();
  for (const c of (j.conditions ?? []) as Json[]) if (c?.name) condIds.set(String(c.name), idOf(c.name, 'condition'));
  for (const c of (j.conditions ?? []) as Json[]) {
    if (!c?.name) continue;
    if (typeof c.value === 'string') {
      const parsed = parseExpression(c.value, fieldIds);
      if (parsed) conditions[condIds.get(String(c.name))!] = parsed;
      else report.push(`Condition "${c.name}": the expression "${c.value}" is not carried over`);
      continue;
    }
    const parts = c.value?.conditions;
    if (!Array.isArray(parts) || !parts.length) {
      report.push(`Condition "${c.name}": it has no parts and is not carried over`);
      continue;
    }
    const terms: Array<{ coord: string; cond: Condition }> = [];
    let ok = true;
    for (const part of parts as Json[]) {
      let cond: Condition | null = null;
      if (part.conditionName) {
        const ref = condIds.get(String(part.conditionName));
        if (ref) cond = { ref };
      } else if (part.field) {
        const qid = fieldIds.get(String(part.field.name)) ?? fieldIds.get(String(part.field.name).split('.').pop()!);
        const op = XGOV_OPS[String(part.operator)];
        let value = part.value?.value;
        if (part.field.type === 'YesNoField') value = value === true || value === 'true' || value === 'yes' ? 'yes' : 'no';
        if (part.value?.type === 'RelativeTimeValue') {
          report.push(`Condition "${c.name}": relative dates are not carried over`);
          ok = false;
          break;
        }
        if (qid && op) cond = { question: qid, op, value: value === undefined ? undefined : String(value) };
      }
      if (!cond) {
        report.push(`Condition "${c.name}": a part refers to "${part.field?.name ?? part.conditionName}" that is not carried over`);
        ok = false;
        break;
      }
      terms.push({ coord: String(part.coordinator ?? 'and'), cond });
    }
    if (!ok) continue;
    // and binds tighter than or, as in XGov's own evaluation.
    const groups: Condition[][] = [[]];
    terms.forEach((tm, i) => {
      if (i > 0 && tm.coord === 'or') groups.push([]);
      groups[groups.length - 1].push(tm.cond);
    });
    const ands = groups.map((g) => (g.length === 1 ? g[0] : { all: g }));
    conditions[condIds.get(String(c.name))!] = ands.length === 1 ? ands[0] : { any: ands };
  }

  // A condition naming one that was not carried over goes too (repeatedly, as chains may be long).
  for (let changed = true; changed;) {
    changed = false;
    for (const [id, c] of Object.entries(conditions))
      if (refsOf(c).some((r) => !(r in conditions))) {
        delete conditions[id];
        report.push(`Condition "${id}": it depends on a condition that is not carried over`);
        changed = true;
      }
  }

  // Routing: XGov's next[] with optional condition; a page reached only under a condition becomes `if`.
  pageList.forEach((p, i) => {
    const page = pages[i];
    const next = (p.next ?? []) as Json[];
    const mapped = next
      .map((n) => ({
        page: pathToId.get(String(n.path)) ?? (n.path === '/summary' ? 'check' : null),
        if: n.condition ? condIds.get(String(n.condition)) : undefined,
        raw: n,
      }))
      .filter((n) => {
        if (!n.page) report.push(`Page "${p.path}": link to "${n.raw.path}" goes nowhere and was left out`);
        if (n.raw.condition && !n.if)
          report.push(`Page "${p.path}": condition "${n.raw.condition}" on the link to "${n.raw.path}" is not carried over`);
        return !!n.page && (!n.raw.condition || !!n.if) && (!n.if || n.if in conditions);
      });
    const following = pages[i + 1]?.id;
    const onlyDefault = mapped.length === 1 && !mapped[0].if && mapped[0].page === following;
    if (mapped.length && !onlyDefault) {
      // Unconditional links go last: ours takes the first that holds.
      page.next = [...mapped.filter((n) => n.if), ...mapped.filter((n) => !n.if)].map((n) =>
        n.if ? { page: n.page!, if: n.if } : { page: n.page! },
      );
      if (page.next.every((n) => n.if) && following) page.next.push({ page: following });
    } else if (!mapped.length && next.length === 0 && i < pages.length - 1) page.next = [{ page: 'check' }];
  });
  // The start page first, as XGov's startPage says.
  const start = pathToId.get(String(j.startPage ?? ''));
  if (start && pages[0]?.id !== start) {
    const at = pages.findIndex((p) => p.id === start);
    const [sp] = pages.splice(at, 1);
    pages.unshift(sp);
  }

  const def: Definition = { title: String(j.name ?? j.metadata?.title ?? pages[0]?.title ?? 'Imported form'), pages };
  if (Object.keys(lists).length) def.lists = lists;
  if (Object.keys(sections).length) def.sections = sections;
  if (Object.keys(conditions).length) def.conditions = conditions;
  const fees = (j.fees ?? []) as Json[];
  if (fees.length) {
    def.fee = { description: String(fees[0].description ?? 'Fee'), items: [] };
    for (const f of fees) {
      const cond = f.condition ? condIds.get(String(f.condition)) : undefined;
      if (f.condition && (!cond || !(cond in conditions))) {
        report.push(`Fee "${f.description}": its condition "${f.condition}" is not carried over; the fee is left out`);
        continue;
      }
      const item: NonNullable<NonNullable<Definition['fee']>['items']>[number] = {
        description: String(f.description ?? 'Fee'),
        amount: Math.round(Number(f.amount) || 0),
      };
      if (cond) item.if = cond;
      if (f.multiplier) {
        const m = fieldIds.get(String(f.multiplier)) ?? fieldIds.get(String(f.multiplier).split('.').pop()!);
        const isNumber = m && pages.some((p) => p.questions.some((q) => q.id === m && q.type === 'number'));
        if (isNumber) item.multiplyBy = m;
        else report.push(`Fee "${f.description}": multiplier "${f.multiplier}" is not a number question; charged once`);
      }
      def.fee.items!.push(item);
    }
  }
  const deliveries: NonNullable<Definition['deliveries']> = [];
  for (const o of (j.outputs ?? []) as Json[]) {
    const cfg = o.outputConfiguration ?? {};
    if (o.type === 'email' && typeof cfg.emailAddress === 'string' && /@/.test(cfg.emailAddress))
      deliveries.push({ type: 'email', to: cfg.emailAddress });
    else if (o.type === 'webhook' && /^https?:\/\//.test(String(cfg.url ?? ''))) deliveries.push({ type: 'webhook', url: cfg.url });
    else if (o.type === 'notify' && cfg.emailField) {
      const q = fieldIds.get(String(cfg.emailField));
      if (q) def.confirmation = { ...(def.confirmation ?? {}), emailQuestion: q };
      report.push(`Output "${o.name}": the Notify template ${cfg.templateId ?? ''} is replaced by Cityscape's confirmation email`);
    } else report.push(`Output "${o.name ?? o.type}" (${o.type}) is not carried over`);
  }
  if (!deliveries.length) deliveries.push({ type: 'api' });
  def.deliveries = deliveries;
  if (j.declaration) {
    pages.push({
      id: 'declaration',
      title: 'Declaration',
      questions: [{ id: 'declaration', type: 'declaration', label: 'Declaration', content: stripHtml(j.declaration) }],
    });
    for (const p of pages) p.next = p.next?.map((n) => (n.page === 'check' ? { ...n, page: 'declaration' } : n));
  }
  for (const k of ['feedback', 'phaseBanner', 'specialPages', 'paymentReferenceFormat', 'feeOptions', 'skipSummary', 'metadata'])
    if (j[k] && (typeof j[k] !== 'object' || Object.keys(j[k]).length)) report.push(`"${k}" is not carried over`);
  return { format: 'xgovformbuilder', definition: def, report };
}

// ---------- GOV.UK Forms ----------

const GOVUK_TYPES: Record<string, Question['type']> = {
  text: 'text',
  number: 'number',
  date: 'date',
  address: 'address',
  email: 'email',
  phone_number: 'telephone',
  national_insurance_number: 'text',
  name: 'text',
  organisation_name: 'text',
  selection: 'radios',
};

function fromGovukForms(j: Json): ImportResult {
  const report: string[] = [];
  const raw: Json[] = (j.steps ?? j.pages ?? []) as Json[];
  const steps = raw
    .map((s) => {
      const data = s.data ?? s;
      return {
        id: String(s.id),
        position: Number(s.position ?? 0),
        next: s.next_step_id ?? s.next_page ?? null,
        data,
        routing: (s.routing_conditions ?? data.routing_conditions ?? []) as Json[],
        type: s.type ?? 'question_page',
      };
    })
    .sort((a, b) => a.position - b.position);
  const ids = new Map(steps.map((s, i) => [s.id, `q${i + 1}`]));
  const pages: Page[] = [];
  const conditions: Record<string, Condition> = {};
  for (const [i, s] of steps.entries()) {
    const d = s.data;
    const id = ids.get(s.id)!;
    let type = GOVUK_TYPES[String(d.answer_type)];
    if (d.answer_type === 'none') {
      pages.push({ id, title: String(d.page_heading ?? d.question_text), intro: stripHtml(d.guidance_markdown ?? ''), questions: [] });
      continue;
    }
    if (!type) {
      report.push(`Question "${d.question_text}": answer type ${d.answer_type} asked as text`);
      type = 'text';
    }
    const settings = d.answer_settings ?? {};
    if (type === 'text' && settings.input_type === 'long_text') type = 'textarea';
    if (type === 'radios' && [false, 'false', '0', 0].includes(settings.only_one_option)) type = 'checkboxes';
    if (type === 'radios' && Array.isArray(settings.selection_options) && settings.selection_options.length > 30) type = 'select';
    const q: Question = { id: `${id}_answer`, type, label: String(d.question_text ?? id) };
    if (d.hint_text) q.hint = String(d.hint_text);
    if (d.is_optional) q.optional = true;
    if (['radios', 'checkboxes', 'select'].includes(type)) {
      const opts = ((settings.selection_options ?? []) as Json[]).map((o) => ({ value: String(o.value ?? o.name), text: String(o.name) }));
      if (!opts.length) {
        q.type = 'text';
        report.push(`Question "${d.question_text}": no options; asked as text`);
      } else q.options = opts;
      if (d.is_optional && type === 'radios') q.options?.push({ value: 'none', text: 'None of the above' });
    }
    if (d.answer_type === 'national_insurance_number')
      q.validation = {
        pattern: '[A-Za-z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-Da-d]',
        patternMessage: 'Enter a National Insurance number in the correct format, like QQ 12 34 56 C',
      };
    if (d.answer_type === 'date' && settings.input_type === 'date_of_birth') q.validation = { past: true };
    if (d.answer_type === 'name' && settings.input_type && settings.input_type !== 'full_name')
      report.push(`Question "${d.question_text}": name parts asked as one full name`);
    if (d.answer_type === 'address' && [true, 'true'].includes(settings.input_type?.international_address))
      report.push(`Question "${d.question_text}": international addresses are asked as UK addresses`);
    const page: Page = { id, title: String(d.page_heading || d.question_text || id), questions: [q] };
    if (d.guidance_markdown) page.intro = stripHtml(String(d.guidance_markdown).replace(/^#+\s*/gm, ''));
    if (d.is_repeatable) page.repeat = { max: 50 };
    const next: NonNullable<Page['next']> = [];
    s.routing.forEach((rc, n) => {
      const target = rc.skip_to_end ? 'check' : ids.get(String(rc.goto_page_id));
      if (rc.answer_value && target) {
        const cid = `${id}_route_${n + 1}`;
        conditions[cid] = {
          question: q.id,
          op: type === 'checkboxes' ? 'in' : 'is',
          value: q.options?.find((o) => o.text === rc.answer_value)?.value ?? String(rc.answer_value),
        };
        next.push({ page: target, if: cid });
      } else if (!rc.answer_value && target)
        next.push({ page: target }); // "secondary skip": go on from here
      else report.push(`Question "${d.question_text}": a route to ${rc.goto_page_id ?? 'nowhere'} is not carried over`);
    });
    const following = steps[i + 1] ? ids.get(steps[i + 1].id) : undefined;
    const nextId = s.next !== null && s.next !== undefined ? ids.get(String(s.next)) : undefined;
    if (next.length) next.push({ page: nextId ?? following ?? 'check' });
    else if (nextId && nextId !== following) next.push({ page: nextId });
    if (next.length) page.next = next;
    pages.push(page);
  }
  const def: Definition = { title: String(j.name ?? 'Imported form'), pages };
  if (Object.keys(conditions).length) def.conditions = conditions;
  if (j.declaration_text) {
    pages.push({
      id: 'declaration',
      title: 'Declaration',
      questions: [{ id: 'declaration', type: 'declaration', label: 'Declaration', content: stripHtml(j.declaration_text) }],
    });
    for (const p of pages) p.next = p.next?.map((n) => (n.page === 'check' ? { ...n, page: 'declaration' } : n));
  }
  if (j.what_happens_next_markdown || j.what_happens_next_text)
    def.confirmation = { body: stripHtml(j.what_happens_next_markdown ?? j.what_happens_next_text) };
  def.deliveries =
    j.submission_email && /@/.test(j.submission_email) ? [{ type: 'email', to: String(j.submission_email) }] : [{ type: 'api' }];
  if (j.payment_url)
    report.push(`The payment link ${j.payment_url} is not carried over: add the fee in the designer (taken through Cityscape Pay)`);
  if (j.privacy_policy_url) report.push(`Privacy policy ${j.privacy_policy_url}: link it from the start page text`);
  return { format: 'govuk-forms', definition: def, report };
}

// ---------- export ----------

/** Our definition as XGovFormBuilder JSON (pages, components, lists, conditions, sections, fees, outputs). */
export function exportDefinition(def: Definition, format: 'xgovformbuilder' | 'cityscape' = 'xgovformbuilder'): Json {
  if (format === 'cityscape') return def;
  const en = (t: unknown) => (typeof t === 'string' ? t : ((t as { en?: string } | undefined)?.en ?? ''));
  const TYPES: Record<string, string> = Object.fromEntries(
    Object.entries(XGOV_TYPES)
      .filter(([k]) => !['DateField', 'AutocompleteField', 'MultiInputField'].includes(k))
      .map(([k, v]) => [v, k]),
  );
  const lists: Json[] = Object.entries(def.lists ?? {}).map(([name, items]) => ({
    name,
    title: name,
    type: 'string',
    items: items.map((o) => ({ text: en(o.text), value: o.value })),
  }));
  // A page that is only a declaration is XGov's own declaration, shown with its summary.
  const isDeclaration = (p: Page) => p.questions.length === 1 && p.questions[0].type === 'declaration';
  const declarationPage = def.pages.find(isDeclaration);
  const skipped = new Set(declarationPage ? [declarationPage.id] : []);
  const target = (id: string | undefined) => (!id || id === 'check' || skipped.has(id) ? '/summary' : `/${id}`);
  const pages: Json[] = def.pages
    .filter((p) => !skipped.has(p.id))
    .map((p) => {
      const i = def.pages.indexOf(p);
      const components: Json[] = [];
      if (p.intro) components.push({ type: 'Para', name: `${p.id}Intro`, content: en(p.intro), options: {}, schema: {} });
      for (const q of p.questions) {
        let list = q.list;
        if (q.options && q.type !== 'yesno') {
          list = `${q.id}List`;
          lists.push({
            name: list,
            title: en(q.label),
            type: 'string',
            items: q.options.map((o) => ({ text: en(o.text), value: o.value })),
          });
        }
        if (q.type === 'declaration') {
          components.push({ type: 'Para', name: `${q.id}Text`, content: en(q.content), options: {}, schema: {} });
          components.push({ type: 'CheckboxesField', name: q.id, title: en(q.label), list: 'declarationList', options: {}, schema: {} });
          if (!lists.some((l) => l.name === 'declarationList'))
            lists.push({ name: 'declarationList', title: 'Declaration', type: 'string', items: [{ text: 'I agree', value: 'agreed' }] });
          continue;
        }
        const schema: Json = {};
        if (q.validation?.maxLength) schema.max = q.validation.maxLength;
        if (q.validation?.minLength) schema.min = q.validation.minLength;
        if (q.validation?.pattern) schema.regex = q.validation.pattern;
        if (q.type === 'number') {
          if (q.validation?.min !== undefined) schema.min = q.validation.min;
          if (q.validation?.max !== undefined) schema.max = q.validation.max;
        }
        components.push({
          type: TYPES[q.type] ?? 'TextField',
          name: q.id,
          title: en(q.label),
          ...(q.hint ? { hint: en(q.hint) } : {}),
          ...(list ? { list } : {}),
          options: q.optional ? { required: false } : {},
          schema,
        });
      }
      const next = (p.next ?? [{ page: def.pages[i + 1]?.id ?? 'check' }]).map((n) => ({
        path: target(n.page),
        ...(n.if ? { condition: n.if } : {}),
      }));
      return {
        title: en(p.title),
        path: `/${p.id}`,
        components,
        next,
        ...(p.section ? { section: p.section } : {}),
        ...(p.repeat ? { controller: 'RepeatingFieldPageController', options: { max: p.repeat.max } } : {}),
      };
    });
  pages.push({ title: 'Summary', path: '/summary', controller: './pages/summary.js', components: [], next: [] });
  const conditions: Json[] = [];
  const flat = (c: Condition): Json[] | null => {
    if ('question' in c) {
      const op = Object.entries(XGOV_OPS).find(([, v]) => v === c.op)?.[0];
      if (!op) return null;
      return [
        {
          field: { name: c.question, type: 'TextField', display: c.question },
          operator: op,
          value: { type: 'Value', value: String(c.value ?? ''), display: String(c.value ?? '') },
        },
      ];
    }
    if ('ref' in c) return [{ conditionName: c.ref, conditionDisplayName: c.ref }];
    if ('all' in c || 'any' in c) {
      const parts = 'all' in c ? c.all : c.any;
      const out: Json[] = [];
      for (const [n, x] of parts.entries()) {
        const f = flat(x);
        if (!f || f.length !== 1) return null;
        out.push(n ? { ...f[0], coordinator: 'all' in c ? 'and' : 'or' } : f[0]);
      }
      return out;
    }
    return null;
  };
  for (const [name, c] of Object.entries(def.conditions ?? {})) {
    const parts = flat(c);
    if (parts) conditions.push({ name, displayName: name, value: { name, conditions: parts } });
  }
  const fees: Json[] = [];
  if (def.fee?.amount) fees.push({ description: en(def.fee.description), amount: def.fee.amount });
  for (const f of def.fee?.items ?? [])
    fees.push({
      description: en(f.description),
      amount: f.amount,
      ...(f.if ? { condition: f.if } : {}),
      ...(f.multiplyBy ? { multiplier: f.multiplyBy } : {}),
    });
  const outputs: Json[] = (def.deliveries ?? []).flatMap((d, n): Json[] =>
    d.type === 'email'
      ? [{ name: `email${n}`, title: 'Email', type: 'email', outputConfiguration: { emailAddress: d.to } }]
      : d.type === 'webhook'
        ? [{ name: `webhook${n}`, title: 'Webhook', type: 'webhook', outputConfiguration: { url: d.url } }]
        : [],
  );
  return {
    name: en(def.title),
    startPage: `/${def.pages[0].id}`,
    pages,
    lists,
    sections: Object.entries(def.sections ?? {}).map(([name, title]) => ({ name, title: en(title) })),
    conditions,
    fees,
    outputs,
    ...(declarationPage ? { declaration: `<p class="govuk-body">${en(declarationPage.questions[0].content)}</p>` } : {}),
    version: 2,
    skipSummary: false,
  };
}

function refsOf(c: Condition): string[] {
  if ('ref' in c) return [c.ref];
  if ('all' in c) return c.all.flatMap(refsOf);
  if ('any' in c) return c.any.flatMap(refsOf);
  if ('not' in c) return refsOf(c.not);
  return [];
}

const EXPR_OPS: Record<string, Condition extends infer C ? (C extends { op: infer O } ? O : never) : never> = {
  '==': 'is',
  '!=': 'isNot',
  '>=': 'gte',
  '<=': 'lte',
  '>': 'gt',
  '<': 'lt',
};

/** XGov's older string conditions: "section.field == value", "a > 1", joined by and / or. */
export function parseExpression(expr: string, fieldIds: Map<string, string>): Condition | null {
  const ors = expr.split(/\s+or\s+/i).map((part) =>
    part.split(/\s+and\s+/i).map((term): Condition | null => {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*(==|!=|>=|<=|>|<)\s*['"]?([^'"]*?)['"]?\s*$/.exec(term);
      if (!m) return null;
      const qid = fieldIds.get(m[1]) ?? fieldIds.get(m[1].split('.').pop()!);
      if (!qid) return null;
      const value = m[3] === 'true' ? 'yes' : m[3] === 'false' ? 'no' : m[3];
      return { question: qid, op: EXPR_OPS[m[2]], value };
    }),
  );
  if (ors.some((a) => a.some((x) => x === null))) return null;
  const groups = ors.map((a) => (a.length === 1 ? a[0]! : { all: a as Condition[] }));
  return groups.length === 1 ? groups[0] : { any: groups };
}
