// The consent staff console at /admin/consent: a service team drafts data agreements for its
// services (facts from the exchange's catalogue when it is there), submits them, and a data
// protection officer of the organisation approves or rejects them before they go live; figures
// per agreement (given, declined, withdrawn, ended); organisation administrators appoint DPOs.
// Sign-in and permissions are the catalogue's staff console's (canManage).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guardStaff } from '../../kernel/staff.js';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, HttpError } from '../../kernel/errors.js';
import { formErrors, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Ctx } from './context.js';
import type { ApprovalService, StaffActor } from './service-approvals.js';
import { store, type AgreementRow } from './store.js';
import { recordStore } from './store-records.js';
import { formItems, parseForm, valuesOf, type FormValues } from './admin-form.js';
import { purposeName } from './pages-people.js';

const DONE = ['drafted', 'saved', 'submitted', 'approved', 'rejected', 'deactivated', 'activated', 'appointed', 'removed'];

export function consentConsole(app: FastifyInstance, k: Kernel, ctx: Ctx, catalogue: CatalogueService, approvals: ApprovalService) {
  app.register(async (admin) => {
    const actorOf = guardStaff<StaffActor>(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });
    const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
    const render = (req: FastifyRequest, reply: FastifyReply, view: string, c: Record<string, unknown>) => {
      const done = (req.query as Record<string, unknown>)?.done;
      const banner = typeof done === 'string' && DONE.includes(done) ? t(req)(`consent.admin.done.${done}`) : null;
      return renderPage(k.views, req, reply, `consent/views/admin/${view}.njk`, { banner, ...c });
    };
    const attributesCatalogue = async () => (ctx.exchange ? await ctx.exchange.attributes().catch(() => []) : []);

    async function agreementFor(req: FastifyRequest, level: 'service' | 'org' = 'service') {
      const a = await approvals.load((req.params as { id: string }).id);
      if (!catalogue.canManage(actorOf(req), a.organisation_id, level) && !(await approvals.isDpo(a.organisation_id, actorOf(req).id)))
        throw new Forbidden();
      return a;
    }
    const stateOf = (a: AgreementRow) =>
      a.pending ? 'pending' : a.approval !== 'approved' ? a.approval : a.active && a.lifecycle === 'complete' ? 'live' : 'inactive';

    admin.get('/admin/consent', async (req, reply) => {
      const actor = actorOf(req);
      const services = (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
      const { rows } = await store.agreements(ctx.db, { serviceIds: services.map((s) => s.id) });
      const figures = await recordStore.figures(
        ctx.db,
        rows.map((a) => a.id),
      );
      const orgs = new Map(services.map((s) => [s.organisation.id, s.organisation]));
      const dpoOf: string[] = [];
      for (const id of orgs.keys()) if (await approvals.isDpo(id, actor.id)) dpoOf.push(id);
      const { rows: waiting } = dpoOf.length ? await store.agreements(ctx.db, { awaitingApproval: true }) : { rows: [] };
      return render(req, reply, 'index', {
        title: t(req)('consent.admin.title'),
        services: services.map((s) => ({
          ...s,
          agreements: rows
            .filter((a) => a.service_id === s.id)
            .map((a) => ({
              id: a.id,
              purpose: a.purpose,
              state: stateOf(a),
              figures: figures.get(a.id) ?? { given: 0, declined: 0, withdrawn: 0, expired: 0 },
            })),
        })),
        waiting: waiting
          .filter((a) => dpoOf.includes(a.organisation_id) && (a.approval === 'submitted' || a.pending))
          .map((a) => ({ id: a.id, purpose: a.purpose, drafted_by: a.drafted_by })),
        orgs: [...orgs.values()].filter((o) => catalogue.canManage(actor, o.id, 'org')),
      });
    });

    async function formPage(
      req: FastifyRequest,
      reply: FastifyReply,
      c: { action: string; values: FormValues; serviceName: string; errors?: unknown; errorList?: unknown },
    ) {
      const catalogueAttrs = await attributesCatalogue();
      return render(req, reply, 'form', {
        title: t(req)('consent.admin.form.title'),
        hasCatalogue: catalogueAttrs.length > 0,
        ...formItems(c.values, catalogueAttrs, t(req), requestLang(req)),
        ...c,
      });
    }
    async function serviceOf(req: FastifyRequest) {
      const s = await catalogue.getService((req.params as { slug: string }).slug);
      if (!catalogue.canManage(actorOf(req), s.organisation.id, 'service')) throw new Forbidden();
      const info = await ctx.service(s.id);
      if (!info) throw new Forbidden();
      return info;
    }

    admin.get('/admin/consent/services/:slug/new', async (req, reply) => {
      const s = await serviceOf(req);
      return formPage(req, reply, {
        action: `/admin/consent/services/${s.slug}/new`,
        serviceName: s.name,
        values: { dpvPurpose: 'dpv:ServiceProvision', lawfulBasis: 'consent', partial: 'yes', durationDays: '365', attributes: [] },
      });
    });
    admin.post('/admin/consent/services/:slug/new', async (req, reply) => {
      const s = await serviceOf(req);
      const { values, input, errors } = parseForm(req.body as FormBody, await attributesCatalogue(), t(req));
      if (!errors.length) {
        try {
          const a = await approvals.draft(actorOf(req), s, input);
          return reply.redirect(`/admin/consent/agreements/${a.id}?done=drafted`, 303);
        } catch (err) {
          if (!(err instanceof HttpError) || err.status !== 400) throw err;
          errors.push({ field: err.fields[0]?.field ?? 'purpose', message: err.message });
        }
      }
      reply.status(400);
      return formPage(req, reply, { action: `/admin/consent/services/${s.slug}/new`, serviceName: s.name, values, ...formErrors(errors) });
    });

    admin.get('/admin/consent/agreements/:id', async (req, reply) => {
      const a = await agreementFor(req);
      const actor = actorOf(req);
      const [service, policy, figures, revisions] = await Promise.all([
        ctx.service(a.service_id),
        a.policy_id ? store.policy(ctx.db, null, a.policy_id) : null,
        recordStore.figures(ctx.db, [a.id]),
        ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM consent.revisions WHERE object_id = $1', [a.id]),
      ]);
      const dpo = await approvals.isDpo(a.organisation_id, actor.id);
      const canEdit = catalogue.canManage(actor, a.organisation_id, 'service');
      return render(req, reply, 'agreement', {
        title: a.purpose,
        a,
        state: stateOf(a),
        purpose: purposeName(a.dpv_purpose, t(req)),
        pendingValues: a.pending ? valuesOf(a, policy) : null,
        service,
        policy,
        figures: figures.get(a.id) ?? { given: 0, declined: 0, withdrawn: 0, expired: 0 },
        revisions: revisions.rows[0].n,
        canEdit,
        canSubmit: canEdit && (a.approval === 'draft' || a.approval === 'rejected' || (!!a.revision_id && !!a.pending && !a.submitted_at)),
        canDecide: dpo && (a.approval === 'submitted' || !!a.pending) && a.drafted_by !== `staff:${actor.email}`,
        ownDraft: dpo && a.drafted_by === `staff:${actor.email}`,
        canToggle: dpo && !!a.revision_id,
      });
    });
    admin.get('/admin/consent/agreements/:id/edit', async (req, reply) => {
      const a = await agreementFor(req);
      const policy = a.policy_id ? await store.policy(ctx.db, null, a.policy_id) : null;
      return formPage(req, reply, {
        action: `/admin/consent/agreements/${a.id}/edit`,
        serviceName: (await ctx.service(a.service_id))?.name ?? '',
        values: valuesOf(a, policy),
      });
    });
    admin.post('/admin/consent/agreements/:id/edit', async (req, reply) => {
      const a = await agreementFor(req);
      if (!catalogue.canManage(actorOf(req), a.organisation_id, 'service')) throw new Forbidden();
      const { values, input, errors } = parseForm(req.body as FormBody, await attributesCatalogue(), t(req));
      if (!errors.length) {
        await approvals.propose(actorOf(req), a, input);
        return reply.redirect(`/admin/consent/agreements/${a.id}?done=saved`, 303);
      }
      reply.status(400);
      return formPage(req, reply, {
        action: `/admin/consent/agreements/${a.id}/edit`,
        serviceName: (await ctx.service(a.service_id))?.name ?? '',
        values,
        ...formErrors(errors),
      });
    });
    const act = (path: string, done: string, fn: (actor: StaffActor, a: AgreementRow, body: FormBody | undefined) => Promise<unknown>) =>
      admin.post(`/admin/consent/agreements/:id/${path}`, async (req, reply) => {
        const a = await agreementFor(req);
        await fn(actorOf(req), a, req.body as FormBody | undefined);
        return reply.redirect(`/admin/consent/agreements/${a.id}?done=${done}`, 303);
      });
    act('submit', 'submitted', (actor, a) => approvals.submit(actor, a));
    act('approve', 'approved', (actor, a) => approvals.approve(actor, a));
    act('reject', 'rejected', (actor, a, body) => approvals.reject(actor, a, str(body, 'note', 2000)));
    act('deactivate', 'deactivated', (actor, a) => approvals.setActive(actor, a, false));
    act('activate', 'activated', (actor, a) => approvals.setActive(actor, a, true));

    // Data protection officers, appointed by the organisation's administrators.
    async function orgOf(req: FastifyRequest) {
      const o = await catalogue.getOrganisation((req.params as { slug: string }).slug);
      if (!catalogue.canManage(actorOf(req), o.id, 'org')) throw new Forbidden();
      return o;
    }
    admin.get('/admin/consent/organisations/:slug/dpos', async (req, reply) => {
      const o = await orgOf(req);
      const [dpos, staff] = await Promise.all([approvals.dpos(o.id), catalogue.listStaff(o.id)]);
      const appointed = new Set(dpos.map((d) => d.staff_id));
      return render(req, reply, 'dpos', {
        title: t(req)('consent.admin.dpos.title', { organisation: o.name }),
        o,
        dpos,
        staffItems: staff.filter((s) => !appointed.has(s.id) && !s.disabled_at).map((s) => ({ value: s.id, text: s.email })),
      });
    });
    admin.post('/admin/consent/organisations/:slug/dpos', async (req, reply) => {
      const o = await orgOf(req);
      const body = req.body as FormBody | undefined;
      const remove = str(body, 'remove', 40);
      if (remove) {
        await approvals.remove(actorOf(req), o.id, remove);
        return reply.redirect(`/admin/consent/organisations/${o.slug}/dpos?done=removed`, 303);
      }
      const staff = (await catalogue.listStaff(o.id)).find((s) => s.id === str(body, 'staff', 40) && !s.disabled_at);
      if (!staff) {
        reply.status(400);
        const dpos = await approvals.dpos(o.id);
        const appointed = new Set(dpos.map((d) => d.staff_id));
        const staffItems = (await catalogue.listStaff(o.id))
          .filter((s) => !appointed.has(s.id) && !s.disabled_at)
          .map((s) => ({ value: s.id, text: s.email }));
        return render(req, reply, 'dpos', {
          title: t(req)('consent.admin.dpos.title', { organisation: o.name }),
          o,
          dpos,
          staffItems,
          ...formErrors([{ field: 'staff', message: t(req)('consent.admin.dpos.choose') }]),
        });
      }
      await approvals.appoint(actorOf(req), o.id, staff);
      return reply.redirect(`/admin/consent/organisations/${o.slug}/dpos?done=appointed`, 303);
    });
  });
}
