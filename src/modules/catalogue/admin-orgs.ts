// Staff console: organisations (platform administrators create them; organisation
// administrators edit their own) and their teams. Staff accounts are in admin-staff.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, type FieldError } from '../../kernel/errors.js';
import type { FormBody } from '../../kernel/forms.js';
import type { CatalogueService } from './service.js';
import { ORG_KINDS, type Organisation, type OrganisationInput } from './schema.js';
import {
  actorOf,
  checker,
  manageableOrgs,
  redirectDone,
  render,
  renderErrors,
  ruleErrors,
  tr,
  values,
  type StaffActor,
  type T,
} from './admin-common.js';
import { options, radioItems, selectItems } from './admin-form-items.js';
import { adminStaffPages } from './admin-staff.js';

const FIELDS = ['slug', 'name', 'name_cy', 'kind', 'summary', 'summary_cy', 'website', 'parent'];

export function adminOrgPages(app: FastifyInstance, kernel: Kernel, catalogue: CatalogueService) {
  /** The organisation named in the URL, if this actor may work on it at this level; otherwise 403. */
  async function orgFor(req: FastifyRequest, level: 'org' | 'service') {
    const actor = actorOf(req);
    const organisation = await catalogue.getOrganisation((req.params as { slug: string }).slug);
    if (!catalogue.canManage(actor, organisation.id, level)) throw new Forbidden();
    return { actor, organisation };
  }
  const requirePlatformAdmin = (actor: StaffActor) => {
    if (actor.role !== 'platform_admin') throw new Forbidden();
  };

  app.get('/admin/organisations', async (req, reply) => {
    const actor = actorOf(req);
    return render(kernel, req, reply, 'organisations', {
      title: tr(kernel, req)('catalogue.admin.organisations.title'),
      organisations: await manageableOrgs(catalogue, actor, 'service'),
      canCreate: actor.role === 'platform_admin',
    });
  });

  const formPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    actor: StaffActor,
    current: Organisation | null,
    vals: Record<string, string>,
    fields: FieldError[] = [],
  ) => {
    const t = tr(kernel, req);
    const others = (await catalogue.listOrganisations()).filter((o) => o.id !== current?.id);
    const ctx = {
      title: current ? t('catalogue.admin.organisation.editTitle', { name: current.name }) : t('catalogue.admin.organisation.newTitle'),
      organisation: current,
      values: vals,
      canChangeKind: actor.role === 'platform_admin',
      kindItems: radioItems(options(ORG_KINDS, t, 'orgKinds'), vals.kind),
      parentItems: selectItems(
        others.map((o) => ({ value: o.slug, text: o.name })),
        vals.parent,
        t('catalogue.admin.organisation.noParent'),
      ),
    };
    return fields.length
      ? renderErrors(kernel, req, reply, 'organisation-form', fields, ctx)
      : render(kernel, req, reply, 'organisation-form', ctx);
  };

  function parse(body: FormBody | undefined, t: T, current: Organisation | null, canChangeKind: boolean) {
    const vals = values(body, FIELDS);
    if (current) {
      vals.slug = current.slug;
      if (!canChangeKind) vals.kind = current.kind;
    }
    const c = checker(t);
    if (!current) c.slug(vals.slug);
    c.required('name', vals.name, 'orgNameMissing');
    c.optional('name_cy', vals.name_cy, 200);
    c.oneOf('kind', vals.kind, ORG_KINDS, 'kindMissing');
    c.optional('summary', vals.summary, 2000);
    c.optional('summary_cy', vals.summary_cy, 2000);
    c.url('website', vals.website);
    if (vals.parent && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(vals.parent)) c.add('parent', 'parentInvalid');
    const input = {
      slug: vals.slug,
      name: vals.name,
      name_cy: vals.name_cy || null,
      kind: vals.kind,
      summary: vals.summary,
      summary_cy: vals.summary_cy || null,
      website: vals.website || null,
      parent_slug: vals.parent || null,
    } as OrganisationInput;
    return { vals, input, errors: c.errors };
  }
  const RENAME = { parent_slug: 'parent' };

  app.get('/admin/organisations/new', async (req, reply) => {
    const actor = actorOf(req);
    requirePlatformAdmin(actor);
    return formPage(req, reply, actor, null, {});
  });

  app.post('/admin/organisations', async (req, reply) => {
    const actor = actorOf(req);
    requirePlatformAdmin(actor);
    const t = tr(kernel, req);
    const { vals, input, errors } = parse(req.body as FormBody | undefined, t, null, true);
    if (errors.length) return formPage(req, reply, actor, null, vals, errors);
    try {
      await catalogue.createOrganisation(actor, input);
    } catch (err) {
      return formPage(req, reply, actor, null, vals, ruleErrors(err, 'parent', t, RENAME));
    }
    return redirectDone(reply, `/admin/organisations/${input.slug}`, 'organisation-created');
  });

  app.get('/admin/organisations/:slug', async (req, reply) => {
    const { actor, organisation } = await orgFor(req, 'service');
    const [teams, services, all] = await Promise.all([
      catalogue.listTeams(organisation.id),
      catalogue.listServices({ organisation: organisation.slug }),
      catalogue.listOrganisations(),
    ]);
    return render(kernel, req, reply, 'organisation', {
      title: organisation.name,
      organisation,
      teams,
      services,
      parent: all.find((o) => o.id === organisation.parent_id) ?? null,
      canEdit: catalogue.canManage(actor, organisation.id, 'org'),
    });
  });

  app.get('/admin/organisations/:slug/edit', async (req, reply) => {
    const { actor, organisation: o } = await orgFor(req, 'org');
    const parent = (await catalogue.listOrganisations()).find((p) => p.id === o.parent_id);
    return formPage(req, reply, actor, o, {
      slug: o.slug,
      name: o.name,
      name_cy: o.name_cy ?? '',
      kind: o.kind,
      summary: o.summary,
      summary_cy: o.summary_cy ?? '',
      website: o.website ?? '',
      parent: parent?.slug ?? '',
    });
  });

  app.post('/admin/organisations/:slug/edit', async (req, reply) => {
    const { actor, organisation } = await orgFor(req, 'org');
    const t = tr(kernel, req);
    const { vals, input, errors } = parse(req.body as FormBody | undefined, t, organisation, actor.role === 'platform_admin');
    if (errors.length) return formPage(req, reply, actor, organisation, vals, errors);
    const { slug: _slug, ...changes } = input;
    try {
      await catalogue.updateOrganisation(actor, organisation.slug, changes);
    } catch (err) {
      return formPage(req, reply, actor, organisation, vals, ruleErrors(err, 'name', t, RENAME));
    }
    return redirectDone(reply, `/admin/organisations/${organisation.slug}`, 'organisation-updated');
  });

  // Teams
  const teamPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    organisation: Organisation,
    vals: Record<string, string>,
    fields: FieldError[] = [],
  ) => {
    const ctx = { title: tr(kernel, req)('catalogue.admin.team.title'), organisation, values: vals };
    return fields.length ? renderErrors(kernel, req, reply, 'team-form', fields, ctx) : render(kernel, req, reply, 'team-form', ctx);
  };

  app.get('/admin/organisations/:slug/teams/new', async (req, reply) => {
    const { organisation } = await orgFor(req, 'org');
    return teamPage(req, reply, organisation, {});
  });

  app.post('/admin/organisations/:slug/teams/new', async (req, reply) => {
    const { actor, organisation } = await orgFor(req, 'org');
    const t = tr(kernel, req);
    const vals = values(req.body as FormBody | undefined, ['slug', 'name', 'name_cy', 'email']);
    const c = checker(t);
    c.slug(vals.slug);
    c.required('name', vals.name, 'teamNameMissing');
    c.optional('name_cy', vals.name_cy, 200);
    c.email('email', vals.email, false);
    if (c.errors.length) return teamPage(req, reply, organisation, vals, c.errors);
    try {
      await catalogue.createTeam(actor, organisation.slug, {
        slug: vals.slug,
        name: vals.name,
        name_cy: vals.name_cy || null,
        email: vals.email || null,
      });
    } catch (err) {
      return teamPage(req, reply, organisation, vals, ruleErrors(err, 'slug', t));
    }
    return redirectDone(reply, `/admin/organisations/${organisation.slug}`, 'team-added');
  });

  adminStaffPages(app, kernel, catalogue);
}
