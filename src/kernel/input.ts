// Input the database cannot store is refused at the edge, once, for every route: a NUL
// character (PostgreSQL's text and jsonb reject it, error 22021) or an unpaired UTF-16
// surrogate (it has no UTF-8 form, error 22P05) in the path, the query, a header or any string
// (or object key) of a JSON or form body. The request fails with a 400 BadRequest
// (code `invalid_characters`, the field at fault named), which each API's own error formatter
// turns into its shape and pages show as a GOV.UK error page. Binary bodies (Buffers) are
// not inspected: only what was parsed into strings. After validation, a number that is not
// finite (Infinity, from "Infinity" or a 400-digit value) is refused as a validation error.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from './errors.js';

export const INVALID_CHARACTERS = 'invalid_characters';

/** True when `s` holds a NUL or a lone surrogate. */
export function unstorable(s: string): boolean {
  return s.includes('\u0000') || !(s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The path (dot-separated) of the first unstorable string in a parsed value, or null. */
export function findUnstorable(value: unknown, path = '', depth = 0, seen = new WeakSet<object>()): string | null {
  if (typeof value === 'string') return unstorable(value) ? path || 'value' : null;
  if (value === null || typeof value !== 'object' || depth > 64 || Buffer.isBuffer(value) || seen.has(value)) return null;
  seen.add(value); // a parser's objects may refer to each other (multipart parts to their fields)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = findUnstorable(value[i], path ? `${path}.${i}` : String(i), depth + 1, seen);
      if (at) return at;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (unstorable(key)) return at;
    const inner = findUnstorable((value as Record<string, unknown>)[key], at, depth + 1, seen);
    if (inner) return inner;
  }
  return null;
}

export class InvalidCharacters extends BadRequest {
  constructor(
    public where: 'path' | 'query' | 'header' | 'body',
    field: string,
  ) {
    const label = where === 'header' ? `header ${field}` : field;
    super(
      `${label} contains a character that is not allowed: a NUL character or an unpaired surrogate (not valid Unicode)`,
      [
        {
          field: where === 'header' ? `header:${field}` : field,
          message: `${label} must not contain NUL characters or unpaired surrogates`,
        },
      ],
      INVALID_CHARACTERS,
    );
  }
}

function checkUrlAndHeaders(req: FastifyRequest): void {
  const at = findUnstorable(req.params ?? {});
  if (at) throw new InvalidCharacters('path', at);
  const q = findUnstorable(req.query ?? {});
  if (q) throw new InvalidCharacters('query', q);
  // A %00 the router could not tie to a parameter (an unknown route, a raw path segment).
  const raw = req.raw.url ?? '';
  const split = raw.indexOf('?');
  const nul = /%00|\u0000/i;
  if (nul.test(split < 0 ? raw : raw.slice(0, split))) throw new InvalidCharacters('path', 'path');
  if (split >= 0 && nul.test(raw.slice(split))) throw new InvalidCharacters('query', 'query');
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value) ? value.some(unstorable) : unstorable(String(value))) throw new InvalidCharacters('header', name);
  }
}

/** The path of the first number that is not finite (Infinity, NaN), or null. */
export function findNonFinite(value: unknown, path = '', depth = 0, seen = new WeakSet<object>()): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path || 'value';
  if (value === null || typeof value !== 'object' || depth > 64 || Buffer.isBuffer(value) || seen.has(value)) return null;
  seen.add(value);
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    const at = findNonFinite(v, path ? `${path}.${k}` : k, depth + 1, seen);
    if (at) return at;
  }
  return null;
}

/**
 * Schema validation coerces "Infinity" (and a 400-digit number, which becomes Infinity) to a
 * number, and ajv then skips `maximum` for it — a limit of 365 days let Infinity through to
 * PostgreSQL. So after validation, any number that is not finite is a validation error, worded
 * and shaped like ajv's own (each API's formatter already handles those).
 */
function nonFiniteError(where: 'querystring' | 'params' | 'body', at: string) {
  const err = new Error(`${at} must be a finite number`) as Error & Record<string, unknown>;
  err.statusCode = 400;
  err.validationContext = where;
  err.validation = [{ instancePath: `/${at.split('.').join('/')}`, keyword: 'type', params: {}, message: 'must be a finite number' }];
  return err;
}

/** Install the edge checks: URL and headers on request (before any module's hooks), bodies once parsed. */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => checkUrlAndHeaders(req));
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) return;
    const at = findUnstorable(req.body);
    if (at) throw new InvalidCharacters('body', at === 'value' ? 'body' : at);
  });
  app.addHook('preHandler', async (req) => {
    for (const [where, value] of [
      ['querystring', req.query],
      ['params', req.params],
      ['body', req.body],
    ] as const) {
      const at = findNonFinite(value);
      if (at) throw nonFiniteError(where, at);
    }
  });
}
