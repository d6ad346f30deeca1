// TypeBox schemas for the catalogue's JSON API: request and response shapes and their types.
import { Type, type Static } from '@sinclair/typebox';

export const PHASES = ['discovery', 'alpha', 'beta', 'live', 'retiring'] as const;
export const ORG_KINDS = [
  'ministerial_department',
  'non_ministerial_department',
  'arms_length_body',
  'local_authority',
  'partner',
  'supplier',
] as const;
export const PLATFORMS = [
  'identity',
  'payments',
  'addresses',
  'notify',
  'exchange',
  'consent',
  'performance',
  'experiments',
  'forms',
  'engagement',
  'rooms',
  'catalogue',
] as const;
/** Platforms an API key can be issued for (short names as used in URLs and the CLI). */
export const KEY_PLATFORMS = [
  'pay',
  'notify',
  'addresses',
  'identity',
  'exchange',
  'consent',
  'performance',
  'experiments',
  'forms',
  'engagement',
  'catalogue',
] as const;
export const KEY_TYPES = ['live', 'test', 'team'] as const;
export const ROADMAP_STATUSES = ['now', 'next', 'later', 'done'] as const;
export const STAFF_ROLES = ['platform_admin', 'organisation_admin', 'service_team'] as const;

const lit = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)) as any) as any;
const Slug = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', minLength: 2, maxLength: 80 });
const Url = Type.String({ pattern: '^(https?://|/)', maxLength: 2000 });
const DateOnly = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
/** The Welsh version of a citizen-facing field: shown on Welsh pages; null → the English is shown. */
const Welsh = (maxLength: number) => Type.Optional(Nullable(Type.String({ maxLength })));
const WelshOut = Type.Union([Type.String(), Type.Null()]);

export const Organisation = Type.Object({
  id: Type.String({ format: 'uuid' }),
  slug: Type.String(),
  name: Type.String(),
  name_cy: Type.Union([Type.String(), Type.Null()]),
  kind: lit(ORG_KINDS),
  summary: Type.String(),
  summary_cy: WelshOut,
  website: Type.Union([Type.String(), Type.Null()]),
  parent_id: Type.Union([Type.String(), Type.Null()]),
  is_demo: Type.Boolean(),
});
export type Organisation = Static<typeof Organisation>;

export const OrganisationInput = Type.Object(
  {
    slug: Slug,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    name_cy: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    kind: lit(ORG_KINDS),
    summary: Type.Optional(Type.String({ maxLength: 2000 })),
    summary_cy: Welsh(2000),
    website: Type.Optional(Nullable(Url)),
    parent_slug: Type.Optional(Nullable(Slug)),
  },
  { additionalProperties: false },
);
export type OrganisationInput = Static<typeof OrganisationInput>;

export const Team = Type.Object({
  id: Type.String(),
  organisation_id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  name_cy: WelshOut,
  email: Type.Union([Type.String(), Type.Null()]),
});
export type Team = Static<typeof Team>;
export const TeamInput = Type.Object(
  {
    slug: Slug,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    name_cy: Welsh(200),
    email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 320 }))),
  },
  { additionalProperties: false },
);
export type TeamInput = Static<typeof TeamInput>;

export const OfficeHolder = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  role_cy: WelshOut,
  organisation_id: Type.String(),
  organisation_name: Type.String(),
  contact: Type.String(),
  in_post_since: Type.String(),
  left_post: Type.Union([Type.String(), Type.Null()]),
  is_demo: Type.Boolean(),
});
export type OfficeHolder = Static<typeof OfficeHolder>;
export const OfficeHolderInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Type.String({ minLength: 1, maxLength: 200 }),
    role_cy: Welsh(200),
    organisation_slug: Type.Optional(Slug),
    contact: Type.Optional(Type.String({ maxLength: 500 })),
    in_post_since: DateOnly,
    is_demo: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type OfficeHolderInput = Static<typeof OfficeHolderInput>;

