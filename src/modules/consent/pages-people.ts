// The citizen's pages about people and the law: letting a parent, carer or attorney act for
// them (an invitation link, accepted with evidence checked; visible to both; revocable),
// acting for someone (their agreements in scope, which the delegate can withdraw), and the
// statutory uses of their data — with the law and purpose, and an objection where allowed
// (kept and enforced by the exchange).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formErrors, list, str, dateFromParts, type FormBody } from '../../kernel/forms.js';
import type { Lang } from '../../kernel/views.js';
import type { Ctx } from './context.js';
import type { CitizenService } from './service-citizen.js';
import type { DelegationService } from './service-delegations.js';
import type { DelegationRow } from './store-people.js';
import type { StatutoryUse } from './exchange.js';
import { store } from './store.js';
import { summaryOf, HOME } from './pages.js';
import type { T, Web } from './web.js';

const PURPOSES = [
  'dpv:ServiceProvision',
  'dpv:IdentityVerification',
  'dpv:FraudPreventionAndDetection',
  'dpv:CommunicationForCustomerCare',
  'dpv:ResearchAndDevelopment',
];
export const purposeName = (p: string, t: T) => {
  const key = `consent.purposes.${p.replace(/^dpv:/, '')}`;
  const s = t(key);
  return s === key ? p : s;
};

/** The statutory uses of a citizen's data (from the exchange), with their objections. */
export async function statutoryView(ctx: Ctx, accountId: string, t: T, lang: Lang) {
  if (!ctx.exchange?.statutoryUses) return { available: false, uses: [] };
  const uses = await ctx.exchange.statutoryUses(accountId).catch(() => [] as StatutoryUse[]);
  const canObject = !!ctx.exchange.object;
  return {
    available: true,
    uses: uses.map((u) => ({
      id: u.id,
      href: encodeURIComponent(u.id),
      consumer: u.consumerName,
      provider: u.providerName,
      facts: u.attributes.map((a) => (lang === 'cy' && a.nameCy ? a.nameCy : a.name)).join(', '),
      law: u.law,
      lawUrl: u.lawUrl,
      purpose: lang === 'cy' && u.purposeCy ? u.purposeCy : u.purpose,
      objectionAllowed: u.objectionAllowed && canObject,
      objected: u.objected,
    })),
  };
}

export function delegationView(d: DelegationRow, accountId: string, t: T, names: Map<string, string>) {
  return {
    id: d.id,
    mine: d.grantor_account_id === accountId,
    person: d.grantor_name || t('consent.delegation.someone'),
    delegate: d.delegate_name,
    relationship: t(`consent.delegation.relationships.${d.relationship}`),
    status: d.status === 'active' && new Date(d.expires_at).getTime() <= Date.now() ? 'expired' : d.status,
    services: d.service_ids ? d.service_ids.map((s) => names.get(s) ?? s).join(', ') : t('consent.delegation.allServices'),
    purposes: d.purposes ? d.purposes.map((p) => purposeName(p, t)).join(', ') : t('consent.delegation.allPurposes'),
    expiresAt: d.expires_at,
    evidence: d.evidence_detail || (d.evidence_ref ? `${t(`consent.delegation.evidence.${d.evidence_type}`)} ${d.evidence_ref}` : ''),
  };
}

