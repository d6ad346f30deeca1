// The runner's rules, with no HTTP and no SQL: which pages a person goes through given their
// answers (conditions, routing, skipped pages), how each page's answers are read and checked,
// the check-your-answers rows and the fee. Everything here is a pure function of the
// definition and the progress, so it is cheap to test and to run on every request.
import type { FieldError } from '../../kernel/errors.js';
import type { FormBody } from '../../kernel/forms.js';
import { safeRegex, type Condition, type Definition, type Option, type Page, type Question, type Text } from './definition.js';

export type Lang = 'en' | 'cy';
export type T = (key: string, vars?: Record<string, string | number>) => string;

export interface AddressAnswer {
  line1: string;
  line2: string;
  town: string;
  postcode: string;
  uprn?: string;
}
export interface FileAnswer {
  id: string;
  name: string;
  type: string;
  size: number;
}
export type Answer = string | number | string[] | AddressAnswer | FileAnswer | boolean;
export type Answers = Record<string, Answer>;

/** Where an answer came from when the citizen did not type it. */
export interface Source {
  kind: 'exchange' | 'account';
  provider?: string;
  attribute?: string;
}

/** The server-side state of one person's way through a form. */
export interface Progress {
  answers: Answers;
  /** Items of repeating pages. */
  repeats: Record<string, Answers[]>;
  /** Pages answered (a repeating page: finished adding). */
  done: string[];
  sources: Record<string, Source>;
  /** Questions the citizen chose to answer themselves instead of the registry's answer. */
  declined: string[];
  /** Prefill: 'asked' (sent to consent), 'given', 'declined', 'done'. */
  prefill?: string;
  payment?: { id: string; amount: number; status: string };
  lang?: Lang;
  /** Pages whose first visit performance has been told of. */
  reached?: string[];
  /** What the registry matches the signed-in person on (from their proven identity). */
  person?: Record<string, string>;
}

export const emptyProgress = (): Progress => ({ answers: {}, repeats: {}, done: [], sources: {}, declined: [] });

export const txt = (t: Text | undefined, lang: Lang): string =>
  t === undefined ? '' : typeof t === 'string' ? t : lang === 'cy' && t.cy ? t.cy : t.en;

export function options(def: Definition, q: Question): Option[] {
  if (q.type === 'yesno')
    return (
      q.options ?? [
        { value: 'yes', text: { en: 'Yes', cy: 'Ydw' } },
        { value: 'no', text: { en: 'No', cy: 'Nac ydw' } },
      ]
    );
  return q.options ?? (q.list ? (def.lists?.[q.list] ?? []) : []);
}

function compare(a: Answer | undefined, op: string, v: unknown): boolean {
  const answered = a !== undefined && a !== '' && !(Array.isArray(a) && a.length === 0);
  switch (op) {
    case 'answered':
      return answered;
    case 'notAnswered':
      return !answered;
  }
  if (!answered) return op === 'isNot';
  const s = Array.isArray(a) ? a : [typeof a === 'object' ? JSON.stringify(a) : String(a)];
  const vs = Array.isArray(v) ? v.map(String) : [String(v)];
  switch (op) {
    case 'is':
      return Array.isArray(a) ? vs.every((x) => s.includes(x)) && s.length === vs.length : s[0] === vs[0];
    case 'isNot':
      return Array.isArray(a) ? !vs.every((x) => s.includes(x)) : s[0] !== vs[0];
    case 'in':
      return s.some((x) => vs.includes(x));
    case 'contains':
      return s.some((x) => x.toLowerCase().includes(vs[0].toLowerCase()));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const x = Number(a),
        y = Number(v);
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      return op === 'gt' ? x > y : op === 'gte' ? x >= y : op === 'lt' ? x < y : x <= y;
    }
    case 'before':
      return String(a) < String(v);
    case 'after':
      return String(a) > String(v);
  }
  return false;
}

