// TypeBox schemas of the engagement JSON API: request and response shapes and their static types.
import { Type, type Static } from '@sinclair/typebox';

const lit = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)) as any) as any;
const DateOnly = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Welsh = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));

export const MODES = ['consultation', 'conversation'] as const;
export const SUBJECTS = ['roadmap', 'proposal', 'general'] as const;
export const ELIGIBILITY = ['anyone', 'residents', 'staff'] as const;
/** The KPIs a consultation's decision may promise to move (performance.kpis). */
export const KPIS = ['completionRate', 'userSatisfaction', 'costPerTransaction', 'digitalTakeUp'] as const;

export const ErrorBody = Type.Object({
  status: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});

export const ConsultationInput = Type.Object(
  {
    mode: Type.Optional(lit(MODES)),
    subject: lit(SUBJECTS),
    roadmap_item_id: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
    proposal: Type.Optional(Type.String({ maxLength: 2000 })),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    title_cy: Welsh(200),
    question: Type.String({ minLength: 1, maxLength: 500 }),
    question_cy: Welsh(500),
    background: Type.Optional(Type.String({ maxLength: 10000 })),
    background_cy: Welsh(10000),
    options: Type.Optional(
      Type.Array(
        Type.Object({ label: Type.String({ minLength: 1, maxLength: 300 }), label_cy: Welsh(300) }, { additionalProperties: false }),
        {
          maxItems: 10,
        },
      ),
    ),
    eligibility: lit(ELIGIBILITY),
    area_name: Type.Optional(Type.String({ maxLength: 200 })),
    area_postcodes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 8 }), { maxItems: 200 })),
    staff_organisation_slug: Type.Optional(Nullable(Type.String({ maxLength: 80 }))),
    allow_anonymous: Type.Optional(Type.Boolean()),
    opens_on: DateOnly,
    closes_on: DateOnly,
    promised_kpis: Type.Optional(Type.Array(lit(KPIS), { uniqueItems: true, maxItems: 4 })),
  },
  { additionalProperties: false },
);
export type ConsultationInput = Static<typeof ConsultationInput>;

export const ResponseInput = Type.Object(
  {
    response: Type.String({ minLength: 1, maxLength: 10000 }),
    response_cy: Welsh(10000),
    decision: Type.Optional(
      Nullable(
        Type.Object(
          {
            decision: Type.String({ minLength: 1, maxLength: 2000 }),
            reasoning: Type.Optional(Type.String({ maxLength: 5000 })),
            decided_by: Type.String({ minLength: 1, maxLength: 200 }),
            decided_on: DateOnly,
          },
          { additionalProperties: false },
        ) as any,
      ),
    ),
    why_not: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  },
  { additionalProperties: false },
);
export type ResponseInput = {
  response: string;
  response_cy?: string | null;
  decision?: { decision: string; reasoning?: string; decided_by: string; decided_on: string } | null;
  why_not?: string | null;
};

const Text = Type.String();
const NullableText = Type.Union([Type.String(), Type.Null()]);

export const OptionOut = Type.Object({ id: Text, label: Text, label_cy: NullableText, support: Type.Integer(), oppose: Type.Integer() });
export const CommentOut = Type.Object({
  id: Text,
  parent_id: NullableText,
  participant: Type.Integer({ description: 'The participant number within this consultation (no personal data)' }),
  body: NullableText,
  status: lit(['published', 'hidden'] as const),
  hidden_reason: NullableText,
  redacted: Type.Boolean(),
  created_at: Text,
});
export const ConsultationOut = Type.Object({
  id: Text,
  service_slug: Text,
  mode: lit(MODES),
  subject: lit(SUBJECTS),
  roadmap_item_id: NullableText,
  proposal: Text,
  title: Text,
  title_cy: NullableText,
  question: Text,
  question_cy: NullableText,
  background: Text,
  background_cy: NullableText,
  eligibility: lit(ELIGIBILITY),
  area_name: Text,
  allow_anonymous: Type.Boolean(),
  opens_on: Text,
  closes_on: Text,
  status: lit(['upcoming', 'open', 'closed'] as const),
  url: Text,
  participants: Type.Integer(),
  promised_kpis: Type.Array(Text),
  response: Type.Union([
    Type.Object({
      text: Text,
      text_cy: NullableText,
      decision: Type.Union([Type.Object({ id: Text, decided_on: Text, decision: Text, decided_by: Text }), Type.Null()]),
      why_not: NullableText,
      responded_at: Text,
    }),
    Type.Null(),
  ]),
});
export const ConsultationDetailOut = Type.Intersect([
  ConsultationOut,
  Type.Object({ options: Type.Array(OptionOut), comments: Type.Array(CommentOut) }),
]);