export function peoplePages(app: FastifyInstance, ctx: Ctx, web: Web, citizens: CitizenService, delegations: DelegationService) {
  const db = ctx.db;

  async function serviceChoices(lang: Lang) {
    const { rows } = await store.agreements(db, { live: true });
    const ids = [...new Set(rows.filter((a) => a.lawful_basis === 'consent').map((a) => a.service_id))];
    const out: Array<{ value: string; text: string }> = [];
    for (const id of ids) {
      const s = await ctx.service(id);
      if (s) out.push({ value: id, text: lang === 'cy' && s.nameCy ? s.nameCy : s.name });
    }
    return out.sort((a, b) => a.text.localeCompare(b.text));
  }
  async function serviceNames(ids: string[]) {
    const m = new Map<string, string>();
    for (const id of ids) m.set(id, (await ctx.service(id))?.name ?? id);
    return m;
  }

  async function newPage(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
    const t = web.t(req);
    const v = (extra.values as Record<string, unknown>) ?? {};
    const services = (await serviceChoices(web.lang(req))).map((s) => ({
      ...s,
      checked: ((v.services as string[]) ?? []).includes(s.value),
    }));
    const purposes = PURPOSES.map((p) => ({ value: p, text: purposeName(p, t), checked: ((v.purposes as string[]) ?? []).includes(p) }));
    return web.render(req, reply, 'delegate-new', { title: t('consent.delegation.new.title'), services, purposes, values: v, ...extra });
  }

  app.get(`${HOME}/delegates/new`, async (req, reply) => {
    if (!(await web.citizen(req, reply))) return reply;
    return newPage(req, reply);
  });
  app.post(`${HOME}/delegates/new`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const t = web.t(req);
    const body = req.body as FormBody | undefined;
    const values = {
      relationship: str(body, 'relationship', 20),
      delegateName: str(body, 'delegateName', 300),
      evidenceRef: str(body, 'evidenceRef', 40),
      services: list(body, 'services').filter(Boolean).slice(0, 100),
      purposes: list(body, 'purposes').filter((p) => PURPOSES.includes(p)),
      'expires-day': str(body, 'expires-day', 2),
      'expires-month': str(body, 'expires-month', 2),
      'expires-year': str(body, 'expires-year', 4),
    };
    const date = dateFromParts(body, 'expires', t('consent.delegation.new.expiresLabel'));
    const known = new Set((await serviceChoices('en')).map((s) => s.value));
    const errors: Array<{ field: string; message: string }> = [];
    if (date.error) errors.push({ field: 'expires-day', message: t('consent.delegation.errors.expires') });
    if (values.services.some((s) => !known.has(s))) errors.push({ field: 'services', message: t('consent.delegation.errors.services') });
    let done;
    if (!errors.length) {
      try {
        done = await delegations.invite(
          { accountId: c.accountId, name: [c.givenName, c.familyName].filter(Boolean).join(' ') || c.email },
          {
            relationship: values.relationship as 'carer',
            delegateName: values.delegateName,
            serviceIds: values.services.length ? values.services : null,
            purposes: values.purposes.length ? values.purposes : null,
            expiresAt: new Date(`${date.value}T23:59:59Z`),
            evidenceRef: values.evidenceRef,
          },
        );
      } catch (err) {
        const fields = (err as { fields?: Array<{ field: string; message: string }> }).fields;
        if (!fields) throw err;
        for (const f of fields) errors.push({ field: f.field, message: t(`consent.delegation.errors.${f.message}`) });
      }
    }
    if (errors.length || !done) {
      reply.status(400);
      return newPage(req, reply, { ...formErrors(errors), values });
    }
    // The link is shown once, here (only its hash is kept).
    return web.render(req, reply, 'delegate-invited', {
      title: t('consent.delegation.invited.title'),
      link: `${ctx.config.publicUrl}${HOME}/delegates/accept/${done.token}`,
      name: done.delegation.delegate_name,
    });
  });

  async function invitationPage(req: FastifyRequest, reply: FastifyReply, token: string, extra: Record<string, unknown> = {}) {
    const t = web.t(req);
    const d = await delegations.invitation(token);
    if (!d) {
      reply.status(404);
      return web.render(req, reply, 'not-found', { title: t('consent.delegation.accept.gone') });
    }
    const names = await serviceNames(d.service_ids ?? []);
    return web.render(req, reply, 'delegate-accept', {
      title: t('consent.delegation.accept.title', { name: d.grantor_name || t('consent.delegation.someone') }),
      d: delegationView(d, '', t, names),
      token,
      ...extra,
    });
  }
  app.get(`${HOME}/delegates/accept/:token`, async (req, reply) => {
    if (!(await web.citizen(req, reply))) return reply;
    return invitationPage(req, reply, (req.params as { token: string }).token);
  });
  app.post(`${HOME}/delegates/accept/:token`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const t = web.t(req);
    const token = (req.params as { token: string }).token;
    const answer = str(req.body as FormBody, 'answer', 10);
    if (!['yes', 'no'].includes(answer)) {
      reply.status(400);
      return invitationPage(req, reply, token, { ...formErrors([{ field: 'answer', message: t('consent.delegation.errors.answer') }]) });
    }
    const invitation = await delegations.invitation(token);
    if (invitation?.grantor_account_id === c.accountId) {
      reply.status(400);
      return invitationPage(req, reply, token, { ...formErrors([{ field: 'answer', message: t('consent.delegation.errors.self') }]) });
    }
    const name = [c.givenName, c.familyName].filter(Boolean).join(' ') || null;
    const r = await delegations.answer(token, { accountId: c.accountId, name, birthDate: null }, answer === 'yes');
    if (r.problem) {
      reply.status(400);
      return invitationPage(req, reply, token, {
        ...formErrors([{ field: 'answer', message: t('consent.delegation.errors.evidence', { problem: r.problem }) }]),
      });
    }
    return reply.redirect(`${HOME}?done=${answer === 'yes' ? 'accepted' : 'revoked'}`, 303);
  });
  app.post(`${HOME}/delegates/:id/revoke`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    await delegations.revoke(c.accountId, (req.params as { id: string }).id);
    return reply.redirect(`${HOME}?done=revoked`, 303);
  });

  // Acting for someone: their agreements within the delegation's scope.
  async function acting(req: FastifyRequest, reply: FastifyReply) {
    const c = await web.citizen(req, reply);
    if (!c) return null;
    const d = await delegations.get((req.params as { delegationId: string }).delegationId);
    if (!d || d.delegate_account_id !== c.accountId || !delegations.live(d)) {
      reply.status(404);
      await web.render(req, reply, 'not-found', { title: web.t(req)('consent.notFound.title') });
      return null;
    }
    return { c, d };
  }
  const inScope = (d: DelegationRow, serviceId: string, purpose: string) =>
    (!d.service_ids || d.service_ids.includes(serviceId)) && (!d.purposes || d.purposes.includes(purpose));

  app.get(`${HOME}/for/:delegationId`, async (req, reply) => {
    const a = await acting(req, reply);
    if (!a) return reply;
    const t = web.t(req);
    const items = (await citizens.list(a.d.grantor_account_id)).filter((i) => inScope(a.d, i.record.service_id, i.agreement.dpv_purpose));
    const names = await serviceNames(a.d.service_ids ?? []);
    return web.render(req, reply, 'acting', {
      title: t('consent.acting.title', { name: a.d.grantor_name || t('consent.delegation.someone') }),
      d: delegationView(a.d, a.c.accountId, t, names),
      items: items.map((i) => summaryOf(i, t, web.lang(req))),
    });
  });
  app.post(`${HOME}/for/:delegationId/:recordId/withdraw`, async (req, reply) => {
    const a = await acting(req, reply);
    if (!a) return reply;
    const recordId = (req.params as { recordId: string }).recordId;
    const item = await citizens.one(a.d.grantor_account_id, recordId);
    if (item && item.record.opt_in && inScope(a.d, item.record.service_id, item.agreement.dpv_purpose))
      await citizens.change(a.d.grantor_account_id, recordId, { optIn: false }, { delegationId: a.d.id, delegateAccountId: a.c.accountId });
    return reply.redirect(`${HOME}/for/${a.d.id}`, 303);
  });

  // Statutory uses: object where the law allows it.
  async function useOf(req: FastifyRequest, accountId: string) {
    const id = (req.params as { useId: string }).useId;
    const view = await statutoryView(ctx, accountId, web.t(req), web.lang(req));
    return view.uses.find((u) => u.id === id) ?? null;
  }
  app.get(`${HOME}/statutory/:useId/object`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const use = await useOf(req, c.accountId);
    if (!use || !use.objectionAllowed) return reply.redirect(HOME, 303);
    return web.render(req, reply, 'object', { title: web.t(req)('consent.statutory.object.title'), use });
  });
  app.post(`${HOME}/statutory/:useId/object`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const use = await useOf(req, c.accountId);
    if (!use || !use.objectionAllowed) return reply.redirect(HOME, 303);
    await ctx.exchange!.object!(c.accountId, use.id, str(req.body as FormBody, 'reason', 2000));
    return reply.redirect(`${HOME}?done=objected`, 303);
  });
  app.post(`${HOME}/statutory/:useId/withdraw-objection`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const use = await useOf(req, c.accountId);
    if (use?.objected && ctx.exchange?.withdrawObjection) await ctx.exchange.withdrawObjection(c.accountId, use.id);
    return reply.redirect(`${HOME}?done=objectionWithdrawn`, 303);
  });
}