export function holds(def: Definition, c: Condition | string | undefined, answers: Answers, depth = 0): boolean {
  if (c === undefined) return true;
  if (depth > 50) return false;
  if (typeof c === 'string') return holds(def, def.conditions?.[c], answers, depth + 1);
  if ('ref' in c) return holds(def, def.conditions?.[c.ref], answers, depth + 1);
  if ('all' in c) return c.all.every((x) => holds(def, x, answers, depth + 1));
  if ('any' in c) return c.any.some((x) => holds(def, x, answers, depth + 1));
  if ('not' in c) return !holds(def, c.not, answers, depth + 1);
  return compare(answers[c.question], c.op, c.value);
}

export interface Route {
  /** Pages the person goes through, in order, up to and including `current`. */
  path: Page[];
  /** The first page not yet answered; null when every page on the way is answered. */
  current: Page | null;
}

/** The way through the form for these answers. */
export function route(def: Definition, p: Pick<Progress, 'answers' | 'done'>): Route {
  const index = new Map(def.pages.map((pg, i) => [pg.id, i]));
  const done = new Set(p.done);
  const path: Page[] = [];
  const seen = new Set<string>();
  let i = 0;
  while (i < def.pages.length) {
    const page = def.pages[i];
    if (seen.has(page.id)) break; // a loop in the routing: stop rather than spin
    seen.add(page.id);
    if (page.if && !holds(def, page.if, p.answers)) {
      i++;
      continue;
    }
    path.push(page);
    if (!done.has(page.id)) return { path, current: page };
    const next = page.next?.find((n) => holds(def, n.if, p.answers));
    if (next) {
      if (next.page === 'check') break;
      i = index.get(next.page) ?? def.pages.length;
    } else i++;
  }
  return { path, current: null };
}

/** The answers that count: only those of pages on the way (answers left on a branch not taken are dropped). */
export function answersOnRoute(def: Definition, p: Progress): { answers: Answers; repeats: Record<string, Answers[]> } {
  const r = route(def, p);
  const answers: Answers = {};
  const repeats: Record<string, Answers[]> = {};
  for (const page of r.path) {
    if (page.repeat) repeats[page.id] = p.repeats[page.id] ?? [];
    else for (const q of page.questions) if (p.answers[q.id] !== undefined) answers[q.id] = p.answers[q.id];
  }
  return { answers, repeats };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9()\- ]{7,20}$/;
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/i;

