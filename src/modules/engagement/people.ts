// Who is taking part, and may they: a signed-in citizen (identity), a staff member of the
// organisation a staff consultation is for, or — where the team allows it — an anonymous
// browser, known only by a random token in a cookie (its hash is stored, never the token).
// Residents of an area are citizens whose proven address has a postcode in the area.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { randomToken, sha256 } from '../../kernel/crypto.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Citizen } from '../identity/index.js';
import type { ConsultationRow } from './store.js';
import { postcodeKey, type Who } from './service.js';

export interface IdentityView {
  citizen(req: FastifyRequest): Promise<Citizen | null>;
  signInPath(back: string): string;
  provePath(back: string): string;
}

export const ANON_COOKIE = 'cs_engage';

export type Eligibility =
  { ok: true; who: Who } | { ok: false; redirect: string } | { ok: false; refuse: 'area' | 'staff' | 'closed'; signInStaff?: string };

/**
 * Is this postcode in the area? The area lists whole postcodes, sectors ("NT1 1") and districts
 * ("NT1") as postcodeKey()s. A postcode's district is its outward code, before the space: "NT11"
 * is another district, never a prefix match for NT1 1AA.
 */
export function inArea(postcode: string, area: string[]): boolean {
  const pc = postcodeKey(postcode);
  const m = /^([A-Z]{1,2}\d[A-Z\d]?) (\d)[A-Z]{2}$/.exec(pc);
  if (!m) return false;
  const [, district, sector] = [pc, m[1], `${m[1]} ${m[2]}`];
  return area.map(postcodeKey).some((a) => a === pc || a === district || a === sector);
}

export function createPeople(k: Kernel, catalogue: CatalogueService, identity: IdentityView | undefined) {
  /** The staff member signed in on this browser, if any. */
  async function staff(req: FastifyRequest) {
    const session = await k.sessions.load(req).catch(() => null);
    const staffId = session?.data.staffId;
    return typeof staffId === 'string' ? catalogue.staffActor(staffId) : null;
  }

  /** This browser's anonymous key (a cookie set on first use). */
  function anonymous(req: FastifyRequest, reply: FastifyReply): Who {
    let token = req.cookies[ANON_COOKIE];
    if (!token || !/^[A-Za-z0-9_-]{16,64}$/.test(token)) {
      token = randomToken(18);
      reply.setCookie(ANON_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: k.config.secureCookies,
        maxAge: 365 * 86400,
      });
    }
    return { person: `anon:${sha256(token)}`, email: null };
  }

  return {
    staff,
    signInPath: (back: string) => (identity ? identity.signInPath(back) : null),
    /** May this browser take part in c, and as whom? `back` is where sign-in returns to. */
    async eligible(req: FastifyRequest, reply: FastifyReply, c: ConsultationRow, back: string): Promise<Eligibility> {
      if (c.eligibility === 'staff') {
        const s = await staff(req);
        if (!s) return { ok: false, refuse: 'staff', signInStaff: `/admin/sign-in?next=${encodeURIComponent('/admin')}` };
        if (s.organisationId !== c.staff_organisation_id) return { ok: false, refuse: 'staff' };
        return { ok: true, who: { person: `staff:${s.id}`, email: s.email } };
      }
      const citizen = identity ? await identity.citizen(req) : null;
      if (c.eligibility === 'residents') {
        if (!identity) return { ok: false, refuse: 'area' };
        if (!citizen) return { ok: false, redirect: identity.signInPath(back) };
        if (citizen.identityLevel === 'P0' || !citizen.address) return { ok: false, redirect: identity.provePath(back) };
        if (!inArea(citizen.address.postalCode ?? '', c.area_postcodes)) return { ok: false, refuse: 'area' };
        return { ok: true, who: { person: `acct:${citizen.accountId}`, email: citizen.email } };
      }
      if (citizen) return { ok: true, who: { person: `acct:${citizen.accountId}`, email: citizen.email } };
      if (c.allow_anonymous) return { ok: true, who: anonymous(req, reply) };
      if (!identity) return { ok: false, refuse: 'closed' };
      return { ok: false, redirect: identity.signInPath(back) };
    },
    /** Who this browser is in c without creating anything (for appeals of one's own comment). */
    async current(req: FastifyRequest, c: ConsultationRow): Promise<Who | null> {
      if (c.eligibility === 'staff') {
        const s = await staff(req);
        return s ? { person: `staff:${s.id}`, email: s.email } : null;
      }
      const citizen = identity ? await identity.citizen(req) : null;
      if (citizen) return { person: `acct:${citizen.accountId}`, email: citizen.email };
      const token = req.cookies[ANON_COOKIE];
      return token ? { person: `anon:${sha256(token)}`, email: null } : null;
    },
  };
}
export type People = ReturnType<typeof createPeople>;
