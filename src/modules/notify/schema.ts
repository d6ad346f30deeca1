// TypeBox schemas for Notify's v2 API requests (params, querystring, body): they type each
// handler (TypeBox type provider) and document /openapi.json. At run time each part is checked
// by Notify's own rules (validate.ts, run through api.ts's validator compiler), not by Ajv, so
// callers get GOV.UK Notify's messages; the rules accept nothing these schemas reject.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_LENGTHS, NOTIFICATION_STATUSES, POSTAGE, TEMPLATE_TYPES } from './validate.js';

const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Uuid = Type.String({ format: 'uuid' });
/** A query parameter that may be repeated (?status=sending&status=delivered). */
const OneOrMany = <T extends TSchema>(t: T) => Type.Union([t, Type.Array(t)]);
const Personalisation = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Values for the template’s ((placeholders)); a file to send by link is {file, filename?, confirm_email_before_download?, retention_period?}',
});
const Reference = Type.String({ maxLength: MAX_LENGTHS.reference, description: 'Your own reference for the message' });
const ScheduledFor = Type.Union([Type.String(), Type.Null()], { description: 'Send later (up to 7 days ahead)' });

export const IdParams = Type.Object({ id: Uuid });
export const VersionParams = Type.Object({ id: Uuid, version: Type.String({ pattern: '^\\d{1,9}$' }) });

export const EmailBody = Type.Object(
  {
    email_address: Type.String({ format: 'email' }),
    template_id: Uuid,
    personalisation: Type.Optional(Personalisation),
    reference: Type.Optional(Reference),
    email_reply_to_id: Type.Optional(Uuid),
    one_click_unsubscribe_url: Type.Optional(Type.String()),
    sanitise_content_for: Type.Optional(Type.Array(Type.String())),
    scheduled_for: Type.Optional(ScheduledFor),
  },
  { additionalProperties: false },
);
export type EmailBody = Static<typeof EmailBody>;

export const SmsBody = Type.Object(
  {
    phone_number: Type.String(),
    template_id: Uuid,
    personalisation: Type.Optional(Personalisation),
    reference: Type.Optional(Reference),
    sms_sender_id: Type.Optional(Uuid),
    scheduled_for: Type.Optional(ScheduledFor),
  },
  { additionalProperties: false },
);
export type SmsBody = Static<typeof SmsBody>;

export const TemplateLetterBody = Type.Object(
  {
    template_id: Uuid,
    personalisation: Type.Object(
      { address_line_1: Type.Unknown({ description: 'The first line of the address (required, as Notify requires it)' }) },
      { additionalProperties: true, description: 'The address (address_line_1 to address_line_7) and the template’s ((placeholders))' },
    ),
    reference: Type.Optional(Reference),
    scheduled_for: Type.Optional(ScheduledFor),
  },
  { additionalProperties: false },
);
export const PrecompiledLetterBody = Type.Object(
  {
    reference: Reference,
    content: Type.String({ description: 'The PDF, base64-encoded' }),
    postage: Type.Optional(lit(POSTAGE)),
  },
  { additionalProperties: false },
);
/** A letter from a template, or a precompiled PDF (a body with `content`). */
export const LetterBody = Type.Union([TemplateLetterBody, PrecompiledLetterBody]);
export type LetterBody = Static<typeof LetterBody>;

export const PreviewBody = Type.Object({ personalisation: Type.Optional(Personalisation) }, { additionalProperties: false });
export type PreviewBody = Static<typeof PreviewBody>;

export const NotificationsQuery = Type.Object(
  {
    template_type: Type.Optional(OneOrMany(lit(TEMPLATE_TYPES))),
    status: Type.Optional(OneOrMany(lit(NOTIFICATION_STATUSES))),
    reference: Type.Optional(Type.String()),
    older_than: Type.Optional(Uuid),
    include_jobs: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type NotificationsQuery = Static<typeof NotificationsQuery>;

export const TemplatesQuery = Type.Object({ type: Type.Optional(lit(TEMPLATE_TYPES)) }, { additionalProperties: false });
export type TemplatesQuery = Static<typeof TemplatesQuery>;

export const ReceivedTextsQuery = Type.Object({ older_than: Type.Optional(Uuid) }, { additionalProperties: false });
export type ReceivedTextsQuery = Static<typeof ReceivedTextsQuery>;
