// One error hierarchy and one handler. APIs answer in their compatible JSON shape
// (each module registers its formatter for its path prefix); pages get GOV.UK error pages.
// Details of 5xx errors are logged, never shown to the caller.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface FieldError {
  field: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public fields: FieldError[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}
export class BadRequest extends HttpError {
  constructor(message: string, fields: FieldError[] = [], code = 'bad_request') {
    super(400, code, message, fields);
  }
}
export class Unauthorised extends HttpError {
  constructor(message = 'Authentication is required', code = 'unauthorised') {
    super(401, code, message);
  }
}
export class Forbidden extends HttpError {
  constructor(message = 'You do not have permission to do this', code = 'forbidden') {
    super(403, code, message);
  }
}
export class NotFound extends HttpError {
  constructor(message = 'Not found', code = 'not_found') {
    super(404, code, message);
  }
}
export class Conflict extends HttpError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}
export class SessionExpired extends HttpError {
  constructor() {
    super(403, 'session_expired', 'Your session has expired');
  }
}

/** The normalised error each formatter receives. */
export interface ErrorInfo {
  status: number;
  code: string;
  message: string;
  fields: FieldError[];
  headers?: Record<string, string>;
}
export type ApiErrorFormatter = (e: ErrorInfo, req: FastifyRequest) => unknown;

/** Cityscape's own JSON error shape, for APIs without an older contract to match. */
export const defaultApiError: ApiErrorFormatter = (e) => ({
  status: e.status,
  code: e.code,
  message: e.message,
  ...(e.fields.length ? { errors: e.fields } : {}),
});

function fieldName(path: string, missing?: string): string {
  const parts = path.split('/').filter(Boolean);
  if (missing) parts.push(missing);
  return parts.join('.') || 'body';
}

/** Turn anything thrown into an ErrorInfo. Unknown errors become a bare 500. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, fields: err.fields };
  const fe = err as FastifyError & { validation?: any[]; validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    const fields = fe.validation.map((v: any) => {
      const field = fieldName(String(v.instancePath ?? ''), v.params?.missingProperty as string | undefined);
      return { field, message: `${field} ${v.message ?? 'is invalid'}` };
    });
    return { status: 400, code: 'validation_error', message: fields.map((f) => f.message).join('; ') || 'Invalid request', fields };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code =
      fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'payload_too_large'
        : status === 429
          ? 'rate_limited'
          : status === 415
            ? 'unsupported_media_type'
            : status === 404
              ? 'not_found'
              : 'bad_request';
    return { status, code, message: fe.message || 'Bad request', fields: [] };
  }
  return { status: 500, code: 'internal_error', message: 'Sorry, there is a problem with the service', fields: [] };
}

export interface ErrorRendering {
  /** Longest matching prefix wins. */
  apiFormats: Array<{ prefix: string; format: ApiErrorFormatter }>;
  renderPage(reply: FastifyReply, e: ErrorInfo): FastifyReply | Promise<FastifyReply>;
}

export function isApiRequest(req: FastifyRequest, r: ErrorRendering): ApiErrorFormatter | undefined {
  const path = req.url.split('?')[0];
  const match = r.apiFormats
    .filter((f) => path === f.prefix || path.startsWith(f.prefix.endsWith('/') ? f.prefix : f.prefix + '/'))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  if (match) return match.format;
  const routeApi = (req.routeOptions?.config as any)?.api;
  if (routeApi) return defaultApiError;
  const accept = req.headers.accept ?? '';
  if (!accept.includes('text/html') && (accept.includes('json') || req.method !== 'GET')) {
    if (!(req.headers['content-type'] ?? '').includes('form-urlencoded')) return defaultApiError;
  }
  return undefined;
}

export function installErrorHandling(app: FastifyInstance, r: ErrorRendering): void {
  const respond = async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const info = toErrorInfo(err);
    if (info.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: info.code, status: info.status }, 'request rejected');
    const headers = (err as any)?.headers;
    if (headers && typeof headers === 'object') reply.headers(headers);
    reply.status(info.status);
    const api = isApiRequest(req, r);
    if (api) return reply.type('application/json; charset=utf-8').send(api(info, req));
    return r.renderPage(reply, info);
  };
  app.setErrorHandler(respond);
  app.setNotFoundHandler((req, reply) => respond(new NotFound(`No page or resource at ${req.url.split('?')[0]}`), req, reply));
}
