// Public catalogue pages: find a service, organisations, and the service page (who is
// accountable, decisions, roadmap, satisfaction, panels other modules add) with its feedback
// form. GET renders; the feedback POST validates → service → 303 to a thank-you page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { FieldError } from '../../kernel/errors.js';
import { formErrors, str, type FormBody, type FormErrors } from '../../kernel/forms.js';
import { renderCachedPage, renderPage, requestLang, translator, type Lang } from '../../kernel/views.js';
import { createCache } from '../../kernel/cache.js';
import { OrganisationNotFound, type CatalogueService } from './service.js';
import { ROADMAP_STATUSES, type Organisation, type Service, type ServiceDetail } from './schema.js';
import { applyPages, localised, safeHref, textBlocks, type StartLinks } from './pages-apply.js';

/** A panel another module adds to every service page (live performance, experiments…); 'accountable' places it beside the office-holder. */
export type ServicePanel = (
  service: Service,
  lang: 'en' | 'cy',
) => Promise<{ title: string; html: string; placement?: 'accountable' } | null>;

/** The home page's organisation-type filter: each value and the organisation kinds it covers. */
const KIND_FILTERS: Record<string, readonly string[]> = {
  central: ['ministerial_department', 'non_ministerial_department', 'arms_length_body'],
  local_authority: ['local_authority'],
  partner: ['partner'],
  supplier: ['supplier'],
};
/** Groups on the organisations page, in order. */
const ORG_GROUPS: Array<{ key: string; kinds: readonly string[] }> = [
  { key: 'departments', kinds: ['ministerial_department', 'non_ministerial_department'] },
  { key: 'arms_length_body', kinds: ['arms_length_body'] },
  { key: 'local_authority', kinds: ['local_authority'] },
  { key: 'partner', kinds: ['partner'] },
  { key: 'supplier', kinds: ['supplier'] },
];
const RATINGS = ['5', '4', '3', '2', '1'] as const;
const IMPROVEMENT_MAX = 1200;
const Q_MAX = 200;

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const WEB = /^https?:\/\/\S+$/i;

/** First string value of a query parameter (repeated parameters arrive as arrays). */
function param(v: unknown): string {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : '';
}

function contactLink(contact: string): { text: string; href: string | null } {
  if (EMAIL.test(contact)) return { text: contact, href: `mailto:${contact}` };
  if (WEB.test(contact)) return { text: contact, href: contact };
  return { text: contact, href: null };
}

