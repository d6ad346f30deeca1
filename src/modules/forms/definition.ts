// The form definition format (JSON), as a TypeBox schema — so the same object validates
// definitions, types the runner and is published as JSON Schema at /forms/schema/v1.json —
// plus the rules a schema cannot say (ids unique, references resolve, options present), each
// refused with the JSON path of the error.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const SCHEMA_ID = '/forms/schema/v1.json';

/** Copy in English, optionally Welsh: "Your name" or { "en": "Your name", "cy": "Eich enw" }. */
export const Text = Type.Union(
  [
    Type.String({ minLength: 1, maxLength: 10_000 }),
    Type.Object(
      { en: Type.String({ minLength: 1, maxLength: 10_000 }), cy: Type.Optional(Type.String({ maxLength: 10_000 })) },
      { additionalProperties: false },
    ),
  ],
  { description: 'English text, or { en, cy } with its Welsh' },
);
export type Text = Static<typeof Text>;

const Id = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$', description: 'letters, digits, _ and -; starts with a letter' });

export const QUESTION_TYPES = [
  'text',
  'textarea',
  'number',
  'date',
  'email',
  'telephone',
  'radios',
  'checkboxes',
  'select',
  'yesno',
  'address',
  'file',
  'declaration',
] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
const CHOICE: QuestionType[] = ['radios', 'checkboxes', 'select'];

export const Option = Type.Object(
  { value: Type.String({ minLength: 1, maxLength: 200 }), text: Text, hint: Type.Optional(Text) },
  { additionalProperties: false },
);
export type Option = Static<typeof Option>;

export const Question = Type.Object(
  {
    id: Id,
    type: Type.Union(QUESTION_TYPES.map((t) => Type.Literal(t))),
    label: Text,
    hint: Type.Optional(Text),
    optional: Type.Optional(Type.Boolean()),
    /** Choices of radios, checkboxes and select (or `list`, a named list in `lists`). */
    options: Type.Optional(Type.Array(Option, { minItems: 1, maxItems: 500 })),
    list: Type.Optional(Id),
    /** The declaration's text (type declaration). */
    content: Type.Optional(Text),
    validation: Type.Optional(
      Type.Object(
        {
          minLength: Type.Optional(Type.Integer({ minimum: 0 })),
          maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          pattern: Type.Optional(Type.String({ maxLength: 500 })),
          patternMessage: Type.Optional(Text),
          min: Type.Optional(Type.Number()),
          max: Type.Optional(Type.Number()),
          integer: Type.Optional(Type.Boolean()),
          /** date: only past / only future dates. */
          past: Type.Optional(Type.Boolean()),
          future: Type.Optional(Type.Boolean()),
          /** file: largest size in bytes and accepted MIME types. */
          maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 20_000_000 })),
          accept: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** An exchange attribute that answers this question (e.g. "dwp/benefits.pip_award"): asked for once, with consent. */
    attribute: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+/[a-z0-9_-]+\\.[a-z0-9_]+$' })),
    /** An answer the citizen's signed-in account gives: name, email, phone, birthDate, address. */
    account: Type.Optional(
      Type.Union(['givenName', 'familyName', 'fullName', 'email', 'phone', 'birthDate', 'address'].map((k) => Type.Literal(k))),
    ),
  },
  { additionalProperties: false },
);
export type Question = Static<typeof Question>;

export const CONDITION_OPS = [
  'is',
  'isNot',
  'in',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
  'answered',
  'notAnswered',
  'before',
  'after',
] as const;
/** A condition: one test on an answer, all/any of several, not, or another named condition. */
export const Condition = Type.Recursive(
  (Self) =>
    Type.Union([
      Type.Object(
        {
          question: Id,
          op: Type.Union(CONDITION_OPS.map((o) => Type.Literal(o))),
          value: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())])),
        },
        { additionalProperties: false },
      ),
      Type.Object({ all: Type.Array(Self, { minItems: 1 }) }, { additionalProperties: false }),
      Type.Object({ any: Type.Array(Self, { minItems: 1 }) }, { additionalProperties: false }),
      Type.Object({ not: Self }, { additionalProperties: false }),
      Type.Object({ ref: Id }, { additionalProperties: false }),
    ]),
  { $id: 'Condition' },
);
export type Condition =
  | { question: string; op: (typeof CONDITION_OPS)[number]; value?: string | number | boolean | string[] }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { ref: string };

