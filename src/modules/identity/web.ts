// What every identity page shares: the journey state kept in the kernel session (a new
// session id at every step, so no id chosen before signing in survives it), the signed-in
// account, the interaction a journey belongs to (`uid`), and IdentityErrors as form errors.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { SessionExpired, type FieldError } from '../../kernel/errors.js';
import { str, type FormBody } from '../../kernel/forms.js';
import { requestLang, translator, type Lang } from '../../kernel/views.js';
import type { SessionData } from '../../kernel/sessions.js';
import { IdentityError, type Accounts, type SignedIn } from './accounts.js';

export interface JourneyState {
  signInId?: string;
  /** Registration: a code was sent to this address, then checked (epoch ms), so a password may be set for it. */
  registerEmail?: string;
  registerVerifiedAt?: number;
  /** Password reset: likewise. */
  resetEmail?: string;
  resetVerifiedAt?: number;
  /** Second factor being set up: the authenticator secret (sealed) or the phone number. */
  totpSecret?: string;
  smsPhone?: string;
  /** Identity just proved: where its success page's button goes (POST-redirect-GET). */
  provedNext?: string;
}

/** The catalogue service a journey's relying service belongs to (for "continue to …"). */
export type ServiceOf = (uid: string) => Promise<{ name: string; name_cy: string | null } | null>;

const STEP_MAX_AGE_MS = 15 * 60 * 1000;
/** Rate limit per client address for sign-in, code and identity-check pages. */
export const LIMITED = { rateLimit: { max: 30, timeWindow: '1 minute' } };
/** Session key (outside the journey, so it survives every step) of where to go after signing in or proving. */
const RETURN_KEY = 'identityReturnTo';

/** A path on this site only (no scheme, no host, no `//` or backslash tricks, no control characters). */
export function localPath(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 2000 || !v.startsWith('/') || v.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(v))
    return null;
  return v;
}
const UID = /^[A-Za-z0-9_-]{8,64}$/;

type Loaded = { data: SessionData; journey: JourneyState };

