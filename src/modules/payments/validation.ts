// Request checks with GOV.UK Pay's codes and wording (P0101 missing, P0102 invalid, P0104
// unexpected, P0401 search parameters…). The TypeBox schemas in schema.ts document the same
// shapes in /openapi.json; these checks exist because existing Pay clients read the exact
// `code`, `field` and `description` of a failure, which a generic validator cannot produce.
import { invalid, invalidParams, missing, unexpected, PayError } from './errors.js';

export interface Address {
  line1?: string;
  line2?: string;
  postcode?: string;
  city?: string;
  country?: string;
}
export interface CreatePaymentInput {
  amount: number;
  description: string;
  reference: string;
  return_url?: string;
  email?: string;
  language: 'en' | 'cy';
  delayed_capture: boolean;
  moto: boolean;
  metadata?: Record<string, string | number | boolean>;
  prefilled_cardholder_details?: { cardholder_name?: string; billing_address?: Address };
  authorisation_mode: 'web' | 'moto_api' | 'agreement';
  agreement_id?: string;
  set_up_agreement?: string;
  agreement_payment_type?: 'instalment' | 'recurring' | 'unscheduled';
}

type Body = Record<string, unknown>;
const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (b: Body, k: string) => b[k] !== undefined && b[k] !== null;

function str(b: Body, k: string, max: number, code = 'P0102', field = k): string | undefined {
  if (!has(b, k)) return undefined;
  const v = b[k];
  if (typeof v !== 'string') throw invalid(code, field, 'Must be a valid string format');
  if (v.length > max) throw invalid(code, field, `Must be less than or equal to ${max} characters length`);
  return v;
}
function bool(b: Body, k: string): boolean | undefined {
  if (!has(b, k)) return undefined;
  if (typeof b[k] !== 'boolean') throw invalid('P0102', k, 'Must be true or false');
  return b[k] as boolean;
}
function oneOf<T extends string>(b: Body, k: string, values: readonly T[], why: string): T | undefined {
  if (!has(b, k)) return undefined;
  if (!values.includes(b[k] as T)) throw invalid('P0102', k, why);
  return b[k] as T;
}
function amountOf(b: Body, k: string, code: string, min: number): number {
  const v = b[k];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(code, k, 'Must be a valid numeric format');
  if (v < min) throw invalid(code, k, 'Must be greater than or equal to 1');
  if (v > 10_000_000) throw invalid(code, k, 'Must be less than or equal to 10000000');
  return v;
}

export function validUrl(s: string, live: boolean): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || (u.protocol === 'http:' && !live)) && !!u.hostname && !/[\\\s"<>]/.test(s);
  } catch {
    return false;
  }
}

function metadataOf(v: unknown): Record<string, string | number | boolean> {
  if (!isObject(v)) throw invalid('P0102', 'metadata', 'Must be an object of JSON key-value pairs');
  const entries = Object.entries(v);
  if (entries.length === 0) throw invalid('P0102', 'metadata', 'Must have at least 1 key-value pair');
  if (entries.length > 10) throw invalid('P0102', 'metadata', 'Cannot have more than 10 key-value pairs');
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 30) throw invalid('P0102', 'metadata', 'Keys must be between 1 and 30 characters');
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw invalid('P0102', 'metadata', 'Values must be of type String, Boolean or Number');
    if (typeof value === 'string' && value.length > 100)
      throw invalid('P0102', 'metadata', 'Values must be no greater than 100 characters long');
  }
  return v as Record<string, string | number | boolean>;
}

function prefilledOf(v: unknown): CreatePaymentInput['prefilled_cardholder_details'] {
  const f = 'prefilled_cardholder_details';
  if (!isObject(v)) throw invalid('P0102', f, 'Must be an object');
  const out: NonNullable<CreatePaymentInput['prefilled_cardholder_details']> = {};
  const name = str(v, 'cardholder_name', 255, 'P0102', `${f}.cardholder_name`);
  if (name !== undefined) out.cardholder_name = name;
  if (has(v, 'billing_address')) {
    const a = v.billing_address;
    if (!isObject(a)) throw invalid('P0102', `${f}.billing_address`, 'Must be an object');
    const address: Address = {};
    for (const [k, max] of [
      ['line1', 255],
      ['line2', 255],
      ['city', 255],
      ['postcode', 25],
      ['country', 2],
    ] as const) {
      const s =
        k === 'country'
          ? typeof a.country === 'string' && /^[A-Z]{2}$/.test(a.country)
            ? a.country
            : undefined // an unknown country falls back to GB
          : str(a, k, max, 'P0102', `${f}.billing_address.${k}`);
      if (s !== undefined) address[k] = s;
    }
    out.billing_address = address;
  }
  return out;
}