export const Page = Type.Object(
  {
    id: Id,
    title: Text,
    intro: Type.Optional(Text),
    section: Type.Optional(Id),
    questions: Type.Array(Question, { maxItems: 50 }),
    /** Shown only when this named condition holds; skipped otherwise. */
    if: Type.Optional(Id),
    /** Where to go next: the first whose condition holds ("check" ends the questions); else the following page. */
    next: Type.Optional(
      Type.Array(Type.Object({ page: Id, if: Type.Optional(Id) }, { additionalProperties: false }), { minItems: 1, maxItems: 50 }),
    ),
    /** "Add another": the page's questions are answered once per item, up to max. */
    repeat: Type.Optional(
      Type.Object({ max: Type.Integer({ minimum: 1, maximum: 100 }), itemName: Type.Optional(Text) }, { additionalProperties: false }),
    ),
    /** Page variants served by an experiments flag: the flag's string value names the variant. */
    variants: Type.Optional(
      Type.Object(
        {
          flag: Type.String({ minLength: 1, maxLength: 200 }),
          titles: Type.Optional(Type.Record(Type.String(), Text)),
          intros: Type.Optional(Type.Record(Type.String(), Text)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Page = Static<typeof Page>;

export const FeeItem = Type.Object(
  {
    description: Text,
    amount: Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'pence' }),
    if: Type.Optional(Id),
    /** Multiplied by this number question's answer (e.g. per pass). */
    multiplyBy: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const Definition = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    title: Text,
    intro: Type.Optional(Text),
    /** One Login style vtr: "Cl" (signed in), "Cl.Cm" (two factors), "Cl.Cm.P2" (identity proven). */
    signIn: Type.Optional(Type.Union([Type.Literal('Cl'), Type.Literal('Cl.Cm'), Type.Literal('Cl.Cm.P2')])),
    /** The DPV purpose of asking the exchange (default dpv:ServiceProvision). */
    purpose: Type.Optional(Type.String({ maxLength: 200 })),
    /** The legal basis of prefill: "consent" (asked through the consent module), or "public-task:<id>" / "statute:<id>". */
    legalBasis: Type.Optional(Type.String({ pattern: '^(consent|public-task:[A-Za-z0-9_.-]+|statute:[A-Za-z0-9_.-]+)$' })),
    pages: Type.Array(Page, { minItems: 1, maxItems: 500 }),
    sections: Type.Optional(Type.Record(Type.String(), Text)),
    conditions: Type.Optional(Type.Record(Type.String(), Type.Ref('Condition'))),
    lists: Type.Optional(Type.Record(Type.String(), Type.Array(Option, { minItems: 1, maxItems: 2000 }))),
    fee: Type.Optional(
      Type.Object(
        {
          description: Text,
          amount: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'pence' })),
          items: Type.Optional(Type.Array(FeeItem, { maxItems: 50 })),
        },
        { additionalProperties: false },
      ),
    ),
    confirmation: Type.Optional(
      Type.Object(
        {
          title: Type.Optional(Text),
          body: Type.Optional(Text),
          /** The question whose answer is the citizen's email (or phone) for the confirmation through Notify. */
          emailQuestion: Type.Optional(Id),
          phoneQuestion: Type.Optional(Id),
        },
        { additionalProperties: false },
      ),
    ),
    deliveries: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Object(
            { type: Type.Literal('webhook'), url: Type.String({ pattern: '^https?://', maxLength: 2000 }) },
            { additionalProperties: false },
          ),
          Type.Object(
            { type: Type.Literal('email'), to: Type.String({ pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', maxLength: 320 }) },
            { additionalProperties: false },
          ),
          Type.Object({ type: Type.Literal('api') }, { additionalProperties: false }),
        ]),
        { maxItems: 10 },
      ),
    ),
    referencePrefix: Type.Optional(Type.String({ pattern: '^[A-Z]{2,6}$' })),
  },
  { additionalProperties: false },
);
export type Definition = Omit<Static<typeof Definition>, 'conditions'> & { conditions?: Record<string, Condition> };

/** The published JSON Schema document. */
export function jsonSchema(publicUrl: string): Record<string, unknown> {
  const { $id: _c, ...cond } = Condition as TSchema & { $id?: string };
  const def = JSON.parse(JSON.stringify(Definition).replaceAll('"$ref":"Condition"', '"$ref":"#/$defs/Condition"'));
  const condJson = JSON.parse(JSON.stringify(cond).replace(/"\$ref":"Condition"/g, '"$ref":"#/$defs/Condition"'));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${publicUrl}${SCHEMA_ID}`,
    title: 'Cityscape form definition',
    ...def,
    $defs: { Condition: condJson },
  };
}

export interface DefinitionError {
  path: string;
  message: string;
}

export class InvalidDefinition extends Error {
  constructor(public errors: DefinitionError[]) {
    super(`Invalid form definition: ${errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ')}`);
  }
}