export function cataloguePages(
  app: FastifyInstance,
  kernel: Kernel,
  catalogue: CatalogueService,
  panels: ServicePanel[],
  startLinks: StartLinks,
) {
  const { views } = kernel;
  const tr = { en: translator(views.messages, 'en'), cy: translator(views.messages, 'cy') };

  // The blank feedback form is the same on every service page but for its action and CSRF
  // token, so each language's copy is rendered once and those two filled in per request.
  const ACTION_SLOT = '\u0000action\u0000';
  const CSRF_SLOT = '\u0000csrf\u0000';
  const feedbackCtx = { ratings: RATINGS, improvementMax: IMPROVEMENT_MAX };
  const blankForms = new Map<Lang, string>();
  function blankFeedbackForm(lang: Lang, action: string, csrf: string): string {
    let html = blankForms.get(lang);
    if (html === undefined) {
      html = views.env.render('catalogue/views/feedback-form.njk', {
        ...feedbackCtx,
        t: tr[lang],
        lang,
        values: {},
        errors: {},
        feedbackAction: ACTION_SLOT,
        csrfToken: CSRF_SLOT,
      });
      blankForms.set(lang, html);
    }
    return html.replace(ACTION_SLOT, () => action).replace(CSRF_SLOT, () => csrf);
  }

  function serviceCard(s: Service, lang: Lang, orgNames?: Map<string, string | null>) {
    return {
      slug: s.slug,
      name: localised(lang, s.name, s.name_cy),
      summary: localised(lang, s.summary, s.summary_cy),
      organisation: localised(lang, s.organisation.name, orgNames?.get(s.organisation.id)),
      phase: s.phase,
    };
  }

  // Find a service: search text, organisation and organisation type. An unknown filter value
  // is reported in the error summary and ignored, so the page always shows results.
  app.get('/', async (req, reply) => {
    const lang = requestLang(req);
    const t = tr[lang];
    const query = (req.query ?? {}) as Record<string, unknown>;
    const q = param(query.q).slice(0, Q_MAX);
    const organisation = param(query.organisation);
    const kindParam = param(query.kind) || 'all';
    const kindFilter = Object.hasOwn(KIND_FILTERS, kindParam) ? KIND_FILTERS[kindParam] : undefined;
    const kind = kindFilter ? kindParam : 'all';
    const orgKind = kindFilter?.length === 1 ? kindFilter[0] : undefined;
    const find = (org?: string) => catalogue.listServices({ q, organisation: org || undefined, orgKind });
    const [orgs, found] = await Promise.all([
      catalogue.listOrganisations(),
      find(organisation).catch((err) => {
        if (err instanceof OrganisationNotFound) return null;
        throw err;
      }),
    ]);
    const fields: FieldError[] = [];
    if (!found)
      fields.push({ field: 'organisation', message: t('catalogue.home.errors.organisation', { slug: organisation.slice(0, 80) }) });
    if (kindParam !== kind) fields.push({ field: 'kind', message: t('catalogue.home.errors.kind') });
    let services = found ?? (await find());
    if (kindFilter && kindFilter.length > 1) services = services.filter((s) => kindFilter.includes(s.organisation.kind));

    const orgNames = new Map(orgs.map((o) => [o.id, o.name_cy]));
    const orgOptions = orgs
      .map((o) => ({ value: o.slug, text: localised(lang, o.name, o.name_cy).text, selected: o.slug === organisation }))
      .sort((a, b) => a.text.localeCompare(b.text, lang === 'cy' ? 'cy' : 'en-GB'));
    const form = formErrors(fields);
    return renderPage(views, req, reply, 'catalogue/views/home.njk', {
      q,
      organisationItems: [{ value: '', text: t('catalogue.home.allOrganisations') }, ...orgOptions],
      kind,
      kindValues: ['all', ...Object.keys(KIND_FILTERS)],
      filtered: Boolean(q || organisation || kind !== 'all'),
      services: services.map((s) => serviceCard(s, lang, orgNames)),
      ...form,
    });
  });

  app.get('/organisations', async (req, reply) => {
    const lang = requestLang(req);
    const orgs = await catalogue.listOrganisations();
    const groups = ORG_GROUPS.map((g) => ({
      key: g.key,
      organisations: orgs.filter((o) => g.kinds.includes(o.kind)).map((o) => orgCard(o, lang)),
    })).filter((g) => g.organisations.length > 0);
    return renderPage(views, req, reply, 'catalogue/views/organisations.njk', { groups });
  });

  app.get('/organisations/:slug', async (req, reply) => {
    const lang = requestLang(req);
    const { slug } = req.params as { slug: string };
    const organisation = await catalogue.getOrganisation(slug);
    const [teams, services, orgs] = await Promise.all([
      catalogue.listTeams(organisation.id),
      catalogue.listServices({ organisation: slug }),
      catalogue.listOrganisations(),
    ]);
    const parent = orgs.find((o) => o.id === organisation.parent_id);
    const orgNames = new Map(orgs.map((o) => [o.id, o.name_cy]));
    return renderPage(views, req, reply, 'catalogue/views/organisation.njk', {
      organisation: orgCard(organisation, lang),
      website: safeHref(organisation.website),
      parent: parent ? orgCard(parent, lang) : null,
      children: orgs.filter((o) => o.parent_id === organisation.id).map((o) => orgCard(o, lang)),
      teams: teams.map((tm) => ({ name: localised(lang, tm.name, tm.name_cy), email: tm.email && EMAIL.test(tm.email) ? tm.email : null })),
      services: services.map((s) => serviceCard(s, lang, orgNames)),
    });
  });

  function orgCard(o: Organisation, lang: Lang) {
    return {
      slug: o.slug,
      name: localised(lang, o.name, o.name_cy),
      kind: o.kind,
      summary: localised(lang, o.summary, o.summary_cy),
      isDemo: o.is_demo,
    };
  }

  /** Panels run side by side; one that fails is left out (and logged) rather than failing the page. */
  async function runPanels(req: FastifyRequest, s: Service, lang: Lang) {
    if (panels.length === 0) return [];
    const results = await Promise.all(
      panels.map(async (panel) => {
        try {
          return await panel(s, lang);
        } catch (err) {
          req.log.error({ err, service: s.slug }, 'service panel failed');
          return null;
        }
      }),
    );
    return results.filter((r): r is { title: string; html: string; placement?: 'accountable' } => !!r && typeof r.html === 'string');
  }

  // Service pages are served from a short-lived cache of rendered HTML (the CSRF token and
  // CSP nonce are filled in per request), cleared whenever the catalogue changes.
  const pageCache = createCache<string>({ ttlMs: 5000, max: 1000 });
  catalogue.onChange(() => pageCache.clear());

  async function showService(
    req: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    form?: { values: Record<string, string> } & FormErrors,
  ) {
    if (!form) {
      const s: ServiceDetail = await catalogue.getServiceDetail(slug); // a 404 is never cached
      return renderCachedPage(views, req, reply, pageCache, 'catalogue/views/service.njk', (csrfSlot) =>
        serviceContext(req, s, undefined, csrfSlot),
      );
    }
    const s: ServiceDetail = await catalogue.getServiceDetail(slug);
    return renderPage(views, req, reply.status(400), 'catalogue/views/service.njk', await serviceContext(req, s, form, ''));
  }

  async function serviceContext(
    req: FastifyRequest,
    s: ServiceDetail,
    form: ({ values: Record<string, string> } & FormErrors) | undefined,
    csrf: string,
  ) {
    const lang = requestLang(req);
    const extra = await runPanels(req, s, lang);
    const holder = s.office_holder;
    const [orgs, all] = await Promise.all([catalogue.listOrganisations(), catalogue.listServices()]);
    const platformHref = new Map(all.filter((x) => x.platform).map((x) => [x.platform!, `/services/${x.slug}`]));
    const welshName = (id: string) => orgs.find((o) => o.id === id)?.name_cy;
    const action = `/services/${encodeURIComponent(s.slug)}/feedback${lang === 'cy' ? '?lang=cy' : ''}`;
    const L = (en: string, cy: string | null | undefined) => localised(lang, en, cy);
    const description = L(s.description, s.description_cy);
    const holderView = (h: NonNullable<typeof holder>) => ({ ...h, role: L(h.role, h.role_cy) });
    return {
      service: s,
      name: L(s.name, s.name_cy),
      summary: L(s.summary, s.summary_cy),
      startUrl: await startLinks.of(s),
      description: { blocks: textBlocks(description.text), en: description.en },
      team: s.team ? L(s.team.name, s.team.name_cy) : null,
      decisions: s.decisions.map((d) => ({
        decided_on: d.decided_on,
        decision: L(d.decision, d.decision_cy),
        reasoning: L(d.reasoning, d.reasoning_cy),
        decided_by: L(d.decided_by, d.decided_by_cy),
        evidence_url: safeHref(d.evidence_url),
      })),
      holder: holder ? { ...holderView(holder), contactLink: holder.contact ? contactLink(holder.contact) : null } : null,
      previousHolders: s.previous_office_holders.map(holderView),
      organisationName: L(s.organisation.name, welshName(s.organisation.id)),
      holderOrganisation: holder ? L(holder.organisation_name, welshName(holder.organisation_id)) : null,
      roadmap: ROADMAP_STATUSES.map((status) => ({
        status,
        items: s.roadmap
          .filter((r) => r.status === status)
          .map((r) => ({ title: L(r.title, r.title_cy), description: L(r.description, r.description_cy), target_date: r.target_date })),
      })).filter((g) => g.items.length > 0),
      platforms: s.platforms.map((p) => ({
        key: p,
        known: `catalogue.platforms.${p}` in views.messages.en,
        href: platformHref.get(p) ?? null,
      })),
      // A shared platform's own page lists the services that say they use it.
      users: s.platform
        ? all
            .filter((u) => u.id !== s.id && u.platforms.includes(s.platform!))
            .map((u) => ({ slug: u.slug, name: L(u.name, u.name_cy), organisation: L(u.organisation.name, welshName(u.organisation.id)) }))
        : null,
      panels: extra.filter((p) => p.placement !== 'accountable'),
      panelsBesideHolder: extra.filter((p) => p.placement === 'accountable'),
      ...(form
        ? { ...feedbackCtx, feedbackAction: action, values: form.values, errors: form.errors, errorList: form.errorList }
        : { feedbackFormHtml: blankFeedbackForm(lang, action, csrf) }),
    };
  }

  app.get('/services/:slug', async (req, reply) => showService(req, reply, (req.params as { slug: string }).slug));
  applyPages(app, kernel, catalogue, startLinks);

  app.post('/services/:slug/feedback', { config: { rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (req, reply) => {
    const { slug } = req.params as { slug: string };
    const t = tr[requestLang(req)];
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as FormBody;
    const rating = str(body, 'rating', 10);
    // Browsers send line breaks as CRLF; count them as the character count component does.
    const improvement = str(body, 'improvement', 20_000).replace(/\r\n?/g, '\n');
    const fields: FieldError[] = [];
    if (!/^[1-5]$/.test(rating)) fields.push({ field: 'rating', message: t('catalogue.feedback.errors.rating') });
    if (improvement.length > IMPROVEMENT_MAX)
      fields.push({ field: 'improvement', message: t('catalogue.feedback.errors.improvementTooLong') });
    if (fields.length) return showService(req, reply, slug, { values: { rating, improvement }, ...formErrors(fields) });
    await catalogue.submitFeedback(slug, { rating: Number(rating), improvement });
    const lang = (req.query as Record<string, unknown> | undefined)?.lang === 'cy' ? '?lang=cy' : '';
    return reply.redirect(`/services/${encodeURIComponent(slug)}/feedback/thanks${lang}`, 303);
  });

  // The form's address, opened directly (a refresh, or the language switch on a page showing
  // errors), goes back to the form on the service page.
  app.get('/services/:slug/feedback', async (req, reply) => {
    const { slug } = req.params as { slug: string };
    const q = (req.query as Record<string, unknown> | undefined)?.lang;
    return reply.redirect(`/services/${encodeURIComponent(slug)}${q === 'cy' || q === 'en' ? `?lang=${q}` : ''}#feedback`, 303);
  });

  app.get('/services/:slug/feedback/thanks', async (req, reply) => {
    const lang = requestLang(req);
    const s = await catalogue.getService((req.params as { slug: string }).slug);
    return renderPage(views, req, reply, 'catalogue/views/feedback-thanks.njk', { slug: s.slug, name: localised(lang, s.name, s.name_cy) });
  });
}
