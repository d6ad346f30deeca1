// Server-side sessions (kernel.sessions, only a hash of the cookie value is stored) and
// CSRF protection for every form: a token bound to the browser's session, so that a cookie
// planted from a sibling origin cannot carry a valid one (see installCsrf).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { hmac, randomToken, safeEqual, sha256 } from './crypto.js';
import { HttpError, SessionExpired } from './errors.js';

export const SESSION_COOKIE = 'cs_session';
/** Over https the browser's CSRF cookie is `__Host-` prefixed: no other origin, sibling sub-domains included, can set it. */
export const csrfCookieName = (config: Pick<Config, 'secureCookies'>) => (config.secureCookies ? '__Host-cs_csrf' : 'cs_csrf');
const IDLE_SECONDS = 2 * 60 * 60;
/** The session id a request ends with, once create or destroy has run in it (null: none); forms are bound to it. */
const CURRENT = Symbol('cityscape.session');
type WithCurrent = FastifyRequest & { [CURRENT]?: string | null };
const currentSessionId = (req: FastifyRequest): string | null => {
  const c = (req as WithCurrent)[CURRENT];
  return c !== undefined ? c : (req.cookies?.[SESSION_COOKIE] ?? null);
};
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
      if (reply.request) (reply.request as WithCurrent)[CURRENT] = id;
    },
    async destroy(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const id = req.cookies[SESSION_COOKIE];
      if (id) await db.query('DELETE FROM kernel.sessions WHERE id_hash = $1', [sha256(id)]);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      if (reply.request) (reply.request as WithCurrent)[CURRENT] = null;
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;

/**
 * CSRF. A form's token has two parts: `HMAC(secret, browser cookie)`, where the cookie is a
 * random value given to each browser, and `HMAC(secret, session id)` for the session the page
 * was rendered in (empty without one). A state-changing request sent by a browser form
 * (urlencoded or multipart), or with a session cookie, must carry a token:
 *  - whose session part matches its session cookie: the request acts in that session. The
 *    session id is a secret only this browser holds, so no one else can make this part;
 *  - or, failing that, whose browser part matches its browser cookie: the request is handled
 *    as if it carried no session cookie. So a form rendered before a sign-in (which gives a
 *    new session id), or in another tab, still works for what needs no session (a feedback
 *    form, the sign-in form itself), while a browser cookie planted from a sibling origin,
 *    whose token the planter knows, can never act in anyone's session.
 * Forms rendered in a response that also creates or ends a session are bound to the new one.
 * API calls with keys carry no cookies.
 */
export function installCsrf(app: FastifyInstance, config: Config): void {
  const cookieOpts = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies };
  const CSRF_COOKIE = csrfCookieName(config);
  const browserPart = (seed: string) => hmac(config.sessionSecret, `csrf-browser:${seed}`);
  const sessionPart = (id: string) => hmac(config.sessionSecret, `csrf-session:${id}`);
  app.decorateRequest('csrfToken', function (this: FastifyRequest) {
    const self = this as FastifyRequest & { _csrfSeed?: string };
    if (!self._csrfSeed) self._csrfSeed = this.cookies[CSRF_COOKIE] || randomToken(18);
    const session = currentSessionId(this);
    return `${browserPart(self._csrfSeed)}.${session ? sessionPart(session) : ''}`;
  });
  // Callback hooks, not async ones: they run on every request (API calls included), and an
  // async hook costs a promise and a microtask each time.
  app.addHook('onSend', (req, reply, _payload, done) => {
    const seed = (req as any)._csrfSeed as string | undefined;
    if (seed && req.cookies[CSRF_COOKIE] !== seed) reply.setCookie(CSRF_COOKIE, seed, cookieOpts);
    done();
  });
  app.addHook('preHandler', (req, _reply, done) => {
    checkCsrf(req); // a throw here is the request's error
    done();
  });
  function checkCsrf(req: FastifyRequest): void {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const type = req.headers['content-type'] ?? '';
    const fromForm = type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data');
    const session = req.cookies[SESSION_COOKIE];
    if (!fromForm && !session) return;
    if ((req.routeOptions.config as any)?.csrf === false) return;
    const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.headers['x-csrf-token'];
    const [browser, bound] = typeof sent === 'string' ? sent.split('.') : [];
    if (session && bound && safeEqual(bound, sessionPart(session))) return;
    const seed = req.cookies[CSRF_COOKIE];
    if (seed && browser && safeEqual(browser, browserPart(seed))) {
      if (session) delete req.cookies[SESSION_COOKIE]; // not this session's form: it acts without one
      return;
    }
    throw new HttpError(403, 'csrf_failed', 'This form has expired. Go back, reload the page and try again.');
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    csrfToken(): string;
  }
}
