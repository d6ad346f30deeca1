// Form handling for GOV.UK pages: collect field errors with plain-English messages, turn
// them into the error summary list ({ text, href: '#field' }) and per-field messages, and
// map an HttpError's fields (from a service rule) onto the same shape.
import { HttpError, type FieldError } from './errors.js';

export type FormBody = Record<string, string | string[] | undefined>;

export interface FormErrors {
  errorList: Array<{ text: string; href: string }>;
  /** field → { text } ready for a govuk macro's errorMessage. */
  errors: Record<string, { text: string }>;
}

export function formErrors(fields: FieldError[]): FormErrors {
  const errors: Record<string, { text: string }> = {};
  for (const f of fields) if (!errors[f.field]) errors[f.field] = { text: f.message };
  return { errorList: Object.entries(errors).map(([field, e]) => ({ text: e.text, href: `#${field}` })), errors };
}

/** A string from a urlencoded body (first value if repeated), trimmed. */
export function str(body: FormBody | undefined, name: string, max = 5000): string {
  const v = body?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim().slice(0, max) : '';
}

/** All values of a repeated field (checkboxes). */
export function list(body: FormBody | undefined, name: string): string[] {
  const v = body?.[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
}

/** Field errors from a rule failure, or rethrow anything else. */
export function fieldErrorsFrom(err: unknown, fallbackField: string): FieldError[] {
  if (err instanceof HttpError && err.status < 500 && err.status !== 401 && err.status !== 403) {
    return err.fields.length ? err.fields : [{ field: fallbackField, message: err.message }];
  }
  throw err;
}

/** Validates a YYYY-MM-DD date given as day/month/year inputs (GOV.UK date input). */
export function dateFromParts(
  body: FormBody | undefined,
  name: string,
  label: string,
  required = true,
): { value: string | null; error?: FieldError } {
  const d = str(body, `${name}-day`),
    m = str(body, `${name}-month`),
    y = str(body, `${name}-year`);
  if (!d && !m && !y) return required ? { value: null, error: { field: `${name}-day`, message: `Enter ${label}` } } : { value: null };
  const day = Number(d),
    month = Number(m),
    year = Number(y);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y) || date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) {
    return { value: null, error: { field: `${name}-day`, message: `${label[0].toUpperCase()}${label.slice(1)} must be a real date` } };
  }
  return { value: date.toISOString().slice(0, 10) };
}