export function createWeb(k: Kernel, accounts: Accounts, serviceOf: ServiceOf) {
  const { sessions } = k;

  async function load(req: FastifyRequest): Promise<Loaded> {
    const cached = (req as FastifyRequest & { _identity?: Loaded })._identity;
    if (cached) return cached;
    let data: SessionData = {};
    try {
      data = (await sessions.load(req))?.data ?? {};
    } catch (e) {
      if (!(e instanceof SessionExpired)) throw e;
    }
    const loaded = { data, journey: (data.identity ?? {}) as JourneyState };
    (req as FastifyRequest & { _identity?: Loaded })._identity = loaded;
    return loaded;
  }

  const web = {
    t: (req: FastifyRequest) => translator(k.views.messages, requestLang(req)),
    lang: (req: FastifyRequest): Lang => requestLang(req),
    journey: async (req: FastifyRequest) => (await load(req)).journey,

    /** Saves the journey under a new session id (other modules' session data is kept). */
    async save(req: FastifyRequest, reply: FastifyReply, journey: JourneyState): Promise<void> {
      const { data } = await load(req);
      if (req.cookies.cs_session) await sessions.destroy(req, reply);
      const next = { ...data, identity: journey };
      await sessions.create(reply, next);
      (req as FastifyRequest & { _identity?: Loaded })._identity = { data: next, journey };
    },

    /** The signed-in account of this browser, if its sign-in is still live. */
    async signedIn(req: FastifyRequest): Promise<SignedIn | null> {
      const cached = (req as FastifyRequest & { _signedIn?: SignedIn | null })._signedIn;
      if (cached !== undefined) return cached;
      const { journey } = await load(req);
      const s = journey.signInId ? await accounts.liveSignIn(journey.signInId) : null;
      (req as FastifyRequest & { _signedIn?: SignedIn | null })._signedIn = s;
      return s;
    },

    /** Signs this browser in as `accountId` at `level`: a new sign-in row and a new session id. */
    async signIn(req: FastifyRequest, reply: FastifyReply, accountId: string, level: 'Cl' | 'Cl.Cm'): Promise<void> {
      const previous = (await load(req)).journey.signInId;
      if (previous) await accounts.endSignIn(previous);
      const signInId = await accounts.startSignIn(accountId, level);
      await web.save(req, reply, { signInId });
      (req as FastifyRequest & { _signedIn?: SignedIn | null })._signedIn = undefined;
    },

    /**
     * Another Cityscape page sent the citizen here (`?return_to=/local/path`) to sign in or prove
     * their identity and come back; remembered in the session until a journey without one starts.
     */
    async rememberReturn(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const wanted = localPath((req.query as Record<string, unknown>)?.return_to);
      const loaded = await load(req);
      if (!wanted || loaded.data[RETURN_KEY] === wanted) return;
      loaded.data = { ...loaded.data, [RETURN_KEY]: wanted };
      await web.save(req, reply, loaded.journey);
    },
    /**
     * Where a journey outside an authorization ends: the remembered return path (used once, then
     * forgotten), or `fallback`.
     */
    async finish(req: FastifyRequest, reply: FastifyReply, uid: string | null, fallback = '/identity/account'): Promise<string> {
      if (uid) return web.done(uid);
      const loaded = await load(req);
      const to = localPath(loaded.data[RETURN_KEY]);
      if (!to) return fallback;
      const { [RETURN_KEY]: _used, ...rest } = loaded.data;
      loaded.data = rest;
      await web.save(req, reply, loaded.journey);
      return to;
    },

    /**
     * The name of the service the person came from (its catalogue name, in Welsh when there is
     * one), for a journey page inside an authorization; null elsewhere.
     */
    async cameFrom(req: FastifyRequest): Promise<string | null> {
      const memo = req as FastifyRequest & { _cameFrom?: string | null };
      if (memo._cameFrom !== undefined) return memo._cameFrom;
      const uid = web.uid(req);
      const s = uid ? await serviceOf(uid).catch(() => null) : null;
      memo._cameFrom = s ? (web.lang(req) === 'cy' && s.name_cy ? s.name_cy : s.name) : null;
      return memo._cameFrom;
    },
    /** The same, once looked up for this request (identity's pages look it up before their handler). */
    cameFromNow: (req: FastifyRequest): string | null => (req as FastifyRequest & { _cameFrom?: string | null })._cameFrom ?? null,

    fresh: (at: number | undefined) => typeof at === 'number' && Date.now() - at < STEP_MAX_AGE_MS,

    /** The interaction (`uid`) a journey page belongs to, from the query or the form. */
    uid(req: FastifyRequest): string | null {
      const v = (req.query as Record<string, unknown>)?.uid ?? (req.body as FormBody | undefined)?.uid;
      return typeof v === 'string' && UID.test(v) ? v : null;
    },
    /** A journey path carrying the interaction along. */
    to(path: string, uid: string | null): string {
      return uid ? `${path}${path.includes('?') ? '&' : '?'}uid=${encodeURIComponent(uid)}` : path;
    },
    /** Where a finished step goes: back to the interaction, or to "Your account" (see also `finish`). */
    done(uid: string | null): string {
      return uid ? `/identity/interaction/${uid}` : '/identity/account';
    },

    /** Form errors from an IdentityError (copy from identity.errors.*); anything else is rethrown. */
    errors(req: FastifyRequest, err: unknown, field: string): { fields: FieldError[]; status: number } {
      if (err instanceof IdentityError) {
        return {
          fields: [{ field, message: web.t(req)(`identity.errors.${err.code}`, err.params) }],
          status: err.status === 401 ? 400 : err.status,
        };
      }
      throw err;
    },
    field: (req: FastifyRequest, field: string, key: string, params: Record<string, string | number> = {}): FieldError => ({
      field,
      message: web.t(req)(`identity.errors.${key}`, params),
    }),
    str: (req: FastifyRequest, name: string, max?: number) => str(req.body as FormBody | undefined, name, max),
    /** Passwords are not trimmed. */
    password: (req: FastifyRequest, name: string) => {
      const v = (req.body as FormBody | undefined)?.[name];
      return typeof v === 'string' ? v.slice(0, 1000) : '';
    },
  };
  return web;
}
export type Web = ReturnType<typeof createWeb>;
