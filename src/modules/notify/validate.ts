// Request checks that answer with Notify's own ValidationError messages ("template_id is a
// required property", "email_address Not a valid email address", "status elephant is not one
// of [...]"). Notify derives these from JSON Schema; the rules are small enough to state here.
import { badRequest, noResult, validationError } from './errors.js';
import type { NotificationsQuery, ReceivedTextsQuery, TemplatesQuery } from './schema.js';
import { InvalidRecipient, validateEmail } from './content/recipients.js';

export const UUID = /^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$/;

export const NOTIFICATION_STATUSES = [
  'cancelled',
  'created',
  'sending',
  'sent',
  'delivered',
  'pending',
  'failed',
  'technical-failure',
  'temporary-failure',
  'permanent-failure',
  'pending-virus-check',
  'validation-failed',
  'virus-scan-failed',
  'returned-letter',
  'accepted',
  'received',
];
export const TEMPLATE_TYPES = ['sms', 'email', 'letter'];
export const POSTAGE = ['first', 'second', 'economy'];

/**
 * Lengths GOV.UK Notify caps (a `reference` of up to 1,000 characters since notifications-api
 * #3613; longer ones would not fit the reference index either), said in the error so a caller knows the limit.
 */
export const MAX_LENGTHS: Record<string, number> = { reference: 1000 };

type Rule = 'string' | 'uuid' | 'object' | 'email' | 'string[]' | 'string|null';