function one(body: FormBody, name: string, max: number): string {
  const v = body[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.replace(/\r\n/g, '\n').trim().slice(0, max) : '';
}

/** Field names a question's inputs use (the error summary links to the first). */
export const fieldId = (q: Question) => (q.type === 'date' ? `${q.id}-day` : q.type === 'address' ? `${q.id}-line1` : q.id);

/**
 * Reads and checks one page's answers from a posted body. Files come in `files` (already
 * size- and type-checked by the caller, or with an error). Returns the answers and errors.
 */
export function readPage(
  def: Definition,
  page: Page,
  body: FormBody,
  t: T,
  lang: Lang,
  files: Record<string, FileAnswer | { error: string } | undefined> = {},
  previous: Answers = {},
): { values: Answers; raw: Record<string, string | string[]>; errors: FieldError[] } {
  const values: Answers = {};
  const raw: Record<string, string | string[]> = {};
  const errors: FieldError[] = [];
  for (const q of page.questions) {
    const label = txt(q.label, lang);
    const err = (key: string, vars: Record<string, unknown> = {}) =>
      errors.push({ field: fieldId(q), message: t(`forms.errors.${key}`, { label, ...vars }) });
    const v = q.validation ?? {};
    switch (q.type) {
      case 'text':
      case 'textarea':
      case 'email':
      case 'telephone': {
        const max = v.maxLength ?? (q.type === 'textarea' ? 5000 : 500);
        const s = one(body, q.id, max + 1);
        raw[q.id] = s;
        if (!s) {
          if (!q.optional) err('required');
          break;
        }
        if (s.length > max) err('tooLong', { max });
        else if (v.minLength && s.length < v.minLength) err('tooShort', { min: v.minLength });
        else if (q.type === 'email' && !EMAIL.test(s)) err('email');
        else if (q.type === 'telephone' && !PHONE.test(s)) err('telephone');
        else if (v.pattern && !safeRegex(v.pattern)?.test(s))
          errors.push({ field: q.id, message: v.patternMessage ? txt(v.patternMessage, lang) : t('forms.errors.pattern', { label }) });
        else values[q.id] = s;
        break;
      }
      case 'number': {
        const s = one(body, q.id, 40).replace(/,/g, '');
        raw[q.id] = s;
        if (!s) {
          if (!q.optional) err('required');
          break;
        }
        const n = Number(s);
        if (!/^-?\d+(\.\d+)?$/.test(s) || !Number.isFinite(n)) err('number');
        else if (v.integer && !Number.isInteger(n)) err('integer');
        else if (v.min !== undefined && n < v.min) err('min', { min: v.min });
        else if (v.max !== undefined && n > v.max) err('max', { max: v.max });
        else values[q.id] = n;
        break;
      }
      case 'date': {
        const [d, m, y] = ['day', 'month', 'year'].map((x) => one(body, `${q.id}-${x}`, 10));
        raw[`${q.id}-day`] = d;
        raw[`${q.id}-month`] = m;
        raw[`${q.id}-year`] = y;
        if (!d && !m && !y) {
          if (!q.optional) err('required');
          break;
        }
        const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
        if (
          !/^\d{1,2}$/.test(d) ||
          !/^\d{1,2}$/.test(m) ||
          !/^\d{4}$/.test(y) ||
          date.getUTCDate() !== Number(d) ||
          date.getUTCMonth() !== Number(m) - 1
        ) {
          err('date');
          break;
        }
        const iso = date.toISOString().slice(0, 10);
        const today = new Date().toISOString().slice(0, 10);
        if (v.past && iso > today) err('past');
        else if (v.future && iso < today) err('future');
        else values[q.id] = iso;
        break;
      }
      case 'radios':
      case 'select':
      case 'yesno': {
        const s = one(body, q.id, 200);
        raw[q.id] = s;
        if (!s) {
          if (!q.optional) err('choose');
        } else if (!options(def, q).some((o) => o.value === s)) err('choose');
        else values[q.id] = s;
        break;
      }
      case 'checkboxes': {
        const got = body[q.id];
        const list = (Array.isArray(got) ? got : got === undefined ? [] : [got]).filter(
          (x): x is string => typeof x === 'string' && x !== '',
        );
        raw[q.id] = list;
        const allowed = new Set(options(def, q).map((o) => o.value));
        if (!list.length) {
          if (!q.optional) err('chooseAtLeastOne');
        } else if (list.some((x) => !allowed.has(x)) || new Set(list).size !== list.length) err('chooseAtLeastOne');
        else values[q.id] = list;
        break;
      }
      case 'address': {
        const a: AddressAnswer = {
          line1: one(body, `${q.id}-line1`, 200),
          line2: one(body, `${q.id}-line2`, 200),
          town: one(body, `${q.id}-town`, 100),
          postcode: one(body, `${q.id}-postcode`, 20).toUpperCase(),
        };
        const uprn = one(body, `${q.id}-uprn`, 20);
        for (const k of ['line1', 'line2', 'town', 'postcode'] as const) raw[`${q.id}-${k}`] = a[k];
        if (!a.line1 && !a.town && !a.postcode) {
          if (!q.optional) err('address');
          break;
        }
        if (!a.line1) errors.push({ field: `${q.id}-line1`, message: t('forms.errors.addressLine1') });
        if (!a.town) errors.push({ field: `${q.id}-town`, message: t('forms.errors.addressTown') });
        if (!POSTCODE.test(a.postcode)) errors.push({ field: `${q.id}-postcode`, message: t('forms.errors.postcode') });
        if (a.line1 && a.town && POSTCODE.test(a.postcode)) {
          // A UPRN is kept only when the address is the one looked up, unchanged.
          const prev = previous[q.id] as AddressAnswer | undefined;
          if (uprn && prev?.uprn === uprn && prev.line1 === a.line1 && prev.postcode === a.postcode) a.uprn = uprn;
          values[q.id] = a;
        }
        break;
      }
      case 'file': {
        const f = files[q.id];
        if (f && 'error' in f) errors.push({ field: q.id, message: t(`forms.errors.${f.error}`, { label }) });
        else if (f) values[q.id] = f;
        else if (previous[q.id] && one(body, `${q.id}-keep`, 5) === 'yes') values[q.id] = previous[q.id];
        else if (!q.optional) err('file');
        break;
      }
      case 'declaration': {
        const s = one(body, q.id, 10);
        raw[q.id] = s;
        if (s !== 'agreed') err('declaration');
        else values[q.id] = 'agreed';
        break;
      }
    }
  }
  return { values, raw, errors };
}

const money = (pence: number) => `£${(pence / 100).toFixed(2).replace(/\.00$/, '')}`;
export { money };

// Making an Intl.DateTimeFormat costs far more than formatting with one (it was the top
// self-time function in a CPU profile of submissions): one per language, made once.
const DATE_OPTS = { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' } as const;
const DATE_FORMAT: Record<Lang, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', DATE_OPTS),
  cy: new Intl.DateTimeFormat('cy-GB', DATE_OPTS),
};

/** How an answer reads on check-your-answers, in emails and in CSV. */
export function answerText(def: Definition, q: Question, a: Answer | undefined, lang: Lang): string {
  if (a === undefined || a === '') return '';
  if (q.type === 'date' && typeof a === 'string') {
    return DATE_FORMAT[lang].format(new Date(`${a}T00:00:00Z`));
  }
  if (['radios', 'select', 'yesno', 'checkboxes'].includes(q.type)) {
    const opts = options(def, q);
    return (Array.isArray(a) ? a : [String(a)]).map((v) => txt(opts.find((o) => o.value === v)?.text, lang) || v).join(', ');
  }
  if (q.type === 'address' && typeof a === 'object' && !Array.isArray(a) && 'line1' in a)
    return [a.line1, a.line2, a.town, a.postcode].filter(Boolean).join(', ');
  if (q.type === 'file' && typeof a === 'object' && !Array.isArray(a) && 'name' in a) return a.name;
  if (q.type === 'declaration') return lang === 'cy' ? 'Wedi cytuno' : 'Agreed';
  return String(a);
}

/** The fee for these answers, in pence (0: none). */
export function fee(def: Definition, answers: Answers): number {
  if (!def.fee) return 0;
  let total = def.fee.amount ?? 0;
  for (const item of def.fee.items ?? []) {
    if (!holds(def, item.if, answers)) continue;
    const n = item.multiplyBy ? Number(answers[item.multiplyBy] ?? 0) : 1;
    total += item.amount * (Number.isFinite(n) ? n : 0);
  }
  return Math.max(0, Math.round(total));
}

export interface SubmittedAnswer {
  page: string;
  question: string;
  label: string;
  value: Answer;
  text: string;
  item?: number;
  source?: Source;
}

/** The answers as submitted: flat, in page order, with their English text for the team. */
export function submittedAnswers(def: Definition, p: Progress): SubmittedAnswer[] {
  const { answers, repeats } = answersOnRoute(def, p);
  const out: SubmittedAnswer[] = [];
  for (const page of def.pages) {
    if (page.repeat) {
      (repeats[page.id] ?? []).forEach((item, n) => {
        for (const q of page.questions)
          if (item[q.id] !== undefined)
            out.push({
              page: page.id,
              question: q.id,
              label: txt(q.label, 'en'),
              value: item[q.id],
              text: answerText(def, q, item[q.id], 'en'),
              item: n + 1,
            });
      });
      continue;
    }
    for (const q of page.questions) {
      if (answers[q.id] === undefined) continue;
      const source = p.sources[q.id];
      out.push({
        page: page.id,
        question: q.id,
        label: txt(q.label, 'en'),
        value: answers[q.id],
        text: answerText(def, q, answers[q.id], 'en'),
        ...(source ? { source } : {}),
      });
    }
  }
  return out;
}

/** Every question of a definition, with its page. */
export function allQuestions(def: Definition): Array<{ page: Page; q: Question }> {
  return def.pages.flatMap((page) => page.questions.map((q) => ({ page, q })));
}
