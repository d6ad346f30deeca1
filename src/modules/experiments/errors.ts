// The experiments API's errors. Flag-management routes answer in Cityscape's own shape with the
// schema problems listed; OFREP routes answer in OFREP's shape ({ errorCode, errorDetails }).
import { HttpError, type ErrorInfo } from '../../kernel/errors.js';
import type { Problem } from './flagd.js';

export class InvalidDocument extends HttpError {
  constructor(public problems: Problem[]) {
    super(
      400,
      'invalid_flag_document',
      `The flag document is not valid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      problems.map((p) => ({ field: p.path, message: p.message })),
    );
  }
}

/** OFREP's error body: 400s name an OpenFeature error code; 401/403/404/429/500 carry details only. */
export function ofrepErrorBody(e: ErrorInfo): Record<string, unknown> {
  if (e.status >= 500) return { errorDetails: 'An internal server error occurred while processing the request' };
  if (e.code.startsWith('ofrep:'))
    return { ...(e.fields[0] ? { key: e.fields[0].field } : {}), errorCode: e.code.slice(6), errorDetails: e.message };
  if (e.status === 400) return { errorCode: e.code === 'validation_error' ? 'INVALID_CONTEXT' : 'PARSE_ERROR', errorDetails: e.message };
  return { errorDetails: e.message };
}

/** An OFREP evaluation failure (400 or 404) in the spec's shape. */
export class OfrepError extends HttpError {
  constructor(status: number, errorCode: string, details: string, key?: string) {
    super(status, `ofrep:${errorCode}`, details, key !== undefined ? [{ field: key, message: details }] : []);
  }
}
