// Staff console: staff accounts. Platform administrators see and add anyone; organisation
// administrators see and add people in their own organisation; service teams have no access.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, type FieldError } from '../../kernel/errors.js';
import type { FormBody } from '../../kernel/forms.js';
import type { CatalogueService } from './service.js';
import { STAFF_ROLES } from './schema.js';
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
} from './admin-common.js';
import { radioItems, selectItems } from './admin-form-items.js';

export function adminStaffPages(app: FastifyInstance, kernel: Kernel, catalogue: CatalogueService) {
  const staffAdmin = (req: FastifyRequest): StaffActor => {
    const actor = actorOf(req);
    if (actor.role === 'service_team') throw new Forbidden();
    return actor;
  };
  const scope = (actor: StaffActor) => (actor.role === 'platform_admin' ? null : actor.organisationId);

  app.get('/admin/staff', async (req, reply) => {
    const actor = staffAdmin(req);
    const t = tr(kernel, req);
    const [people, orgs] = await Promise.all([catalogue.listStaff(scope(actor)), catalogue.listOrganisations()]);
    const orgName = new Map(orgs.map((o) => [o.id, o.name]));
    const now = new Date();
    return render(kernel, req, reply, 'staff', {
      title: t('catalogue.admin.staff.title'),
      people: people.map((p) => ({
        email: p.email,
        name: p.name,
        role: t(`catalogue.admin.roles.${p.role}`),
        organisation: p.organisation_id ? (orgName.get(p.organisation_id) ?? '') : '',
        status: p.disabled_at ? 'disabled' : p.locked_until && new Date(p.locked_until) > now ? 'locked' : 'active',
      })),
    });
  });

  const formPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    actor: StaffActor,
    vals: Record<string, string>,
    fields: FieldError[] = [],
  ) => {
    const t = tr(kernel, req);
    const orgs = await manageableOrgs(catalogue, actor, 'org');
    const roles = actor.role === 'platform_admin' ? STAFF_ROLES : STAFF_ROLES.filter((r) => r !== 'platform_admin');
    const ctx = {
      title: t('catalogue.admin.staff.newTitle'),
      values: vals,
      roleItems: radioItems(
        roles.map((r) => ({ value: r, text: t(`catalogue.admin.roles.${r}`), hint: { text: t(`catalogue.admin.roles.${r}Hint`) } })),
        vals.role,
      ),
      organisationItems: selectItems(
        orgs.map((o) => ({ value: o.slug, text: o.name })),
        vals.organisation,
        t('catalogue.admin.chooseOrganisation'),
      ),
      roleSlugs: roles,
    };
    return fields.length ? renderErrors(kernel, req, reply, 'staff-form', fields, ctx) : render(kernel, req, reply, 'staff-form', ctx);
  };

  app.get('/admin/staff/new', async (req, reply) => {
    const actor = staffAdmin(req);
    const own = (await manageableOrgs(catalogue, actor, 'org')).find((o) => o.id === actor.organisationId);
    return formPage(req, reply, actor, { organisation: own?.slug ?? '' });
  });

  app.post('/admin/staff/new', async (req, reply) => {
    const actor = staffAdmin(req);
    const t = tr(kernel, req);
    const body = req.body as FormBody | undefined;
    const vals = values(body, ['email', 'name', 'role', 'organisation']);
    const password = typeof body?.password === 'string' ? body.password : '';
    const orgSlugs = (await manageableOrgs(catalogue, actor, 'org')).map((o) => o.slug);
    const roles: readonly string[] = actor.role === 'platform_admin' ? STAFF_ROLES : STAFF_ROLES.filter((r) => r !== 'platform_admin');
    const c = checker(t);
    c.email('email', vals.email, true);
    c.required('name', vals.name, 'staffNameMissing');
    c.oneOf('role', vals.role, roles, 'roleMissing');
    if (vals.role !== 'platform_admin') c.oneOf('organisation', vals.organisation, orgSlugs, 'organisationMissing');
    if (!password) c.add('password', 'passwordMissing');
    else if (password.length < 12) c.add('password', 'passwordShort');
    else if (password.length > 200) c.add('password', 'tooLong', { max: 200 });
    // "Add" never takes over an existing account: createStaff would update it in place
    // (new password, role and organisation), which is not what this form promises.
    if (vals.email && !c.errors.some((e) => e.field === 'email')) {
      const taken = (await catalogue.listStaff(null)).some((s) => s.email === vals.email.toLowerCase());
      if (taken) c.add('email', 'staffExists');
    }
    if (c.errors.length) return formPage(req, reply, actor, vals, c.errors);
    try {
      await catalogue.createStaff(actor, {
        email: vals.email,
        name: vals.name,
        password,
        role: vals.role as (typeof STAFF_ROLES)[number],
        organisationSlug: vals.role === 'platform_admin' ? null : vals.organisation,
      });
    } catch (err) {
      return formPage(req, reply, actor, vals, ruleErrors(err, 'email', t));
    }
    return redirectDone(reply, '/admin/staff', 'staff-added');
  });
}
