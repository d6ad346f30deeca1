// The Consent API's error shape is the reference implementation's: `{ errorCode, errorDescription }`
// with the HTTP status as the code. One formatter turns every error under /consent into it;
// 5xx descriptions never carry details.
import { HttpError, type ErrorInfo } from '../../kernel/errors.js';

export class ConsentError extends HttpError {
  constructor(status: number, description: string, field?: string) {
    super(status, `consent_${status}`, description, field ? [{ field, message: description }] : []);
  }
}
export const badRequest = (description: string, field?: string) => new ConsentError(400, description, field);
export const notFound = (what: string, id: string) => new ConsentError(404, `${what} ${JSON.stringify(id.slice(0, 100))} was not found`);
export const forbidden = (description: string) => new ConsentError(403, description);
export const conflict = (description: string) => new ConsentError(409, description);

export function consentErrorBody(e: ErrorInfo): {
  errorCode: number;
  errorDescription: string;
  errors?: Array<{ field: string; message: string }>;
} {
  const description =
    e.status >= 500
      ? 'Sorry, there is a problem with the service'
      : e.status === 401
        ? 'Authentication is required: send Authorization: ApiKey <consent API key>, or Bearer <access token>'
        : e.status === 404 && !e.code.startsWith('consent_')
          ? 'Not found'
          : e.message;
  return { errorCode: e.status, errorDescription: description, ...(e.fields.length && e.status < 500 ? { errors: e.fields } : {}) };
}
