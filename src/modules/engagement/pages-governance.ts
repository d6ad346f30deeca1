// Pages of local government's voice in the shared platforms (issue #17):
// - /platforms/governance (public): every platform's roadmap items with the organisations'
//   votes by kind of organisation, the requests by kind and what was done with each (the
//   roadmap item's status, the decision), and the figures as open data (CSV/JSON, OGL);
// - /admin/platforms (staff): your organisation's vote on each item (one per organisation: a
//   colleague sees and changes it), ask for something, and — for a platform's owner — answer.
// Routes are typed by their TypeBox schemas; forms carry CSRF tokens (kernel) and POST-redirect-GET.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden } from '../../kernel/errors.js';
import { guardStaff } from '../../kernel/staff.js';
import { formErrors, fieldErrorsFrom } from '../../kernel/forms.js';
import { csv } from '../../kernel/csv.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import { DETAIL_MAX, STANCES, TITLE_MAX, type Governance, type PlatformRequest, type Staff } from './governance.js';

const KIND_ORDER = ['ministerial_department', 'non_ministerial_department', 'arms_length_body', 'local_authority', 'partner', 'supplier'];
const DONE = ['voted', 'requested', 'answered'] as const;
const Field = (max: number) => Type.Optional(Type.String({ maxLength: max }));
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const DatasetParams = Type.Object({
  dataset: Type.Union([Type.Literal('requests'), Type.Literal('votes')]),
  format: Type.Union([Type.Literal('csv'), Type.Literal('json')]),
});
const Done = Type.Object({ done: Type.Optional(Type.String({ maxLength: 20 })), lang: Type.Optional(Type.String({ maxLength: 5 })) });
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const L = (lang: string, en: string, cy: string | null | undefined) =>
  lang === 'cy' && cy ? { text: cy, en: false } : { text: en, en: lang === 'cy' };

