// The route index: every route the app serves (method, path, module, how it is authenticated,
// whether a schema checks it), collected by an onRoute hook as the routes are added, so
// `cityscape routes` prints the running app's own registry rather than a list kept by hand
// (postcodes.io shows its whole API on one screen; this is ours).
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RouteInfo {
  method: string;
  path: string;
  /** The module whose routes() added it; `kernel` for health, metrics, assets and the API docs. */
  module: string;
  /** How callers authenticate (`staff session`, `Pay API key`, …), or `-` for public routes. */
  auth: string;
  /** Whether a schema describes the request (params, query, body or headers). */
  schema: boolean;
}

const MODULE = Symbol('cityscape.module');
const AUTH = Symbol('cityscape.auth');
type Tagged = FastifyInstance & { [MODULE]?: string; [AUTH]?: string };

/**
 * Names the module that owns `scope`'s routes. Plugin scopes inherit their parent's properties
 * (Fastify makes each with Object.create), so the routes of nested plugins are named too.
 */
export function tagModule(scope: FastifyInstance, module: string): void {
  (scope as Tagged)[MODULE] = module;
}

/**
 * Says how the routes added to `scope` from now on are authenticated: call it beside the
 * hook that checks. A route's own `config.auth` wins; an OpenAPI `security` in its schema
 * is used when neither says.
 */
export function declareAuth(scope: FastifyInstance, how: string): void {
  (scope as Tagged)[AUTH] = how;
}

const SECURITY_NAMES: Record<string, string> = {
  bearerAuth: 'bearer key',
  consentApiKey: 'Consent API key',
};

/** Starts collecting; call before any route is added (onRoute hooks are copied into child scopes when they are made). */
export function collectRoutes(app: FastifyInstance): RouteInfo[] {
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', function (this: FastifyInstance, r: RouteOptions) {
    const scope = this as Tagged;
    const schema = (r.schema ?? {}) as Record<string, unknown> & { security?: Array<Record<string, unknown>>; hide?: boolean };
    const fromSchema = schema.security
      ?.flatMap((s) => Object.keys(s))
      .map((k) => SECURITY_NAMES[k] ?? k)
      .join(' or ');
    const auth = (r.config as { auth?: string } | undefined)?.auth ?? scope[AUTH] ?? (fromSchema || '-');
    const described = ['params', 'querystring', 'body', 'headers'].some((k) => schema[k] !== undefined);
    for (const method of [r.method].flat()) {
      // Fastify adds a HEAD beside every GET; it says nothing the GET does not.
      if (method === 'HEAD' && routes.some((x) => x.method === 'GET' && x.path === r.url)) continue;
      routes.push({ method, path: r.url, module: scope[MODULE] ?? 'kernel', auth, schema: described });
    }
  });
  return routes;
}

/** The index sorted for reading: by path, then method. */
export function sortedRoutes(routes: RouteInfo[]): RouteInfo[] {
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  return [...routes].sort((a, b) => a.path.localeCompare(b.path) || order.indexOf(a.method) - order.indexOf(b.method));
}
