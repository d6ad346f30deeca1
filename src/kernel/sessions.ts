// Server-side sessions (kernel.sessions, only a hash of the cookie value is stored) and
// CSRF protection for every form: a double-submit token bound to a per-browser cookie.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { hmac, randomToken, safeEqual, sha256 } from './crypto.js';
import { HttpError, SessionExpired } from './errors.js';

export const SESSION_COOKIE = 'cs_session';
const CSRF_COOKIE = 'cs_csrf';
const IDLE_SECONDS = 2 * 60 * 60;
/** How long a session lasts unused (the cookies page says so). */
export const SESSION_IDLE_SECONDS = IDLE_SECONDS;

export type SessionData = Record<string, unknown>;

export function createSessions(db: Db, config: Config) {
  const cookieOpts = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies };
  return {
    /** The session for this request; throws SessionExpired if its cookie names one that has ended. */
    async load(req: FastifyRequest): Promise<{ id: string; data: SessionData } | null> {
      const id = req.cookies[SESSION_COOKIE];
      if (!id) return null;
      const { rows } = await db.query<{ data: SessionData }>(
        `UPDATE kernel.sessions SET expires_at = now() + make_interval(secs => $2)
          WHERE id_hash = $1 AND expires_at > now() RETURNING data`,
        [sha256(id), IDLE_SECONDS],
      );
      if (!rows[0]) throw new SessionExpired();
      return { id, data: rows[0].data };
    },
    /** A new session (a new id every sign-in, so a fixed id can never be carried over). */
    async create(reply: FastifyReply, data: SessionData): Promise<void> {
      const id = randomToken();
      await db.query(`INSERT INTO kernel.sessions (id_hash, data, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [
        sha256(id),
        JSON.stringify(data),
        IDLE_SECONDS,
      ]);
      await db.query('DELETE FROM kernel.sessions WHERE expires_at < now()');
      reply.setCookie(SESSION_COOKIE, id, cookieOpts);
    },
    async destroy(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const id = req.cookies[SESSION_COOKIE];
      if (id) await db.query('DELETE FROM kernel.sessions WHERE id_hash = $1', [sha256(id)]);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;

/**
 * CSRF: each browser gets a random cookie; forms carry HMAC(secret, cookie) in `_csrf`.
 * Every state-changing request sent by a browser form (urlencoded or multipart), or with a
 * session cookie, must carry the matching token. API calls with keys carry no cookies.
 */
export function installCsrf(app: FastifyInstance, config: Config): void {
  const cookieOpts = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies };
  app.decorateRequest('csrfToken', function (this: FastifyRequest) {
    const self = this as FastifyRequest & { _csrfSeed?: string };
    if (!self._csrfSeed) self._csrfSeed = this.cookies[CSRF_COOKIE] || randomToken(18);
    return hmac(config.sessionSecret, self._csrfSeed);
  });
  app.addHook('onSend', async (req, reply) => {
    const seed = (req as any)._csrfSeed as string | undefined;
    if (seed && req.cookies[CSRF_COOKIE] !== seed) reply.setCookie(CSRF_COOKIE, seed, cookieOpts);
  });
  app.addHook('preHandler', async (req) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return;
    const type = req.headers['content-type'] ?? '';
    const fromForm = type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data');
    if (!fromForm && !req.cookies[SESSION_COOKIE]) return;
    if ((req.routeOptions.config as any)?.csrf === false) return;
    const seed = req.cookies[CSRF_COOKIE];
    const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.headers['x-csrf-token'];
    if (!seed || typeof sent !== 'string' || !safeEqual(sent, hmac(config.sessionSecret, seed))) {
      throw new HttpError(403, 'csrf_failed', 'This form has expired. Go back, reload the page and try again.');
    }
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    csrfToken(): string;
  }
}
