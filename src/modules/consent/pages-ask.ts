// The request page a service sends a citizen to (consent.askPath): which organisation and
// service, which facts from which agency, for what and for how long — agree to all, to some
// (where the agreement allows) or say no. The citizen goes back to the service with
// ?consent=given&record=<id> or ?consent=declined; saying no never stops them using it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { list, str, formErrors, type FormBody } from '../../kernel/forms.js';
import type { Ctx } from './context.js';
import type { CitizenService, Delegated } from './service-citizen.js';
import type { DelegationService } from './service-delegations.js';
import { durationText, factName, localPath, purposeText, descriptionText, withQuery, type Web } from './web.js';
import { recordStore } from './store-records.js';
import { store } from './store.js';

export const ASK_PATH = '/your-data/permissions/ask';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DPV = /^[a-z][a-z0-9-]{0,19}:[A-Za-z][A-Za-z0-9]{0,99}$/;

export function askPath(input: { consumerServiceId: string; purpose: string; attributes: string[]; back: string }): string {
  const q = new URLSearchParams({ service: input.consumerServiceId, purpose: input.purpose });
  for (const a of input.attributes) q.append('attribute', a);
  q.set('back', input.back);
  return `${ASK_PATH}?${q.toString()}`;
}

interface Request {
  service: string;
  purpose: string;
  attributes: string[];
  back: string;
}

function requestFrom(src: FormBody | Record<string, unknown> | undefined): Request | null {
  const b = (src ?? {}) as FormBody;
  const service = str(b, 'service', 100);
  const purpose = str(b, 'purpose', 130);
  const back = localPath(str(b, 'back', 2000));
  // Repeated ?attribute= in the link; one comma-separated field in the form.
  const joined = str(b, 'attributes', 20_000);
  const attributes = [...new Set([...list(b, 'attribute'), ...(joined ? joined.split(',') : [])])].slice(0, 100);
  if (!UUID.test(service) || !DPV.test(purpose) || !back || attributes.some((a) => a.length > 200)) return null;
  return { service, purpose, attributes, back };
}

export function askPages(app: FastifyInstance, ctx: Ctx, web: Web, citizens: CitizenService, delegations: DelegationService) {
  async function page(req: FastifyRequest, reply: any, r: Request, accountId: string, extra: Record<string, unknown> = {}) {
    const t = web.t(req);
    const lang = web.lang(req);
    const service = await ctx.service(r.service);
    const found = await citizens.agreementFor(r.service, r.purpose, r.attributes);
    if (!service || !found) {
      return web.render(req, reply, 'ask-missing', {
        title: t('consent.ask.missingTitle'),
        serviceName: service ? (lang === 'cy' && service.nameCy ? service.nameCy : service.name) : null,
        continueHref: withQuery(r.back, { consent: 'declined' }),
      });
    }
    const { agreement, policy } = found;
    const asked = r.attributes.length ? agreement.attributes.filter((a) => r.attributes.includes(a.id)) : agreement.attributes;
    const facts = asked.length ? asked : agreement.attributes;
    const individual = await store.individualOfAccount(ctx.db, agreement.organisation_id, accountId);
    const existing = individual ? await recordStore.forAgreement(ctx.db, agreement.id, individual.id) : null;
    const acting = await delegations.actingFor(accountId, r.service, r.purpose);
    const vals = (extra.values as Record<string, unknown>) ?? {};
    return web.render(req, reply, 'ask', {
      title: t('consent.ask.title', { service: lang === 'cy' && service.nameCy ? service.nameCy : service.name }),
      serviceName: lang === 'cy' && service.nameCy ? service.nameCy : service.name,
      organisation: agreement.controller_name,
      purpose: purposeText(agreement, lang),
      description: descriptionText(agreement, lang),
      duration: durationText(agreement.duration_days, t),
      policy: policy ? { name: policy.name, url: policy.url } : null,
      facts: facts.map((f) => ({
        value: f.id,
        text: factName(f, lang),
        hint: f.providerName ? { text: t('consent.ask.from', { provider: f.providerName }) } : undefined,
        checked: Array.isArray(vals.facts) && (vals.facts as string[]).includes(f.id),
      })),
      partial: agreement.partial_allowed && facts.length > 1,
      already: existing?.status === 'given' ? existing : null,
      acting: acting.map((d) => ({
        value: d.id,
        text: t('consent.ask.forSomeone', { name: d.grantor_name || t('consent.delegation.someone') }),
      })),
      request: r,
      agreementId: agreement.id,
      values: vals,
      ...extra,
    });
  }

  app.get(ASK_PATH, async (req, reply) => {
    const r = requestFrom(req.query as Record<string, unknown>);
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    if (!r) {
      reply.status(400);
      return web.render(req, reply, 'ask-missing', { title: web.t(req)('consent.ask.badRequestTitle'), continueHref: null, bad: true });
    }
    return page(req, reply, r, c.accountId);
  });

  app.post(ASK_PATH, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const body = req.body as FormBody | undefined;
    const r = requestFrom(body);
    const t = web.t(req);
    if (!r) {
      reply.status(400);
      return web.render(req, reply, 'ask-missing', { title: t('consent.ask.badRequestTitle'), continueHref: null, bad: true });
    }
    const choice = str(body, 'choice', 10);
    const chosen = list(body, 'facts').filter(Boolean);
    const forId = str(body, 'for', 40);
    const found = await citizens.agreementFor(r.service, r.purpose, r.attributes);
    if (!found || found.agreement.id !== str(body, 'agreement', 40)) return reply.redirect(req.url, 303); // the agreement changed meanwhile
    const errors = [];
    if (!['all', 'some', 'no'].includes(choice)) errors.push({ field: 'choice', message: t('consent.ask.errors.choice') });
    else if (choice === 'some' && !chosen.length) errors.push({ field: 'facts', message: t('consent.ask.errors.facts') });
    let by: Delegated | undefined;
    let subject = c.accountId;
    if (forId && forId !== 'self') {
      const d = (await delegations.actingFor(c.accountId, r.service, r.purpose)).find((x) => x.id === forId);
      if (!d) errors.push({ field: 'for', message: t('consent.ask.errors.for') });
      else [by, subject] = [{ delegationId: d.id, delegateAccountId: c.accountId }, d.grantor_account_id];
    }
    if (errors.length) {
      reply.status(400);
      return page(req, reply, r, c.accountId, { ...formErrors(errors), values: { choice, facts: chosen, for: forId } });
    }
    const asked = r.attributes.length ? found.agreement.attributes.filter((a) => r.attributes.includes(a.id)).map((a) => a.id) : [];
    const attributes = choice === 'some' ? chosen : asked.length ? asked : undefined;
    try {
      const record = await citizens.answer({ subject, agreementId: found.agreement.id, agree: choice !== 'no', attributes, by });
      return reply.redirect(withQuery(r.back, choice === 'no' ? { consent: 'declined' } : { consent: 'given', record: record.id }), 303);
    } catch (err) {
      if ((err as { status?: number }).status === 400) {
        reply.status(400);
        return page(req, reply, r, c.accountId, {
          ...formErrors([{ field: 'facts', message: (err as Error).message }]),
          values: { choice, facts: chosen, for: forId },
        });
      }
      throw err;
    }
  });
}
