// The citizen's permissions at /your-data/permissions (signed in through identity, English and
// Welsh, no JavaScript needed): every agreement — active, ended, withdrawn — with its facts,
// purpose and history; limit it (fewer facts, a sooner end), withdraw it, or take its receipt
// (HTML, signed JSON, PDF); and how they want to be told when one is about to end or is used.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formErrors, list, str, dateFromParts, type FormBody } from '../../kernel/forms.js';
import type { Ctx } from './context.js';
import type { CitizenRecord, CitizenService } from './service-citizen.js';
import type { DelegationService } from './service-delegations.js';
import { peopleStore } from './store-people.js';
import type { RevisionRow } from './revisions.js';
import { buildReceipt, eventsOf, receiptPdf } from './receipt.js';
import { durationText, factName, purposeText, descriptionText, type T, type Web } from './web.js';
import type { Lang } from '../../kernel/views.js';
import { delegationView, statutoryView } from './pages-people.js';

export const HOME = '/your-data/permissions';
const DONE = ['withdrawn', 'limited', 'notifications', 'delegated', 'revoked', 'objected', 'objectionWithdrawn', 'accepted'];

const TAGS: Record<CitizenRecord['state'], string> = {
  active: 'govuk-tag--green',
  expired: 'govuk-tag--grey',
  withdrawn: 'govuk-tag--red',
  declined: 'govuk-tag--grey',
};

export function summaryOf(item: CitizenRecord, t: T, lang: Lang) {
  const { record, agreement, service } = item;
  return {
    id: record.id,
    href: `${HOME}/${record.id}`,
    service: service ? (lang === 'cy' && service.nameCy ? service.nameCy : service.name) : agreement.controller_name,
    organisation: agreement.controller_name,
    purpose: purposeText(agreement, lang),
    facts: agreement.attributes.filter((a) => record.attributes.includes(a.id)).map((a) => factName(a, lang)),
    state: item.state,
    tag: { text: t(`consent.states.${item.state}`), classes: TAGS[item.state] },
    givenAt: record.given_at,
    expiresAt: record.expires_at,
    withdrawnAt: record.withdrawn_at,
    delegated: !!record.delegation_id,
  };
}

