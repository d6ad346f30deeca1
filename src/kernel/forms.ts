// Form handling for GOV.UK pages: collect field errors with plain-English messages, turn
// them into the error summary list ({ text, href: '#field' }) and per-field messages, and
// map an HttpError's fields (from a service rule) onto the same shape.
import { Type, type TOptional, type TString } from '@sinclair/typebox';
import { HttpError, type FieldError } from './errors.js';

export type FormBody = Record<string, string | string[] | undefined>;

export interface FormErrors {
  errorList: Array<{ text: string; href: string }>;
  /** field → { text } ready for a govuk macro's errorMessage. */
  errors: Record<string, { text: string }>;
}

/**
 * A page route's path parameters, each a string: the router always gives one, so the schema
 * types `req.params` (with the TypeBox type provider) and never refuses a request.
 */
export function pathParams<K extends string>(...names: K[]) {
  return Type.Object(Object.fromEntries(names.map((n) => [n, Type.String()])) as { [P in K]: TString });
}

/**
 * A page route's query: the named fields, each an optional string; others pass through. The
 * page judges the values itself (a bad one is ignored, or shown in the error summary), so the
 * schema types `req.query` and refuses only a field given twice (a 400 page).
 */
export function queryFields<K extends string>(...names: K[]) {
  return Type.Object(Object.fromEntries(names.map((n) => [n, Type.Optional(Type.String())])) as { [P in K]: TOptional<TString> });
}

/**
 * A page's urlencoded form body, typed as FormBody: any fields, each a string or repeated
 * strings (checkboxes), or no body at all. Pages validate the fields themselves, to re-render
 * with the error summary, so this schema is permissive: it refuses only a JSON body with
 * nested values, which no form sends (the urlencoded parser makes only strings and arrays).
 * A body that is not an object passes, so a post with none still reaches the CSRF check.
 */
export const formBody = Type.Unsafe<FormBody | undefined>({
  anyOf: [Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())])), Type.Not(Type.Object({}))],
});

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