export const Decision = Type.Object({
  id: Type.String(),
  decided_on: Type.String(),
  decision: Type.String(),
  decision_cy: WelshOut,
  reasoning: Type.String(),
  reasoning_cy: WelshOut,
  decided_by: Type.String(),
  decided_by_cy: WelshOut,
  evidence_url: Type.Union([Type.String(), Type.Null()]),
});
export type Decision = Static<typeof Decision>;
export const DecisionInput = Type.Object(
  {
    decided_on: DateOnly,
    decision: Type.String({ minLength: 1, maxLength: 2000 }),
    decision_cy: Welsh(2000),
    reasoning: Type.Optional(Type.String({ maxLength: 5000 })),
    reasoning_cy: Welsh(5000),
    decided_by: Type.String({ minLength: 1, maxLength: 200 }),
    decided_by_cy: Welsh(200),
    evidence_url: Type.Optional(Nullable(Url)),
  },
  { additionalProperties: false },
);
export type DecisionInput = Static<typeof DecisionInput>;

export const RoadmapItem = Type.Object({
  id: Type.String(),
  status: lit(ROADMAP_STATUSES),
  title: Type.String(),
  title_cy: WelshOut,
  description: Type.String(),
  description_cy: WelshOut,
  target_date: Type.Union([Type.String(), Type.Null()]),
});
export type RoadmapItem = Static<typeof RoadmapItem>;
export const RoadmapInput = Type.Object(
  {
    status: lit(ROADMAP_STATUSES),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    title_cy: Welsh(200),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    description_cy: Welsh(5000),
    target_date: Type.Optional(Nullable(DateOnly)),
  },
  { additionalProperties: false },
);
export type RoadmapInput = Static<typeof RoadmapInput>;

export const Satisfaction = Type.Object({
  score: Type.Union([Type.Number(), Type.Null()], { description: '(mean rating − 1) / 4 over the window; null with no responses' }),
  responses: Type.Integer(),
  days: Type.Integer(),
});
export type Satisfaction = Static<typeof Satisfaction>;

export const Service = Type.Object({
  id: Type.String({ format: 'uuid' }),
  slug: Type.String(),
  name: Type.String(),
  name_cy: Type.Union([Type.String(), Type.Null()]),
  summary: Type.String(),
  summary_cy: Type.Union([Type.String(), Type.Null()]),
  description: Type.String(),
  description_cy: WelshOut,
  how_to_apply: Type.String({
    description: 'How to apply, shown on the page "Start now" leads to until the service has a form of its own',
  }),
  how_to_apply_cy: WelshOut,
  phase: lit(PHASES),
  organisation: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), kind: Type.String() }),
  team: Type.Union([Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), name_cy: WelshOut }), Type.Null()]),
  start_url: Type.Union([Type.String(), Type.Null()]),
  platforms: Type.Array(Type.String()),
  platform: Type.Union([Type.String(), Type.Null()], { description: 'The shared platform this service is (null: an ordinary service)' }),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type Service = Static<typeof Service>;

export const ServiceDetail = Type.Intersect([
  Service,
  Type.Object({
    office_holder: Type.Union([OfficeHolder, Type.Null()]),
    previous_office_holders: Type.Array(OfficeHolder),
    decisions: Type.Array(Decision),
    roadmap: Type.Array(RoadmapItem),
    satisfaction: Satisfaction,
  }),
]);
export type ServiceDetail = Static<typeof ServiceDetail>;

export const ServiceInput = Type.Object(
  {
    slug: Slug,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    name_cy: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    summary: Type.String({ minLength: 1, maxLength: 500 }),
    summary_cy: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    description_cy: Welsh(5000),
    how_to_apply: Type.Optional(Type.String({ maxLength: 5000 })),
    how_to_apply_cy: Welsh(5000),
    phase: lit(PHASES),
    organisation_slug: Slug,
    team_slug: Type.Optional(Nullable(Slug)),
    start_url: Type.Optional(Nullable(Url)),
    platforms: Type.Optional(Type.Array(lit(PLATFORMS), { uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type ServiceInput = Static<typeof ServiceInput>;
export const ServicePatch = Type.Partial(Type.Omit(ServiceInput, ['slug']), { additionalProperties: false });
export type ServicePatch = Static<typeof ServicePatch>;

export const FeedbackInput = Type.Object(
  {
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    improvement: Type.Optional(Type.String({ maxLength: 1200 })),
  },
  { additionalProperties: false },
);
export type FeedbackInput = Static<typeof FeedbackInput>;

export const ApiKey = Type.Object({
  id: Type.String(),
  service_id: Type.Union([Type.String(), Type.Null()]),
  platform: Type.String(),
  type: Type.String(),
  name: Type.String(),
  hint: Type.String(),
  created_by: Type.String(),
  created_at: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
});
export type ApiKey = Static<typeof ApiKey>;

export const ErrorBody = Type.Object({
  status: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});
