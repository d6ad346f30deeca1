// Staff console: create and edit a service, and the service's admin page (details,
// office-holder and history, decisions, roadmap, API keys). Office-holder, decision and
// roadmap forms are in admin-records.ts; API keys in admin-keys.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden } from '../../kernel/errors.js';
import { list, type FormBody } from '../../kernel/forms.js';
import type { CatalogueService } from './service.js';
import { PHASES, PLATFORMS, type Service, type ServiceInput } from './schema.js';
import {
  actorOf,
  checker,
  manageableOrgs,
  redirectDone,
  render,
  renderErrors,
  ruleErrors,
  serviceFor,
  tr,
  values,
  type StaffActor,
  type T,
} from './admin-common.js';
import { checkboxItems, options, radioItems, selectItems } from './admin-form-items.js';
import { adminRecordPages } from './admin-records.js';

const FIELDS = [
  ...['slug', 'name', 'name_cy', 'summary', 'summary_cy', 'description', 'description_cy', 'how_to_apply', 'how_to_apply_cy'],
  ...['phase', 'organisation', 'team', 'start_url'],
];
const RENAME = { organisation_slug: 'organisation', team_slug: 'team' };

export function adminServicePages(app: FastifyInstance, kernel: Kernel, catalogue: CatalogueService) {
  /** Selects, radios and checkboxes for the service form, with what was entered marked. */
  async function formCtx(actor: StaffActor, t: T, vals: Record<string, string>, platforms: string[]) {
    const orgs = await manageableOrgs(catalogue, actor, 'org');
    if (!orgs.length) throw new Forbidden();
    const teams = (
      await Promise.all(
        orgs.map(async (o) => (await catalogue.listTeams(o.id)).map((tm) => ({ value: tm.slug, text: `${tm.name} (${o.name})` }))),
      )
    ).flat();
    return {
      orgSlugs: orgs.map((o) => o.slug),
      ctx: {
        values: vals,
        organisationItems: selectItems(
          orgs.map((o) => ({ value: o.slug, text: o.name })),
          vals.organisation,
          t('catalogue.admin.chooseOrganisation'),
        ),
        teamItems: selectItems(teams, vals.team, t('catalogue.admin.service.noTeam')),
        phaseItems: radioItems(options(PHASES, t, 'phases'), vals.phase),
        platformItems: checkboxItems(options(PLATFORMS, t, 'platforms'), platforms),
      },
    };
  }

  function parse(body: FormBody | undefined, t: T, orgSlugs: string[], isNew: boolean) {
    const vals = values(body, FIELDS);
    const platforms = list(body, 'platforms');
    const c = checker(t);
    if (isNew) c.slug(vals.slug);
    c.required('name', vals.name, 'nameMissing');
    c.optional('name_cy', vals.name_cy, 200);
    c.required('summary', vals.summary, 'summaryMissing', 500);
    c.optional('summary_cy', vals.summary_cy, 500);
    c.optional('description', vals.description, 5000);
    for (const f of ['description_cy', 'how_to_apply', 'how_to_apply_cy']) c.optional(f, vals[f], 5000);
    c.oneOf('phase', vals.phase, PHASES, 'phaseMissing');
    c.oneOf('organisation', vals.organisation, orgSlugs, 'organisationMissing');
    if (vals.team && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(vals.team)) c.add('team', 'teamInvalid');
    c.url('start_url', vals.start_url);
    if (platforms.some((p) => !(PLATFORMS as readonly string[]).includes(p)) || new Set(platforms).size !== platforms.length)
      c.add('platforms', 'platformsInvalid');
    const input = {
      slug: vals.slug,
      name: vals.name,
      name_cy: vals.name_cy || null,
      summary: vals.summary,
      summary_cy: vals.summary_cy || null,
      description: vals.description,
      description_cy: vals.description_cy || null,
      how_to_apply: vals.how_to_apply,
      how_to_apply_cy: vals.how_to_apply_cy || null,
      phase: vals.phase,
      organisation_slug: vals.organisation,
      team_slug: vals.team || null,
      start_url: vals.start_url || null,
      platforms,
    } as ServiceInput;
    return { vals, platforms, input, errors: c.errors };
  }

  const newTitle = (t: T) => t('catalogue.admin.service.newTitle');

  app.get('/admin/services/new', async (req, reply) => {
    const t = tr(kernel, req);
    const actor = actorOf(req);
    const ownSlug = (await manageableOrgs(catalogue, actor, 'org')).find((o) => o.id === actor.organisationId)?.slug ?? '';
    const { ctx } = await formCtx(actor, t, { organisation: ownSlug }, []);
    return render(kernel, req, reply, 'service-form', { title: newTitle(t), isNew: true, ...ctx });
  });

  app.post('/admin/services', async (req, reply) => {
    const t = tr(kernel, req);
    const actor = actorOf(req);
    if (actor.role === 'service_team') throw new Forbidden(); // before validation: they cannot create services at all
    const body = req.body as FormBody | undefined;
    const first = await formCtx(actor, t, {}, []);
    const { vals, platforms, input, errors } = parse(body, t, first.orgSlugs, true);
    const again = async (fields: typeof errors) =>
      renderErrors(kernel, req, reply, 'service-form', fields, {
        title: newTitle(t),
        isNew: true,
        ...(await formCtx(actor, t, vals, platforms)).ctx,
      });
    if (errors.length) return again(errors);
    try {
      await catalogue.createService(actor, input);
    } catch (err) {
      return again(ruleErrors(err, 'slug', t, RENAME));
    }
    return redirectDone(reply, `/admin/services/${input.slug}`, 'service-created');
  });

  app.get('/admin/services/:slug', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req, 'service');
    const [detail, keys] = await Promise.all([catalogue.getServiceDetail(service.slug), catalogue.listApiKeys(service.id)]);
    return render(kernel, req, reply, 'service', {
      title: service.name,
      service: detail,
      keys,
      canEdit: catalogue.canManage(actor, service.organisation.id, 'org'),
    });
  });

  const editPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    actor: StaffActor,
    service: Service,
    vals: Record<string, string>,
    platforms: string[],
    fields: Array<{ field: string; message: string }> = [],
  ) => {
    const t = tr(kernel, req);
    const ctx = {
      title: t('catalogue.admin.service.editTitle', { name: service.name }),
      isNew: false,
      service,
      ...(await formCtx(actor, t, vals, platforms)).ctx,
    };
    return fields.length ? renderErrors(kernel, req, reply, 'service-form', fields, ctx) : render(kernel, req, reply, 'service-form', ctx);
  };

  app.get('/admin/services/:slug/edit', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req, 'org');
    const vals: Record<string, string> = {
      slug: service.slug,
      name: service.name,
      name_cy: service.name_cy ?? '',
      summary: service.summary,
      summary_cy: service.summary_cy ?? '',
      description: service.description,
      description_cy: service.description_cy ?? '',
      how_to_apply: service.how_to_apply,
      how_to_apply_cy: service.how_to_apply_cy ?? '',
      phase: service.phase,
      organisation: service.organisation.slug,
      team: service.team?.slug ?? '',
      start_url: service.start_url ?? '',
    };
    return editPage(req, reply, actor, service, vals, service.platforms);
  });

  app.post('/admin/services/:slug/edit', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req, 'org');
    const t = tr(kernel, req);
    const orgSlugs = (await manageableOrgs(catalogue, actor, 'org')).map((o) => o.slug);
    const { vals, platforms, input, errors } = parse(req.body as FormBody | undefined, t, orgSlugs, false);
    vals.slug = service.slug;
    if (errors.length) return editPage(req, reply, actor, service, vals, platforms, errors);
    const { slug: _slug, ...patch } = input;
    try {
      await catalogue.updateService(actor, service.slug, patch);
    } catch (err) {
      return editPage(req, reply, actor, service, vals, platforms, ruleErrors(err, 'name', t, RENAME));
    }
    return redirectDone(reply, `/admin/services/${service.slug}`, 'service-updated');
  });

  adminRecordPages(app, kernel, catalogue);
}