export function validateCreatePayment(raw: unknown, live: boolean): CreatePaymentInput {
  if (!isObject(raw)) throw new PayError(400, 'P0197', 'Unable to parse JSON');
  const b = raw;
  const mode =
    oneOf(b, 'authorisation_mode', ['web', 'moto_api', 'agreement'] as const, 'Must be one of web, moto_api or agreement') ?? 'web';
  for (const k of ['amount', 'description', 'reference']) if (!has(b, k)) throw missing('P0101', k);
  if (mode === 'web' && !has(b, 'return_url')) throw missing('P0101', 'return_url');
  if (mode === 'agreement' && !has(b, 'agreement_id')) throw missing('P0101', 'agreement_id');
  const amount = amountOf(b, 'amount', 'P0102', 1);
  const description = str(b, 'description', 255)!;
  const reference = str(b, 'reference', 255)!;
  const returnUrl = str(b, 'return_url', 2000);
  if (returnUrl !== undefined && !validUrl(returnUrl, live)) throw invalid('P0102', 'return_url', 'Must be a valid URL format');
  const email = str(b, 'email', 254);
  const language = oneOf(b, 'language', ['en', 'cy'] as const, 'Must be "en" or "cy"') ?? 'en';
  const delayedCapture = bool(b, 'delayed_capture') ?? false;
  const moto = bool(b, 'moto') ?? false;
  const metadata = has(b, 'metadata') ? metadataOf(b.metadata) : undefined;
  const prefilled = has(b, 'prefilled_cardholder_details') ? prefilledOf(b.prefilled_cardholder_details) : undefined;
  const agreementType = oneOf(
    b,
    'agreement_payment_type',
    ['instalment', 'recurring', 'unscheduled'] as const,
    'Must be one of instalment, recurring or unscheduled',
  );
  const setUp = str(b, 'set_up_agreement', 26);
  if (setUp !== undefined && setUp.length !== 26) throw invalid('P0102', 'set_up_agreement', 'Field [set_up_agreement] length must be 26');
  const agreementId = str(b, 'agreement_id', 26);
  if (agreementId !== undefined && agreementId.length !== 26)
    throw invalid('P0102', 'agreement_id', 'Field [agreement_id] length must be 26');

  if (mode === 'moto_api') {
    for (const k of ['return_url', 'set_up_agreement', 'agreement_id']) if (has(b, k)) throw unexpected(k);
  } else if (mode === 'agreement') {
    for (const k of ['return_url', 'email', 'prefilled_cardholder_details', 'set_up_agreement']) if (has(b, k)) throw unexpected(k);
  } else if (agreementId !== undefined) {
    throw unexpected('agreement_id');
  }
  if (agreementType && mode !== 'agreement' && setUp === undefined) throw unexpected('agreement_payment_type');
  return {
    amount,
    description,
    reference,
    language,
    delayed_capture: delayedCapture,
    moto,
    authorisation_mode: mode,
    ...(returnUrl !== undefined ? { return_url: returnUrl } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(metadata ? { metadata } : {}),
    ...(prefilled ? { prefilled_cardholder_details: prefilled } : {}),
    ...(agreementType ? { agreement_payment_type: agreementType } : {}),
    ...(setUp ? { set_up_agreement: setUp } : {}),
    ...(agreementId ? { agreement_id: agreementId } : {}),
  };
}

export function validateRefund(raw: unknown): { amount: number; refund_amount_available?: number } {
  if (!isObject(raw)) throw new PayError(400, 'P0697', 'Unable to parse JSON');
  if (!has(raw, 'amount')) throw missing('P0601', 'amount');
  const amount = amountOf(raw, 'amount', 'P0602', 1);
  const available = has(raw, 'refund_amount_available') ? amountOf(raw, 'refund_amount_available', 'P0602', 1) : undefined;
  return { amount, ...(available !== undefined ? { refund_amount_available: available } : {}) };
}

export function validateCreateAgreement(raw: unknown): { reference: string; description: string; user_identifier?: string } {
  if (!isObject(raw)) throw new PayError(400, 'P2197', 'Unable to parse JSON');
  for (const k of ['reference', 'description']) if (!has(raw, k)) throw missing('P2101', k);
  const reference = str(raw, 'reference', 255, 'P2102')!;
  const description = str(raw, 'description', 255, 'P2102')!;
  const user = str(raw, 'user_identifier', 255, 'P2102');
  for (const [k, v] of [
    ['reference', reference],
    ['description', description],
    ['user_identifier', user],
  ] as const) {
    if (v !== undefined && v.trim() === '') throw invalid('P2102', k, 'Must be at least 1 characters length');
  }
  return { reference, description, ...(user !== undefined ? { user_identifier: user } : {}) };
}

export interface MotoAuthInput {
  one_time_token: string;
  card_number: string;
  cvc: string;
  expiry_date: string;
  cardholder_name: string;
}

export function validateMotoAuth(raw: unknown): MotoAuthInput {
  if (!isObject(raw)) throw new PayError(400, 'P0197', 'Unable to parse JSON');
  const at422 = (e: PayError) => {
    e.status = 422;
    return e;
  };
  for (const k of ['one_time_token', 'card_number', 'cvc', 'expiry_date', 'cardholder_name'])
    if (!has(raw, k)) throw at422(missing('P0101', k));
  for (const k of ['one_time_token', 'card_number', 'cvc', 'expiry_date', 'cardholder_name']) {
    if (typeof raw[k] !== 'string') throw invalid('P0102', k, 'Must be a valid string format');
  }
  const v = raw as unknown as MotoAuthInput;
  if (!/^\d{12,19}$/.test(v.card_number)) throw invalid('P0102', 'card_number', 'Must be between 12 and 19 characters long');
  if (!/^\d{3,4}$/.test(v.cvc)) throw invalid('P0102', 'cvc', 'Must be between 3 and 4 characters long');
  if (!/^(0[1-9]|1[0-2])\/\d{2}$/.test(v.expiry_date)) throw invalid('P0102', 'expiry_date', 'Must be a valid date with the format MM/YY');
  if (v.cardholder_name.length > 255 || !v.cardholder_name.trim())
    throw invalid('P0102', 'cardholder_name', 'Must be less than or equal to 255 characters length');
  return v;
}

// Search parameters: every one is a string in the query; bad ones are reported together.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A day that exists: JavaScript's Date.parse takes 2026-02-30 (as 2 March); PostgreSQL does not. */
const realDay = (s: string) => {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number);
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};
const realTime = (s: string) => {
  const [h, min, sec] = s.slice(11, 19).split(':').map(Number);
  return h <= 23 && min <= 59 && sec <= 59;
};
const validDateTime = (s: string) => DATE_TIME.test(s) && realDay(s) && realTime(s) && !Number.isNaN(Date.parse(s));
const validDate = (s: string) => DATE.test(s) && realDay(s);

