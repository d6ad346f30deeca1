// Adoption pages (issue #17): /platforms/adoption across government and
// /platforms/adoption/:organisation for one organisation — which shared platforms each service
// really uses (keys with traffic in the last 30 days, sign-in clients, live forms), against the
// rule that new services use the shared platforms, with exemptions (decisions) and the monthly
// trend; the figures as open data (CSV/JSON, OGL). Staff record exemptions at
// /admin/platforms/exemptions (CSRF, POST-redirect-GET). Routes are typed by TypeBox schemas.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, NotFound } from '../../kernel/errors.js';
import { formErrors, dateFromParts, fieldErrorsFrom, type FormBody } from '../../kernel/forms.js';
import { csv } from '../../kernel/csv.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Adoption } from './adoption.js';
import { guardStaff } from '../../kernel/staff.js';

const Field = (max: number) => Type.Optional(Type.String({ maxLength: max }));
const OrgParams = Type.Object({ org: Type.String({ maxLength: 100 }) });
const FormatParams = Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('json')]) });
const L = (lang: string, en: string, cy: string | null | undefined) =>
  lang === 'cy' && cy ? { text: cy, en: false } : { text: en, en: lang === 'cy' };
const REASON_MAX = 2000;

export function adoptionPages(parent: FastifyInstance, k: Kernel, adoption: Adoption, catalogue: CatalogueService) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { views } = k;
  const tr = (req: FastifyRequest) => translator(views.messages, requestLang(req));
  const RULE_PLATFORMS = adoption.rulePlatforms;

  async function summary(lang: string, organisationSlug?: string) {
    const rows = await adoption.services(organisationSlug);
    const orgs = await catalogue.listOrganisations();
    const inScope = rows.filter((r) => r.inScope);
    const platforms = RULE_PLATFORMS.map((p) => ({
      key: p,
      using: rows.filter((r) => r.used.has(p)).length,
      declared: rows.filter((r) => r.declared.includes(p)).length,
      exempt: rows.filter((r) => r.exemptions.some((e) => e.platform === p)).length,
      gaps: inScope.filter((r) => r.gaps.includes(p)).length,
    }));
    const byOrg = orgs
      .map((o) => {
        const mine = rows.filter((r) => r.service.organisation.id === o.id);
        return {
          slug: o.slug,
          name: L(lang, o.name, o.name_cy),
          kind: o.kind,
          services: mine.length,
          using: mine.filter((r) => r.used.size > 0).length,
          inScope: mine.filter((r) => r.inScope).length,
          meeting: mine.filter((r) => r.meetsRule).length,
        };
      })
      .filter((o) => o.services > 0);
    const trend = await adoption.trend(12, organisationSlug ? new Set(rows.map((r) => r.service.id)) : undefined);
    return {
      rows,
      platforms,
      byOrg,
      trend,
      totals: { services: rows.length, inScope: inScope.length, meeting: inScope.filter((r) => r.meetsRule).length },
      services: rows.map((r) => ({
        slug: r.service.slug,
        name: L(lang, r.service.name, r.service.name_cy),
        phase: r.service.phase,
        inScope: r.inScope,
        meetsRule: r.meetsRule,
        used: [...r.used.entries()].map(([p, u]) => ({ platform: p, sources: u.sources, calls: u.calls })),
        gaps: r.gaps,
        exemptions: r.exemptions,
      })),
    };
  }

  app.get('/platforms/adoption', async (req, reply) => {
    const s = await summary(requestLang(req));
    return renderPage(views, req, reply, 'engagement/views/adoption.njk', { ...s, ruleLabel: 'engagement.adoption', organisation: null });
  });
  app.get('/platforms/adoption.:format', { schema: { params: FormatParams } }, async (req, reply) => {
    const s = await summary('en');
    const orgs = new Map((await catalogue.listOrganisations()).map((o) => [o.id, o]));
    const columns = [
      'organisation',
      'organisation_kind',
      'service',
      'phase',
      'platform',
      'declared',
      'in_use',
      'sources',
      'calls_30_days',
      'exempt_until',
      'in_scope',
    ];
    const rows = s.rows.flatMap((r) =>
      RULE_PLATFORMS.filter((p) => r.used.has(p) || r.declared.includes(p) || r.exemptions.some((e) => e.platform === p)).map((p) => ({
        organisation: orgs.get(r.service.organisation.id)?.slug ?? '',
        organisation_kind: r.service.organisation.kind,
        service: r.service.slug,
        phase: r.service.phase,
        platform: p,
        declared: r.declared.includes(p),
        in_use: r.used.has(p),
        sources: (r.used.get(p)?.sources ?? []).join(' '),
        calls_30_days: r.used.get(p)?.calls ?? 0,
        exempt_until: r.exemptions.find((e) => e.platform === p)?.expires_on ?? null,
        in_scope: r.inScope,
      })),
    );
    const trend = s.trend.flatMap((m) => RULE_PLATFORMS.map((p) => ({ month: m.month, platform: p, services: m.counts[p] ?? 0 })));
    reply.header('x-licence', 'OGL-UK-3.0');
    if (req.params.format === 'json')
      return reply.type('application/json; charset=utf-8').send(JSON.stringify({ licence: 'OGL-UK-3.0', columns, rows, trend }));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="platform-adoption.csv"')
      .send(csv([columns, ...rows.map((r) => columns.map((c) => String((r as Record<string, unknown>)[c] ?? '')))]));
  });
  app.get('/platforms/adoption/:org', { schema: { params: OrgParams } }, async (req, reply) => {
    const lang = requestLang(req);
    const org = (await catalogue.listOrganisations()).find((o) => o.slug === req.params.org);
    if (!org) throw new NotFound();
    const s = await summary(lang, org.slug);
    return renderPage(views, req, reply, 'engagement/views/adoption.njk', {
      ...s,
      organisation: { slug: org.slug, name: L(lang, org.name, org.name_cy), kind: org.kind },
    });
  });

  // Staff: record an exemption (a decision in the service's log).
  app.register(async (parentAdmin) => {
    const admin = parentAdmin.withTypeProvider<TypeBoxTypeProvider>();
    const actorOf = guardStaff(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });
    async function page(
      req: FastifyRequest,
      reply: FastifyReply,
      values: Record<string, string>,
      fields: Array<{ field: string; message: string }> = [],
    ) {
      const actor = actorOf(req);
      const lang = requestLang(req);
      const t = tr(req);
      const services = (await catalogue.listServices()).filter(
        (s) => !s.platform && catalogue.canManage(actor, s.organisation.id, 'service'),
      );
      if (fields.length) reply.status(400);
      return renderPage(views, req, reply, 'engagement/views/admin/exemption.njk', {
        values,
        reasonMax: REASON_MAX,
        serviceItems: [
          { value: '', text: t('engagement.adoption.admin.chooseService') },
          ...services.map((s) => ({ value: s.slug, text: L(lang, s.name, s.name_cy).text, selected: s.slug === values.service })),
        ],
        platformItems: [
          { value: '', text: t('engagement.adoption.admin.choosePlatform') },
          ...RULE_PLATFORMS.map((p) => ({ value: p, text: t(`catalogue.platforms.${p}`), selected: p === values.platform })),
        ],
        banner: values.done === 'exempted' ? t('engagement.adoption.admin.done') : null,
        ...formErrors(fields),
      });
    }
    admin.get(
      '/admin/platforms/exemptions',
      { schema: { querystring: Type.Object({ done: Field(20), service: Field(100) }) } },
      (req, reply) => page(req, reply, { done: req.query.done ?? '', service: req.query.service ?? '' }),
    );
    admin.post(
      '/admin/platforms/exemptions',
      {
        schema: {
          body: Type.Object({
            service: Field(100),
            platform: Field(100),
            reason: Field(100_000),
            'expires-day': Field(10),
            'expires-month': Field(10),
            'expires-year': Field(10),
          }),
        },
      },
      async (req, reply) => {
        const t = tr(req);
        const b = req.body;
        const values: Record<string, string> = {
          service: b.service ?? '',
          platform: b.platform ?? '',
          reason: (b.reason ?? '').replace(/\r\n?/g, '\n').trim(),
          'expires-day': b['expires-day'] ?? '',
          'expires-month': b['expires-month'] ?? '',
          'expires-year': b['expires-year'] ?? '',
        };
        const fields: Array<{ field: string; message: string }> = [];
        if (!values.service) fields.push({ field: 'service', message: t('engagement.adoption.errors.service') });
        if (!RULE_PLATFORMS.includes(values.platform))
          fields.push({ field: 'platform', message: t('engagement.adoption.errors.platform') });
        if (!values.reason) fields.push({ field: 'reason', message: t('engagement.adoption.errors.reason') });
        else if (values.reason.length > REASON_MAX)
          fields.push({ field: 'reason', message: t('engagement.adoption.errors.reasonLong', { max: REASON_MAX }) });
        const expires = dateFromParts(b as FormBody, 'expires', 'expiry');
        const today = new Date().toISOString().slice(0, 10);
        if (expires.error || !expires.value) fields.push({ field: 'expires-day', message: t('engagement.adoption.errors.expires') });
        else if (expires.value <= today) fields.push({ field: 'expires-day', message: t('engagement.adoption.errors.expiresPast') });
        if (fields.length || !expires.value) return page(req, reply, values, fields);
        const actor = actorOf(req);
        try {
          const s = await catalogue.getService(values.service);
          if (!catalogue.canManage(actor, s.organisation.id, 'service')) throw new Forbidden();
          const holder = (await catalogue.getServiceDetail(s.slug)).office_holder;
          await adoption.exempt(actor, {
            serviceSlug: s.slug,
            platform: values.platform,
            reason: values.reason,
            expiresOn: expires.value,
            decidedBy: holder?.role ?? s.organisation.name,
          });
        } catch (err) {
          if (err instanceof NotFound)
            return page(req, reply, values, [{ field: 'service', message: t('engagement.adoption.errors.service') }]);
          return page(req, reply, values, fieldErrorsFrom(err, 'service'));
        }
        return reply.redirect(`/admin/platforms/exemptions?done=exempted${requestLang(req) === 'cy' ? '&lang=cy' : ''}`, 303);
      },
    );
  });
}
