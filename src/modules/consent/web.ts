// What the citizen's pages share: the signed-in citizen (through identity; otherwise off to
// sign in and back), rendering with the module's copy, a safe way back to a service, and the
// plain-English words for an agreement (the facts, who holds them, how long it lasts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { renderPage, requestLang, translator, type Lang } from '../../kernel/views.js';
import type { AgreementAttribute, AgreementRow } from './store.js';

export interface CitizenView {
  accountId: string;
  email: string;
  phone: string | null;
  identityLevel: string;
  givenName: string | null;
  familyName: string | null;
}

/** What consent needs of identity (index.ts adapts the identity module to it). */
export interface IdentityView {
  citizen(req: FastifyRequest): Promise<CitizenView | null>;
  signInPath(back: string): string;
  /** Where to reach a citizen (notices), by account id. */
  contact(accountId: string): Promise<{ email: string; phone: string | null; name: string } | null>;
  /** The account and catalogue service of an identity access token, or null. */
  accessToken(token: string): Promise<{ accountId: string; serviceId: string } | null>;
}

export type T = ReturnType<typeof translator>;

/** A path on this site only: no scheme, host, `//`, backslash or control characters. */
export function localPath(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 2000 || !v.startsWith('/') || v.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(v))
    return null;
  return v;
}

/** `back` with query parameters added. */
export function withQuery(back: string, params: Record<string, string>): string {
  const q = new URLSearchParams(params).toString();
  const hash = back.indexOf('#');
  const [path, frag] = hash >= 0 ? [back.slice(0, hash), back.slice(hash)] : [back, ''];
  return `${path}${path.includes('?') ? '&' : '?'}${q}${frag}`;
}

export function durationText(days: number | null, t: T): string {
  if (!days) return t('consent.duration.untilWithdrawn');
  if (days % 365 === 0) return t(days === 365 ? 'consent.duration.year' : 'consent.duration.years', { n: days / 365 });
  if (days % 30 === 0 && days < 365) return t(days === 30 ? 'consent.duration.month' : 'consent.duration.months', { n: days / 30 });
  return t(days === 1 ? 'consent.duration.day' : 'consent.duration.days', { n: days });
}

export const factName = (a: AgreementAttribute, lang: Lang) => (lang === 'cy' && a.nameCy ? a.nameCy : a.name);
export const purposeText = (a: AgreementRow, lang: Lang) => (lang === 'cy' && a.purpose_cy ? a.purpose_cy : a.purpose);
export const descriptionText = (a: AgreementRow, lang: Lang) =>
  lang === 'cy' && a.purpose_description_cy ? a.purpose_description_cy : a.purpose_description;

export function createWeb(k: Kernel, identity: IdentityView) {
  return {
    t: (req: FastifyRequest) => translator(k.views.messages, requestLang(req)),
    lang: (req: FastifyRequest): Lang => requestLang(req),
    /** The signed-in citizen, or null after sending them to sign in (and back here). */
    async citizen(req: FastifyRequest, reply: FastifyReply): Promise<CitizenView | null> {
      const c = await identity.citizen(req);
      if (!c) {
        const back = req.method === 'GET' ? req.url : '/your-data/permissions';
        reply.redirect(identity.signInPath(back), 303);
        return null;
      }
      return c;
    },
    render(req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown>) {
      reply.header('cache-control', 'no-store');
      return renderPage(k.views, req, reply, `consent/views/${view}.njk`, ctx);
    },
  };
}
export type Web = ReturnType<typeof createWeb>;