export function citizenPages(app: FastifyInstance, ctx: Ctx, web: Web, citizens: CitizenService, delegations: DelegationService) {
  const db = ctx.db;
  const banner = (req: FastifyRequest) => {
    const done = (req.query as Record<string, unknown>)?.done;
    return typeof done === 'string' && DONE.includes(done) ? web.t(req)(`consent.done.${done}`) : null;
  };

  async function mine(req: FastifyRequest, reply: FastifyReply): Promise<{ item: CitizenRecord; accountId: string } | null> {
    const c = await web.citizen(req, reply);
    if (!c) return null;
    const item = await citizens.one(c.accountId, (req.params as { id: string }).id);
    if (!item) {
      reply.status(404);
      await web.render(req, reply, 'not-found', { title: web.t(req)('consent.notFound.title') });
      return null;
    }
    return { item, accountId: c.accountId };
  }
  const revisionsOf = async (recordId: string) =>
    (await db.query<RevisionRow>('SELECT * FROM consent.revisions WHERE object_id = $1 ORDER BY seq', [recordId])).rows;

  app.get(HOME, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const t = web.t(req);
    const lang = web.lang(req);
    const items = (await citizens.list(c.accountId)).map((i) => summaryOf(i, t, lang));
    const people = await delegations.list(c.accountId);
    const names = new Map<string, string>();
    for (const id of new Set(people.flatMap((d) => d.service_ids ?? []))) names.set(id, (await ctx.service(id))?.name ?? id);
    return web.render(req, reply, 'permissions', {
      title: t('consent.list.title'),
      banner: banner(req),
      active: items.filter((i) => i.state === 'active'),
      ended: items.filter((i) => i.state !== 'active'),
      forMe: people
        .filter((d) => d.grantor_account_id === c.accountId && d.status !== 'declined')
        .map((d) => delegationView(d, c.accountId, t, names)),
      byMe: people
        .filter((d) => d.delegate_account_id === c.accountId && delegations.live(d))
        .map((d) => delegationView(d, c.accountId, t, names)),
      statutory: await statutoryView(ctx, c.accountId, t, lang),
      now: new Date(),
    });
  });

  app.get(`${HOME}/:id`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    const t = web.t(req);
    const lang = web.lang(req);
    const { item } = m;
    const history = eventsOf(await revisionsOf(item.record.id)).reverse();
    const names = new Map(item.agreement.attributes.map((a) => [a.id, factName(a, lang)]));
    return web.render(req, reply, 'permission', {
      title: purposeText(item.agreement, lang),
      banner: banner(req),
      item: summaryOf(item, t, lang),
      description: descriptionText(item.agreement, lang),
      duration: durationText(item.agreement.duration_days, t),
      policy: item.policy,
      partial: item.agreement.partial_allowed && item.record.attributes.length > 1,
      history: history.map((h) => ({
        at: h.at,
        what: t(`consent.history.${h.kind}`),
        by: t(`consent.history.by.${h.by}`),
        facts: h.attributes.map((a) => names.get(a) ?? a).join(', '),
        expiresAt: h.expiresAt,
      })),
    });
  });

  app.get(`${HOME}/:id/withdraw`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    const t = web.t(req);
    if (m.item.state !== 'active') return reply.redirect(`${HOME}/${m.item.record.id}`, 303);
    return web.render(req, reply, 'withdraw', { title: t('consent.withdraw.title'), item: summaryOf(m.item, t, web.lang(req)) });
  });
  app.post(`${HOME}/:id/withdraw`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    if (m.item.record.opt_in) await citizens.change(m.accountId, m.item.record.id, { optIn: false });
    return reply.redirect(`${HOME}/${m.item.record.id}?done=withdrawn`, 303);
  });

  async function limitPage(req: FastifyRequest, reply: FastifyReply, item: CitizenRecord, extra: Record<string, unknown> = {}) {
    const t = web.t(req);
    const lang = web.lang(req);
    const chosen = (extra.chosen as string[] | undefined) ?? item.record.attributes;
    return web.render(req, reply, 'limit', {
      title: t('consent.limit.title'),
      item: summaryOf(item, t, lang),
      facts: item.agreement.attributes
        .filter((a) => item.record.attributes.includes(a.id))
        .map((a) => ({ value: a.id, text: factName(a, lang), checked: chosen.includes(a.id) })),
      partial: item.agreement.partial_allowed,
      values: extra.values ?? {},
      ...extra,
    });
  }
  app.get(`${HOME}/:id/limit`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    if (m.item.state !== 'active') return reply.redirect(`${HOME}/${m.item.record.id}`, 303);
    return limitPage(req, reply, m.item);
  });
  app.post(`${HOME}/:id/limit`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    const t = web.t(req);
    const body = req.body as FormBody | undefined;
    const facts = list(body, 'facts').filter(Boolean);
    const end = dateFromParts(body, 'ends', t('consent.limit.endsLabel'), false);
    const errors = [];
    if (!facts.length) errors.push({ field: 'facts', message: t('consent.limit.errors.facts') });
    if (end.error) errors.push({ field: 'ends-day', message: t('consent.limit.errors.date') });
    const endsAt = end.value ? new Date(`${end.value}T23:59:59Z`) : undefined;
    if (endsAt && endsAt.getTime() <= Date.now()) errors.push({ field: 'ends-day', message: t('consent.limit.errors.past') });
    else if (endsAt && m.item.record.expires_at && endsAt.getTime() > new Date(m.item.record.expires_at).getTime())
      errors.push({ field: 'ends-day', message: t('consent.limit.errors.later') });
    const values = {
      'ends-day': str(body, 'ends-day', 2),
      'ends-month': str(body, 'ends-month', 2),
      'ends-year': str(body, 'ends-year', 4),
    };
    if (errors.length) {
      reply.status(400);
      return limitPage(req, reply, m.item, { ...formErrors(errors), chosen: facts, values });
    }
    await citizens.change(m.accountId, m.item.record.id, {
      attributes: m.item.record.attributes.filter((a) => facts.includes(a)),
      ...(endsAt ? { expiresAt: endsAt } : {}),
    });
    return reply.redirect(`${HOME}/${m.item.record.id}?done=limited`, 303);
  });

  // Receipts: the page, the signed JSON (ISO/IEC TS 27560 in DPV terms) and a PDF.
  async function receipt(item: CitizenRecord) {
    return buildReceipt({
      publicUrl: ctx.config.publicUrl,
      jwksUrl: ctx.urls.jwks,
      signer: await ctx.signer(),
      item,
      revisions: await revisionsOf(item.record.id),
    });
  }
  function receiptLines(item: CitizenRecord, t: T, lang: Lang): Array<[string, string]> {
    const s = summaryOf(item, t, lang);
    const date = (d: Date | string | null) =>
      d
        ? new Date(d).toLocaleDateString(lang === 'cy' ? 'cy-GB' : 'en-GB', {
            day: 'numeric',
            month: 'long',
            year: 'numeric',
            timeZone: 'Europe/London',
          })
        : '—';
    return [
      [t('consent.detail.service'), s.service],
      [t('consent.detail.organisation'), s.organisation],
      [t('consent.detail.purpose'), s.purpose],
      [t('consent.detail.facts'), s.facts.join(', ') || '—'],
      [t('consent.detail.status'), s.tag.text],
      [t('consent.detail.given'), date(item.record.given_at)],
      [t('consent.detail.ends'), item.record.expires_at ? date(item.record.expires_at) : t('consent.duration.untilWithdrawn')],
      [t('consent.receipt.record'), item.record.id],
      [t('consent.receipt.agreementHash'), item.record.agreement_revision_hash],
    ];
  }
  app.get(`${HOME}/:id/receipt`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    const t = web.t(req);
    const r = await receipt(m.item);
    return web.render(req, reply, 'receipt', {
      title: t('consent.receipt.title'),
      item: summaryOf(m.item, t, web.lang(req)),
      lines: receiptLines(m.item, t, web.lang(req)),
      signature: r.signature,
      jwks: ctx.urls.jwks,
    });
  });
  app.get(`${HOME}/:id/receipt.json`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="consent-receipt-${m.item.record.id}.json"`);
    return reply.type('application/ld+json; charset=utf-8').send(JSON.stringify(await receipt(m.item), null, 2));
  });
  app.get(`${HOME}/:id/receipt.pdf`, async (req, reply) => {
    const m = await mine(req, reply);
    if (!m) return reply;
    const t = web.t(req);
    const r = await receipt(m.item);
    const pdf = await receiptPdf(t('consent.receipt.title'), receiptLines(m.item, t, web.lang(req)), [
      t('consent.receipt.pdfFooter', { url: ctx.urls.jwks }),
      `${t('consent.receipt.signature')}: ${String(r.signature)}`,
    ]);
    reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="consent-receipt-${m.item.record.id}.pdf"`);
    return reply.type('application/pdf').send(Buffer.from(pdf));
  });

  // How the citizen is told about their agreements.
  app.get(`${HOME}/notifications`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const p = await peopleStore.preferences(db, c.accountId);
    return web.render(req, reply, 'notifications', { title: web.t(req)('consent.notifications.title'), p, hasPhone: !!c.phone });
  });
  app.post(`${HOME}/notifications`, async (req, reply) => {
    const c = await web.citizen(req, reply);
    if (!c) return reply;
    const body = req.body as FormBody | undefined;
    const channel = str(body, 'channel', 10);
    const about = list(body, 'about').filter(Boolean);
    const t = web.t(req);
    if (!['email', 'sms', 'none'].includes(channel) || (channel === 'sms' && !c.phone)) {
      reply.status(400);
      const p = { channel, notify_expiry: about.includes('expiry'), notify_use: about.includes('use') };
      return web.render(req, reply, 'notifications', {
        title: t('consent.notifications.title'),
        p,
        hasPhone: !!c.phone,
        ...formErrors([
          {
            field: 'channel',
            message: t(channel === 'sms' ? 'consent.notifications.errors.noPhone' : 'consent.notifications.errors.channel'),
          },
        ]),
      });
    }
    await peopleStore.savePreferences(db, {
      account_id: c.accountId,
      channel: channel as 'email',
      notify_expiry: about.includes('expiry'),
      notify_use: about.includes('use'),
    });
    return reply.redirect(`${HOME}?done=notifications`, 303);
  });
}
