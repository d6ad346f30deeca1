// Notify's error classes and its JSON error body, {status_code, errors: [{error, message}]},
// so clients written for GOV.UK Notify see the names and messages they already handle.
import { HttpError, type ErrorInfo } from '../../kernel/errors.js';

/** One Notify error: `error` is the class name clients see (AuthError, BadRequestError, …). */
export class NotifyError extends HttpError {
  constructor(status: number, error: string, message: string, more: Array<{ error: string; message: string }> = []) {
    super(
      status,
      error,
      message,
      more.map((m) => ({ field: m.error, message: m.message })),
    );
  }
}

export const authError = (message: string, status = 403) => new NotifyError(status, 'AuthError', message);
export const badRequest = (message: string) => new NotifyError(400, 'BadRequestError', message);
export const noResult = () => new NotifyError(404, 'NoResultFound', 'No result found');

/** Several schema messages at once, as Notify's request validation reports them. */
export function validationError(messages: string[]): NotifyError {
  return new NotifyError(
    400,
    'ValidationError',
    messages[0],
    messages.map((message) => ({ error: 'ValidationError', message })),
  );
}

export const TOKEN_GENERAL =
  'Invalid token: make sure your API token matches the example at https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header';

/** The module's apiErrorFormat for /notify: Notify's own errors as they are; anything else mapped onto its names. */
export function notifyErrorBody(e: ErrorInfo): { status_code: number; errors: Array<{ error: string; message: string }> } {
  const notifyNames = [
    'AuthError',
    'BadRequestError',
    'ValidationError',
    'NoResultFound',
    'RateLimitError',
    'TooManyRequestsError',
    'PDFNotReadyError',
  ];
  if (notifyNames.includes(e.code)) {
    const errors = e.fields.length
      ? e.fields.map((f) => ({ error: f.field, message: f.message }))
      : [{ error: e.code, message: e.message }];
    return { status_code: e.status, errors };
  }
  if (e.status >= 500) return { status_code: 500, errors: [{ error: 'Exception', message: 'Internal server error' }] };
  if (e.status === 404) return { status_code: 404, errors: [{ error: 'NoResultFound', message: 'No result found' }] };
  if (e.status === 429) return { status_code: 429, errors: [{ error: 'RateLimitError', message: e.message }] };
  if (e.code === 'payload_too_large')
    return { status_code: 413, errors: [{ error: 'BadRequestError', message: 'Request entity too large' }] };
  const message = /json/i.test(e.message) ? `Error decoding arguments: ${e.message}` : e.message;
  return { status_code: e.status, errors: [{ error: 'BadRequestError', message }] };
}