const RX_CACHE = new Map<string, RegExp | null>();
export function safeRegex(p: string): RegExp | null {
  if (!RX_CACHE.has(p)) {
    let rx: RegExp | null = null;
    try {
      rx = new RegExp(`^(?:${p})$`, 'u');
    } catch {
      rx = null;
    }
    RX_CACHE.set(p, rx);
  }
  return RX_CACHE.get(p)!;
}

/** Every error in a definition, each with its JSON path (empty list: valid). */
export function checkDefinition(input: unknown): DefinitionError[] {
  const errors: DefinitionError[] = [];
  for (const e of Value.Errors(Definition, [Condition], input)) {
    errors.push({ path: e.path, message: e.message });
    if (errors.length >= 20) break;
  }
  if (errors.length) return errors;
  const def = input as Definition;
  const pageIds = new Set<string>();
  const questions = new Map<string, { page: Page; q: Question }>();
  const conds = def.conditions ?? {};
  const lists = def.lists ?? {};
  const needCond = (id: string | undefined, path: string) => {
    if (id !== undefined && !(id in conds)) errors.push({ path, message: `No condition named "${id}"` });
  };
  def.pages.forEach((p, i) => {
    if (pageIds.has(p.id) || p.id === 'check')
      errors.push({ path: `/pages/${i}/id`, message: `Page id "${p.id}" is used twice or reserved` });
    pageIds.add(p.id);
    p.questions.forEach((q, j) => {
      const path = `/pages/${i}/questions/${j}`;
      if (questions.has(q.id)) errors.push({ path: `${path}/id`, message: `Question id "${q.id}" is used twice` });
      questions.set(q.id, { page: p, q });
      if (CHOICE.includes(q.type) && !q.options && !q.list) errors.push({ path, message: `A ${q.type} question needs options or a list` });
      if (q.list && !(q.list in lists)) errors.push({ path: `${path}/list`, message: `No list named "${q.list}"` });
      if (q.validation?.pattern && !safeRegex(q.validation.pattern))
        errors.push({ path: `${path}/validation/pattern`, message: 'Not a valid regular expression' });
    });
    needCond(p.if, `/pages/${i}/if`);
    p.next?.forEach((n, j) => {
      if (n.page !== 'check' && !def.pages.some((x) => x.id === n.page))
        errors.push({ path: `/pages/${i}/next/${j}/page`, message: `No page "${n.page}"` });
      needCond(n.if, `/pages/${i}/next/${j}/if`);
    });
    if (p.section && !(def.sections && p.section in def.sections))
      errors.push({ path: `/pages/${i}/section`, message: `No section "${p.section}"` });
  });
  const walk = (c: Condition, path: string, seen: string[]) => {
    if ('ref' in c) {
      if (!(c.ref in conds)) errors.push({ path: `${path}/ref`, message: `No condition named "${c.ref}"` });
      else if (seen.includes(c.ref)) errors.push({ path: `${path}/ref`, message: `Condition "${c.ref}" refers to itself` });
      else walk(conds[c.ref], path, [...seen, c.ref]);
    } else if ('all' in c) c.all.forEach((x, i) => walk(x, `${path}/all/${i}`, seen));
    else if ('any' in c) c.any.forEach((x, i) => walk(x, `${path}/any/${i}`, seen));
    else if ('not' in c) walk(c.not, `${path}/not`, seen);
    else {
      const found = questions.get(c.question);
      if (!found) errors.push({ path: `${path}/question`, message: `No question "${c.question}"` });
      else if (found.page.repeat)
        errors.push({ path: `${path}/question`, message: `Conditions cannot test a question of a repeating page ("${c.question}")` });
    }
  };
  for (const [id, c] of Object.entries(conds)) walk(c, `/conditions/${id}`, [id]);
  def.fee?.items?.forEach((f, i) => {
    needCond(f.if, `/fee/items/${i}/if`);
    if (f.multiplyBy && questions.get(f.multiplyBy)?.q.type !== 'number')
      errors.push({ path: `/fee/items/${i}/multiplyBy`, message: `"${f.multiplyBy}" is not a number question` });
  });
  for (const k of ['emailQuestion', 'phoneQuestion'] as const) {
    const id = def.confirmation?.[k];
    if (id && !questions.has(id)) errors.push({ path: `/confirmation/${k}`, message: `No question "${id}"` });
  }
  return errors;
}

export function parseDefinition(input: unknown): Definition {
  const errors = checkDefinition(input);
  if (errors.length) throw new InvalidDefinition(errors);
  return input as Definition;
}
