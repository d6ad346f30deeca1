// The exchange's own errors, as X-Road's REST protocol gives them: a JSON body
// {type, message, detail} (detail: the X-Road-Id) and an X-Road-Error header naming the type,
// so a client can tell an error of the exchange from a provider's own error (which passes
// through unchanged). The HTTP status says what kind of failure it was.
import { HttpError, type ErrorInfo } from '../../kernel/errors.js';

export class XRoadError extends HttpError {
  constructor(
    status: number,
    public type: string,
    message: string,
  ) {
    super(status, type, message);
  }
}

export const bad = (message: string) => new XRoadError(400, 'Client.BadRequest', message);
export const missingHeader = (name: string) => new XRoadError(400, 'Client.MissingHeader', `The ${name} header is required`);
export const badClient = (message: string) => new XRoadError(400, 'Client.InvalidClientIdentifier', message);
export const unauthorised = (message: string) => new XRoadError(401, 'Client.Unauthorized', message);
export const denied = (message: string) => new XRoadError(403, 'Server.ServerProxy.AccessDenied', message);
export const unknownService = (message: string) => new XRoadError(404, 'Server.ServerProxy.UnknownService', message);
export const unknownMember = (message: string) => new XRoadError(404, 'Server.ClientProxy.UnknownMember', message);
export const serviceFailed = (message: string, status = 502) => new XRoadError(status, 'Server.ServerProxy.ServiceFailed', message);
export const invalidSignature = (message: string) => new XRoadError(401, 'Server.ServerProxy.InvalidSignatureValue', message);
export const internal = () => new XRoadError(500, 'Server.ClientProxy.InternalError', 'The exchange could not process the request');

/** Fastify's own refusals (body too large, rate limits) in X-Road's shape. */
export function xroadType(e: ErrorInfo): string {
  if (e.status === 401) return 'Client.Unauthorized';
  if (e.status === 404) return 'Server.ClientProxy.UnknownService';
  if (e.status < 500) return 'Client.BadRequest';
  return 'Server.ClientProxy.InternalError';
}

export function xroadBody(type: string, message: string, detail: string) {
  return { type, message, detail };
}