export function governancePages(parent: FastifyInstance, k: Kernel, gov: Governance, catalogue: CatalogueService) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { views } = k;
  const tr = (req: FastifyRequest) => translator(views.messages, requestLang(req));

  /** Everything the governance page and its open data show. */
  async function picture(lang: string) {
    const [platforms, orgs, tallies, requests] = await Promise.all([
      gov.platforms(),
      catalogue.listOrganisations(),
      gov.tallies(),
      gov.requests(),
    ]);
    const orgName = new Map(orgs.map((o) => [o.id, L(lang, o.name, o.name_cy)]));
    const details = await Promise.all(platforms.map((p) => catalogue.getServiceDetail(p.slug)));
    const items = new Map(details.flatMap((d) => d.roadmap.map((r) => [r.id, { ...r, platform: d }] as const)));
    const decisions = new Map(details.flatMap((d) => d.decisions.map((x) => [x.id, x] as const)));
    const byKind = KIND_ORDER.map((kind) => {
      const rs = requests.filter((r) => r.organisation_kind === kind);
      const vs = tallies.filter((v) => v.organisation_kind === kind);
      return {
        kind,
        requests: rs.length,
        planned: rs.filter((r) => r.status === 'planned').length,
        declined: rs.filter((r) => r.status === 'declined').length,
        open: rs.filter((r) => r.status === 'open').length,
        support: vs.filter((v) => v.stance === 'support').reduce((s, v) => s + v.n, 0),
        oppose: vs.filter((v) => v.stance === 'oppose').reduce((s, v) => s + v.n, 0),
      };
    });
    const requestView = (r: PlatformRequest) => {
      const item = r.roadmap_item_id ? items.get(r.roadmap_item_id) : undefined;
      const decision = r.decision_id ? decisions.get(r.decision_id) : undefined;
      return {
        ...r,
        organisation: orgName.get(r.organisation_id) ?? { text: '', en: false },
        itemStatus: item?.status ?? null,
        decision: decision ? L(lang, decision.decision, decision.decision_cy) : null,
      };
    };
    const cards = details.map((d) => ({
      slug: d.slug,
      platform: d.platform,
      name: L(lang, d.name, d.name_cy),
      owner: d.office_holder ? { name: d.office_holder.name, role: L(lang, d.office_holder.role, d.office_holder.role_cy) } : null,
      items: d.roadmap.map((r) => {
        const ts = tallies.filter((v) => v.roadmap_item_id === r.id);
        return {
          id: r.id,
          status: r.status,
          title: L(lang, r.title, r.title_cy),
          support: ts.filter((v) => v.stance === 'support').reduce((s, v) => s + v.n, 0),
          oppose: ts.filter((v) => v.stance === 'oppose').reduce((s, v) => s + v.n, 0),
          kinds: KIND_ORDER.map((kind) => ({
            kind,
            support: ts.find((v) => v.organisation_kind === kind && v.stance === 'support')?.n ?? 0,
            oppose: ts.find((v) => v.organisation_kind === kind && v.stance === 'oppose')?.n ?? 0,
          })).filter((x) => x.support + x.oppose > 0),
        };
      }),
      requests: requests.filter((r) => r.service_id === d.id).map(requestView),
    }));
    return { platforms, cards, byKind, requests, items, orgs };
  }

  app.get('/platforms/governance', async (req, reply) => {
    const lang = requestLang(req);
    const p = await picture(lang);
    return renderPage(views, req, reply, 'engagement/views/governance.njk', { byKind: p.byKind, cards: p.cards });
  });

  app.get('/platforms/governance/:dataset.:format', { schema: { params: DatasetParams } }, async (req, reply) => {
    const { dataset, format } = req.params;
    const p = await picture('en');
    const slug = new Map(p.platforms.map((s) => [s.id, s.slug]));
    const orgSlug = new Map(p.orgs.map((o) => [o.id, o.slug]));
    let columns: string[];
    let rows: Array<Record<string, unknown>>;
    if (dataset === 'requests') {
      columns = [
        'id',
        'platform',
        'organisation',
        'organisation_kind',
        'title',
        'status',
        'roadmap_item_id',
        'roadmap_status',
        'decision_id',
        'answer',
        'created_at',
        'answered_at',
      ];
      rows = p.requests.map((r) => ({
        id: r.id,
        platform: slug.get(r.service_id) ?? '',
        organisation: orgSlug.get(r.organisation_id) ?? '',
        organisation_kind: r.organisation_kind,
        title: r.title,
        status: r.status,
        roadmap_item_id: r.roadmap_item_id,
        roadmap_status: r.roadmap_item_id ? (p.items.get(r.roadmap_item_id)?.status ?? null) : null,
        decision_id: r.decision_id,
        answer: r.answer,
        created_at: iso(r.created_at),
        answered_at: iso(r.answered_at),
      }));
    } else {
      columns = ['platform', 'roadmap_item_id', 'roadmap_item', 'roadmap_status', 'organisation', 'organisation_kind', 'stance', 'at'];
      rows = (await gov.votes()).map((v) => ({
        platform: slug.get(v.service_id) ?? '',
        roadmap_item_id: v.roadmap_item_id,
        roadmap_item: p.items.get(v.roadmap_item_id)?.title ?? '',
        roadmap_status: p.items.get(v.roadmap_item_id)?.status ?? '',
        organisation: orgSlug.get(v.organisation_id) ?? '',
        organisation_kind: v.organisation_kind,
        stance: v.stance,
        at: iso(v.at),
      }));
    }
    reply.header('x-licence', 'OGL-UK-3.0');
    if (format === 'json')
      return reply.type('application/json; charset=utf-8').send(JSON.stringify({ licence: 'OGL-UK-3.0', columns, rows }));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="platform-${dataset}.csv"`)
      .send(csv([columns, ...rows.map((r) => columns.map((c) => (r[c] == null ? '' : String(r[c]))))]));
  });

  // The staff side.
  app.register(async (parentAdmin) => {
    const admin = parentAdmin.withTypeProvider<TypeBoxTypeProvider>();
    const staffOf = guardStaff<Staff>(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });
    const banner = (req: FastifyRequest, done: string | undefined) =>
      done && (DONE as readonly string[]).includes(done) ? tr(req)(`engagement.governance.admin.done.${done}`) : null;

    async function home(req: FastifyRequest, reply: FastifyReply, done?: string) {
      const actor = staffOf(req);
      const lang = requestLang(req);
      const p = await picture(lang);
      const mine = actor.organisationId ? await gov.votesOf(actor.organisationId) : new Map();
      const org = p.orgs.find((o) => o.id === actor.organisationId);
      return renderPage(views, req, reply, 'engagement/views/admin/platforms.njk', {
        banner: banner(req, done),
        organisation: org ? L(lang, org.name, org.name_cy) : null,
        cards: p.cards.map((c) => {
          const owner = p.platforms.find((s) => s.slug === c.slug)!;
          return {
            ...c,
            owns: catalogue.canManage(actor, owner.organisation.id, 'service'),
            items: c.items.filter((i) => i.status !== 'done').map((i) => ({ ...i, mine: mine.get(i.id) ?? null })),
          };
        }),
      });
    }
    admin.get('/admin/platforms', { schema: { querystring: Done } }, (req, reply) => home(req, reply, req.query.done));

    admin.post(
      '/admin/platforms/vote',
      { schema: { body: Type.Object({ platform: Field(100), item: Field(100), stance: Field(20) }) } },
      async (req, reply) => {
        const actor = staffOf(req);
        const { platform = '', item = '', stance = '' } = req.body;
        if (!actor.organisationId) throw new Forbidden();
        const s =
          stance === 'none' ? null : (STANCES as readonly string[]).includes(stance) ? (stance as (typeof STANCES)[number]) : undefined;
        if (s === undefined)
          return reply.redirect(`/admin/platforms${requestLang(req) === 'cy' ? '?lang=cy' : ''}#item-${encodeURIComponent(item)}`, 303);
        await gov.vote(actor, platform, item, s);
        return reply.redirect(`/admin/platforms?done=voted${requestLang(req) === 'cy' ? '&lang=cy' : ''}`, 303);
      },
    );

    const ProposeBody = Type.Object({ platform: Field(100), title: Field(20_000), detail: Field(100_000) });
    async function proposePage(
      req: FastifyRequest,
      reply: FastifyReply,
      values: Record<string, string>,
      fields: Array<{ field: string; message: string }> = [],
    ) {
      const lang = requestLang(req);
      const actor = staffOf(req);
      if (fields.length) reply.status(400);
      const platforms = await gov.platforms();
      return renderPage(views, req, reply, 'engagement/views/admin/platform-propose.njk', {
        values,
        canSpeak: Boolean(actor.organisationId),
        titleMax: TITLE_MAX,
        detailMax: DETAIL_MAX,
        platformItems: [
          { value: '', text: tr(req)('engagement.governance.admin.choosePlatform') },
          ...platforms.map((p) => ({ value: p.slug, text: L(lang, p.name, p.name_cy).text, selected: p.slug === values.platform })),
        ],
        ...formErrors(fields),
      });
    }
    admin.get('/admin/platforms/propose', { schema: { querystring: Type.Object({ platform: Field(100) }) } }, (req, reply) =>
      proposePage(req, reply, { platform: req.query.platform ?? '' }),
    );
    admin.post('/admin/platforms/propose', { schema: { body: ProposeBody } }, async (req, reply) => {
      const actor = staffOf(req);
      const t = tr(req);
      const values = {
        platform: req.body.platform ?? '',
        title: (req.body.title ?? '').trim(),
        detail: (req.body.detail ?? '').replace(/\r\n?/g, '\n').trim(),
      };
      const fields: Array<{ field: string; message: string }> = [];
      if (!actor.organisationId) throw new Forbidden();
      if (!(await gov.platforms()).some((p) => p.slug === values.platform))
        fields.push({ field: 'platform', message: t('engagement.governance.errors.platform') });
      if (!values.title) fields.push({ field: 'title', message: t('engagement.governance.errors.title') });
      else if (values.title.length > TITLE_MAX)
        fields.push({ field: 'title', message: t('engagement.governance.errors.titleLong', { max: TITLE_MAX }) });
      if (values.detail.length > DETAIL_MAX)
        fields.push({ field: 'detail', message: t('engagement.governance.errors.detailLong', { max: DETAIL_MAX }) });
      if (fields.length) return proposePage(req, reply, values, fields);
      await gov.propose(actor, values.platform, values);
      return reply.redirect(`/admin/platforms?done=requested${requestLang(req) === 'cy' ? '&lang=cy' : ''}`, 303);
    });

    const AnswerBody = Type.Object({ outcome: Field(20), reason: Field(100_000), status: Field(20) });
    async function answerPage(
      req: FastifyRequest,
      reply: FastifyReply,
      id: string,
      values: Record<string, string>,
      fields: Array<{ field: string; message: string }> = [],
    ) {
      const actor = staffOf(req);
      const lang = requestLang(req);
      const r = await gov.request(id);
      const p = (await gov.platforms()).find((s) => s.id === r.service_id);
      if (!p || !catalogue.canManage(actor, p.organisation.id, 'service')) throw new Forbidden();
      const org = (await catalogue.listOrganisations()).find((o) => o.id === r.organisation_id);
      if (fields.length) reply.status(400);
      return renderPage(views, req, reply, 'engagement/views/admin/platform-request.njk', {
        request: r,
        platform: L(lang, p.name, p.name_cy),
        organisation: org ? L(lang, org.name, org.name_cy) : { text: '', en: false },
        values,
        ...formErrors(fields),
      });
    }
    admin.get('/admin/platforms/requests/:id', { schema: { params: IdParams } }, (req, reply) => answerPage(req, reply, req.params.id, {}));
    admin.post('/admin/platforms/requests/:id', { schema: { params: IdParams, body: AnswerBody } }, async (req, reply) => {
      const t = tr(req);
      const values = {
        outcome: req.body.outcome ?? '',
        reason: (req.body.reason ?? '').replace(/\r\n?/g, '\n').trim(),
        status: req.body.status ?? 'later',
      };
      const fields: Array<{ field: string; message: string }> = [];
      if (values.outcome !== 'planned' && values.outcome !== 'declined')
        fields.push({ field: 'outcome', message: t('engagement.governance.errors.outcome') });
      if (!values.reason) fields.push({ field: 'reason', message: t('engagement.governance.errors.reason') });
      else if (values.reason.length > 5000)
        fields.push({ field: 'reason', message: t('engagement.governance.errors.reasonLong', { max: 5000 }) });
      const status = values.status === 'now' || values.status === 'next' ? values.status : 'later';
      if (fields.length) return answerPage(req, reply, req.params.id, values, fields);
      try {
        await gov.answer(staffOf(req), req.params.id, { outcome: values.outcome as 'planned' | 'declined', reason: values.reason, status });
      } catch (err) {
        return answerPage(
          req,
          reply,
          req.params.id,
          values,
          fieldErrorsFrom(err, 'outcome').map((f) => ({
            field: 'outcome',
            message: f.message === 'answered' ? t('engagement.governance.errors.answered') : f.message,
          })),
        );
      }
      return reply.redirect(`/admin/platforms?done=answered${requestLang(req) === 'cy' ? '&lang=cy' : ''}`, 303);
    });
  });
}
