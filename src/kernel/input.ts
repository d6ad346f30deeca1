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

/**
 * The path (dot-separated) of the first unstorable string in a parsed value, or null. Runs on
 * every request, so it allocates nothing for a value it accepts: the path is built only for
 * the string at fault, and the set of objects already visited (a parser's objects may refer to
 * each other, as multipart parts refer to their fields) only once there is a nested object.
 */
export function findUnstorable(value: unknown): string | null {
  if (typeof value === 'string') return unstorable(value) ? 'value' : null;
  const at = walk(value, (v) => typeof v === 'string' && unstorable(v), true, 0, undefined);
  return at === null ? null : at || 'value';
}

/** The path of the first number that is not finite (Infinity, NaN), or null. */
export function findNonFinite(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'value';
  const at = walk(value, (v) => typeof v === 'number' && !Number.isFinite(v), false, 0, undefined);
  return at === null ? null : at || 'value';
}

/** Depth-first over objects and arrays: the path of the first leaf (or, with `keys`, object key) that is `bad`, else null. */
function walk(
  value: unknown,
  bad: (v: unknown) => boolean,
  keys: boolean,
  depth: number,
  seen: WeakSet<object> | undefined,
): string | null {
  if (value === null || typeof value !== 'object' || depth > 64 || Buffer.isBuffer(value) || seen?.has(value)) return null;
  const visit = (child: unknown, name: string): string | null => {
    if (bad(child)) return name;
    if (child === null || typeof child !== 'object') return null;
    (seen ??= new WeakSet()).add(value);
    const inner = walk(child, bad, keys, depth + 1, seen);
    return inner === null ? null : `${name}.${inner}`;
  };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = visit(value[i], String(i));
      if (at !== null) return at;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (keys && unstorable(key)) return key;
    const at = visit((value as Record<string, unknown>)[key], key);
    if (at !== null) return at;
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

const NUL = /%00|\u0000/i;

function checkUrlAndHeaders(req: FastifyRequest): void {
  const at = findUnstorable(req.params ?? {});
  if (at) throw new InvalidCharacters('path', at);
  const q = findUnstorable(req.query ?? {});
  if (q) throw new InvalidCharacters('query', q);
  // A %00 the router could not tie to a parameter (an unknown route, a raw path segment).
  const raw = req.raw.url ?? '';
  const split = raw.indexOf('?');
  if (NUL.test(split < 0 ? raw : raw.slice(0, split))) throw new InvalidCharacters('path', 'path');
  if (split >= 0 && NUL.test(raw.slice(split))) throw new InvalidCharacters('query', 'query');
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string' ? unstorable(value) : Array.isArray(value) ? value.some(unstorable) : unstorable(String(value)))
      throw new InvalidCharacters('header', name);
  }
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

/**
 * Install the edge checks: URL and headers on request (before any module's hooks), bodies once
 * parsed. Callback hooks, not async ones: they run on every request, and an async hook costs
 * a promise and a turn of the microtask queue each time.
 */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    checkUrlAndHeaders(req); // a throw here is the request's error
    done();
  });
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body !== undefined && req.body !== null) {
      const at = findUnstorable(req.body);
      if (at) throw new InvalidCharacters('body', at === 'value' ? 'body' : at);
    }
    done();
  });
  app.addHook('preHandler', (req, _reply, done) => {
    let at = findNonFinite(req.query);
    if (at) throw nonFiniteError('querystring', at);
    if ((at = findNonFinite(req.params))) throw nonFiniteError('params', at);
    if ((at = findNonFinite(req.body))) throw nonFiniteError('body', at);
    done();
  });
}