/** Python's repr without quotes, as Notify's messages show a bad value. */
function shown(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  return JSON.stringify(v).replace(/"/g, '');
}

function check(body: Record<string, unknown>, props: Record<string, Rule>, required: string[]): string[] {
  const errors: string[] = [];
  for (const r of required) if (!(r in body)) errors.push(`${r} is a required property`);
  for (const [name, rule] of Object.entries(props)) {
    if (!(name in body)) continue;
    const v = body[name];
    if (rule === 'uuid') {
      if (typeof v !== 'string' || !UUID.test(v)) errors.push(`${name} is not a valid UUID`);
      continue;
    }
    if (rule === 'object') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) errors.push(`${name} should contain key value pairs`);
      continue;
    }
    if (rule === 'string|null') {
      if (v !== null && typeof v !== 'string') errors.push(`${name} ${shown(v)} is not of type string, null`);
      continue;
    }
    if (rule === 'string[]') {
      if (!Array.isArray(v)) errors.push(`${name} ${shown(v)} is not of type array`);
      else
        v.forEach((x) => {
          if (typeof x !== 'string') errors.push(`${name} ${shown(x)} is not of type string`);
        });
      continue;
    }
    if (typeof v !== 'string') {
      errors.push(`${name} ${shown(v)} is not of type string`);
      continue;
    }
    const max = MAX_LENGTHS[name];
    if (max !== undefined && v.length > max) errors.push(`${name} is too long: GOV.UK Notify allows at most ${max} characters`);
    if (rule === 'email') {
      try {
        validateEmail(v);
      } catch (err) {
        if (err instanceof InvalidRecipient) errors.push(`${name} ${err.message}`);
        else throw err;
      }
    }
  }
  const extra = Object.keys(body).filter((k) => !(k in props));
  if (extra.length)
    errors.push(`Additional properties are not allowed (${extra.join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  return errors;
}

function asObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Invalid JSON supplied in POST data');
  return body as Record<string, unknown>;
}

const fail = (errors: string[]) => {
  if (errors.length) throw validationError(errors);
};

export interface EmailRequest {
  email_address: string;
  template_id: string;
  personalisation?: Record<string, unknown>;
  reference?: string;
  email_reply_to_id?: string;
  one_click_unsubscribe_url?: string;
  sanitise_content_for?: string[];
  scheduled_for?: string | null;
}
export interface SmsRequest {
  phone_number: string;
  template_id: string;
  personalisation?: Record<string, unknown>;
  reference?: string;
  sms_sender_id?: string;
  scheduled_for?: string | null;
}
export interface LetterRequest {
  template_id: string;
  personalisation: Record<string, unknown>;
  reference?: string;
  scheduled_for?: string | null;
}
export interface PrecompiledRequest {
  reference: string;
  content: string;
  postage?: string;
}

export function emailRequest(raw: unknown): EmailRequest {
  const body = asObject(raw);
  fail(
    check(
      body,
      {
        reference: 'string',
        email_address: 'email',
        template_id: 'uuid',
        personalisation: 'object',
        scheduled_for: 'string|null',
        email_reply_to_id: 'uuid',
        one_click_unsubscribe_url: 'string',
        sanitise_content_for: 'string[]',
      },
      ['email_address', 'template_id'],
    ),
  );
  return body as unknown as EmailRequest;
}

export function smsRequest(raw: unknown): SmsRequest {
  const body = asObject(raw);
  fail(
    check(
      body,
      {
        reference: 'string',
        phone_number: 'string',
        template_id: 'uuid',
        personalisation: 'object',
        scheduled_for: 'string|null',
        sms_sender_id: 'uuid',
      },
      ['phone_number', 'template_id'],
    ),
  );
  return body as unknown as SmsRequest;
}

/** A letter from a template, or a precompiled PDF when the body has `content`. */
export function letterRequest(raw: unknown): { kind: 'template'; req: LetterRequest } | { kind: 'precompiled'; req: PrecompiledRequest } {
  const body = asObject(raw);
  if ('content' in body) {
    const errors = check(body, { reference: 'string', content: 'string', postage: 'string' }, ['reference', 'content']);
    if (typeof body.postage === 'string' && !POSTAGE.includes(body.postage))
      errors.push('postage invalid. It must be either first, second or economy.');
    fail(errors);
    return { kind: 'precompiled', req: body as unknown as PrecompiledRequest };
  }
  const errors = check(body, { reference: 'string', template_id: 'uuid', personalisation: 'object', scheduled_for: 'string|null' }, [
    'template_id',
    'personalisation',
  ]);
  const p = body.personalisation;
  if (p && typeof p === 'object' && !Array.isArray(p) && !('address_line_1' in p))
    errors.push('personalisation address_line_1 is a required property');
  fail(errors);
  return { kind: 'template', req: body as unknown as LetterRequest };
}

export function previewRequest(raw: unknown): { personalisation?: Record<string, unknown> } {
  const body = raw === undefined || raw === null || raw === '' ? {} : asObject(raw);
  fail(check(body, { personalisation: 'object' }, []));
  return body as { personalisation?: Record<string, unknown> };
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
/** The first of a repeated query parameter, as Notify reads a single-valued one. */
const first = (v: unknown): string | undefined => list(v)[0];
const unexpected = (extra: string[]) =>
  `Additional properties are not allowed (${extra.join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`;

export interface ListQuery {
  template_type: string[];
  status: string[];
  reference: string | null;
  older_than: string | null;
}

/** Checks GET /notifications' query; returns it with single-valued parameters no longer repeated. */
export function notificationsQuery(query: Record<string, unknown>): NotificationsQuery {
  const errors: string[] = [];
  const allowed = ['template_type', 'status', 'reference', 'older_than', 'include_jobs'];
  const types = list(query.template_type);
  const statuses = list(query.status);
  for (const s of statuses)
    if (!NOTIFICATION_STATUSES.includes(s)) errors.push(`status ${s} is not one of [${NOTIFICATION_STATUSES.join(', ')}]`);
  for (const t of types) if (!TEMPLATE_TYPES.includes(t)) errors.push(`template_type ${t} is not one of [${TEMPLATE_TYPES.join(', ')}]`);
  const olderThan = first(query.older_than);
  if (olderThan !== undefined && !UUID.test(olderThan)) errors.push('older_than is not a valid UUID');
  const extra = Object.keys(query).filter((k) => !allowed.includes(k));
  if (extra.length) errors.push(unexpected(extra));
  fail(errors);
  const out: NotificationsQuery = {};
  if (query.template_type !== undefined) out.template_type = types;
  if (query.status !== undefined) out.status = statuses;
  if (query.reference !== undefined) out.reference = first(query.reference);
  if (olderThan !== undefined) out.older_than = olderThan;
  if (query.include_jobs !== undefined) out.include_jobs = first(query.include_jobs);
  return out;
}

/** The checked query as the service's filter. */
export function listQuery(q: NotificationsQuery): ListQuery {
  return { template_type: list(q.template_type), status: list(q.status), reference: q.reference ?? null, older_than: q.older_than ?? null };
}

export function olderThanQuery(query: Record<string, unknown>): ReceivedTextsQuery {
  const errors: string[] = [];
  const olderThan = first(query.older_than);
  if (olderThan !== undefined && !UUID.test(olderThan)) errors.push('older_than is not a valid UUID');
  const extra = Object.keys(query).filter((k) => k !== 'older_than');
  if (extra.length) errors.push(unexpected(extra));
  fail(errors);
  return olderThan === undefined ? {} : { older_than: olderThan };
}

export function templatesQuery(query: Record<string, unknown>): TemplatesQuery {
  const type = first(query.type);
  const errors: string[] = [];
  if (type !== undefined && !TEMPLATE_TYPES.includes(type)) errors.push(`type ${type} is not one of [${TEMPLATE_TYPES.join(', ')}]`);
  const extra = Object.keys(query).filter((k) => k !== 'type');
  if (extra.length) errors.push(unexpected(extra));
  fail(errors);
  return type === undefined ? {} : { type };
}

export function idParam(id: string, name = 'id'): string {
  if (!UUID.test(id)) throw validationError([`${name} is not a valid UUID`]);
  return id.toLowerCase();
}

/** Path parameters {id}: a UUID (named as Notify names it in the message), lower-cased. */
export const idParams =
  (name = 'id') =>
  (params: Record<string, string>): { id: string } => ({ id: idParam(params.id, name) });

/** Path parameters {id, version}: a version that is not a number is no template. */
export function versionParams(params: Record<string, string>): { id: string; version: string } {
  const id = idParam(params.id);
  if (!/^\d{1,9}$/.test(params.version)) throw noResult();
  return { id, version: params.version };
}