export interface Paging {
  page: number;
  size: number;
}

export function searchParams(
  q: Record<string, unknown>,
  code: string,
  rules: Record<string, (v: string) => boolean>,
): { values: Record<string, string>; paging: Paging } {
  const bad: string[] = [];
  const values: Record<string, string> = {};
  const all: Record<string, (v: string) => boolean> = {
    ...rules,
    page: (v) => /^\d{1,9}$/.test(v) && Number(v) >= 1,
    display_size: (v) => /^\d{1,9}$/.test(v) && Number(v) >= 1 && Number(v) <= 500,
  };
  for (const [name, ok] of Object.entries(all)) {
    const raw = q[name];
    if (raw === undefined || raw === '') continue;
    const v = Array.isArray(raw) ? String(raw[0]) : String(raw);
    if (!ok(v)) bad.push(name);
    else values[name] = v;
  }
  if (bad.length) throw invalidParams(code, bad);
  return { values, paging: { page: Number(values.page ?? 1), size: Number(values.display_size ?? 500) } };
}

export const any = () => true;
export const rule = {
  dateTime: validDateTime,
  date: validDate,
  digits: (n: number) => (v: string) => new RegExp(`^\\d{${n}}$`).test(v),
  oneOf: (values: string[]) => (v: string) => values.includes(v),
  maxLength: (n: number) => (v: string) => v.length <= n,
};
