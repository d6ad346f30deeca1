// GOV.UK Pay's error contract: `{ code, description }` (plus `field` or `header` when one is at
// fault), with Pay's codes and wording, and the payment states' failure codes P0010…P0050.
// One formatter turns every error under /pay/v1 into that shape.
import type { FastifyRequest } from 'fastify';
import { HttpError, type ErrorInfo } from '../../kernel/errors.js';
import { INVALID_CHARACTERS } from '../../kernel/input.js';

/** A failure in Pay's terms. `header` names a request header at fault (Idempotency-Key). */
export class PayError extends HttpError {
  constructor(status: number, code: string, description: string, at: { field?: string; header?: string } = {}) {
    super(
      status,
      code,
      description,
      at.field ? [{ field: at.field, message: description }] : at.header ? [{ field: `header:${at.header}`, message: description }] : [],
    );
  }
}

export const missing = (code: string, field: string) => new PayError(400, code, `Missing mandatory attribute: ${field}`, { field });
export const invalid = (code: string, field: string, why: string) =>
  new PayError(422, code, `Invalid attribute value: ${field}. ${why}`, { field });
export const unexpected = (field: string) => new PayError(422, 'P0104', `Unexpected attribute: ${field}`, { field });
export const notFound = (code: string) => new PayError(404, code, 'Not found');
export const invalidParams = (code: string, names: string[]) =>
  new PayError(422, code, `Invalid parameters: ${names.join(', ')}. See Public API documentation for the correct data formats`);

/** The failure codes a finished payment's `state` carries. */
export const STATE_CODES = {
  P0010: 'Payment method rejected',
  P0020: 'Payment expired',
  P0030: 'Payment was cancelled by the user',
  P0040: 'Payment was cancelled by the service',
  P0050: 'Payment provider returned an error',
} as const;
export type StateCode = keyof typeof STATE_CODES;

/** The "downstream" code each endpoint answers with when something breaks on our side. */
function serverCode(method: string, path: string): string {
  const p = path.replace(/^\/pay/, '');
  if (p.startsWith('/v1/auth')) return 'P0050';
  if (p.startsWith('/v1/agreements'))
    return method === 'POST' ? (p.endsWith('/cancel') ? 'P2598' : 'P2198') : p === '/v1/agreements' ? 'P2498' : 'P2298';
  if (p.startsWith('/v1/refunds')) return 'P1898';
  if (p.startsWith('/v1/disputes')) return 'P0498';
  if (/\/refunds\/[^/]+$/.test(p)) return 'P0798';
  if (p.endsWith('/refunds')) return method === 'POST' ? 'P0698' : 'P0898';
  if (p.endsWith('/events')) return 'P0398';
  if (p.endsWith('/cancel')) return 'P0598';
  if (p.endsWith('/capture')) return 'P1098';
  if (p === '/v1/payments') return method === 'POST' ? 'P0198' : 'P0498';
  return 'P0298';
}

function parseCode(method: string, path: string): string {
  const p = path.replace(/^\/pay/, '');
  if (p.endsWith('/refunds')) return 'P0697';
  if (p.startsWith('/v1/agreements')) return 'P2197';
  return 'P0197';
}

/** The validation code of each endpoint: body attributes on POSTs, search parameters on GETs. */
function validationCode(method: string, path: string): string {
  const p = path.replace(/^\/pay/, '');
  if (method === 'GET') return p.startsWith('/v1/refunds') ? 'P1101' : p.startsWith('/v1/agreements') ? 'P2401' : 'P0401';
  if (p.endsWith('/refunds')) return 'P0602';
  if (p.startsWith('/v1/agreements')) return 'P2102';
  return 'P0102';
}

/** A NUL or unpaired surrogate refused at the edge (kernel/input.ts), in Pay's words for the part at fault. */
function invalidCharacters(e: ErrorInfo, req: FastifyRequest): Record<string, string> {
  const at = e.fields[0]?.field ?? '';
  const code = validationCode(req.method, req.url.split('?')[0]);
  const why = 'Must not contain NUL characters or unpaired surrogates';
  if (at.startsWith('header:')) return { header: at.slice(7), code, description: `Invalid header value: ${at.slice(7)}. ${why}` };
  if (req.method === 'GET')
    return { code, description: `Invalid parameters: ${at}. See Public API documentation for the correct data formats` };
  return { field: at, code, description: `Invalid attribute value: ${at}. ${why}` };
}

/** Pay's error body for anything thrown under /pay/v1. */
export function payErrorBody(e: ErrorInfo, req: FastifyRequest): Record<string, string> {
  const path = req.url.split('?')[0];
  if (/^P\d{4}$/.test(e.code)) {
    const at = e.fields[0]?.field;
    if (at?.startsWith('header:')) return { header: at.slice(7), code: e.code, description: e.message };
    return { ...(at ? { field: at } : {}), code: e.code, description: e.message };
  }
  if (e.code === INVALID_CHARACTERS) return invalidCharacters(e, req);
  if (e.status === 401) return { description: 'Credentials are required to access this resource.' };
  if (e.status === 429) return { code: 'P0900', description: 'Too many requests' };
  if (e.status === 404) return { description: 'Not found' };
  if (e.status === 415)
    return { code: 'P0920', description: 'Request blocked by security rules. Please consult API documentation for more information.' };
  if (e.status === 413 || (e.status === 400 && req.method === 'POST'))
    return { code: parseCode(req.method, path), description: 'Unable to parse JSON' };
  if (e.status >= 500) return { code: serverCode(req.method, path), description: 'Downstream system error' };
  return { description: e.message };
}
