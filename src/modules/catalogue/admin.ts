// The staff console at /admin: sign-in and sign-out, the guard every other /admin page sits
// behind (session → staff actor), the dashboard and the audit log. Services, API keys, and
// organisations/teams/staff live in admin-services.ts, admin-keys.ts and admin-orgs.ts.
// Permissions are the service's: pages pass the actor on and a Forbidden becomes the 403 page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel, Module } from '../../kernel/module.js';
import { HttpError } from '../../kernel/errors.js';
import { str, type FormBody } from '../../kernel/forms.js';
import { requestLang } from '../../kernel/views.js';
import { SESSION_COOKIE } from '../../kernel/sessions.js';
import type { CatalogueService } from './service.js';
import { actorOf, dateTime, manageableOrgs, pageNumber, redirectDone, render, renderErrors, tr } from './admin-common.js';
import { adminServicePages } from './admin-services.js';
import { adminKeyPages } from './admin-keys.js';
import { adminOrgPages } from './admin-orgs.js';
import { guardStaff } from '../../kernel/staff.js';

const AUDIT_PAGE_SIZE = 25;

/** Only a path inside the console may be a `next` after signing in (no //host, no backslashes). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin(?:[/?][^\s\\]*)?$/.test(next) && !next.startsWith('/admin//') && next.length < 500
    ? next
    : '/admin';
}

export function adminPages(
  app: FastifyInstance,
  kernel: Kernel,
  catalogue: CatalogueService,
  areas: NonNullable<Module['staffAreas']> = [],
) {
  const { sessions } = kernel;

  // Sign-in and sign-out sit outside the guard.
  const signInPage = (req: FastifyRequest, reply: FastifyReply, ctx: Record<string, unknown> = {}) =>
    render(kernel, req, reply, 'sign-in', { title: tr(kernel, req)('catalogue.admin.signIn.title'), ...ctx });

  app.get('/admin/sign-in', async (req, reply) =>
    signInPage(req, reply, { values: {}, next: safeNext((req.query as Record<string, unknown>).next) }),
  );

  app.post('/admin/sign-in', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    const t = tr(kernel, req);
    const body = req.body as FormBody | undefined;
    const email = str(body, 'email', 320);
    const password = typeof body?.password === 'string' ? body.password.slice(0, 1000) : '';
    const next = safeNext(str(body, 'next'));
    const ctx = { values: { email }, next };
    const missing = [
      ...(email ? [] : [{ field: 'email', message: t('catalogue.admin.signIn.errors.emailMissing') }]),
      ...(password ? [] : [{ field: 'password', message: t('catalogue.admin.signIn.errors.passwordMissing') }]),
    ];
    if (missing.length) return renderErrors(kernel, req, reply, 'sign-in', missing, { title: t('catalogue.admin.signIn.title'), ...ctx });
    let staffId: string;
    try {
      staffId = (await catalogue.signIn(email, password)).id;
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 401) throw err;
      // A locked account shows the service's own message (how long to wait); anything else one neutral message.
      const message = err.code === 'account_locked' ? err.message : t('catalogue.admin.signIn.errors.wrong');
      return renderErrors(
        kernel,
        req,
        reply,
        'sign-in',
        [{ field: 'email', message }],
        { title: t('catalogue.admin.signIn.title'), ...ctx },
        401,
      );
    }
    // Any earlier session ends here; create() always issues a new id.
    if (req.cookies[SESSION_COOKIE]) await sessions.destroy(req, reply);
    await sessions.create(reply, { staffId });
    return reply.redirect(next, 303);
  });

  app.post('/admin/sign-out', async (req, reply) => {
    await sessions.destroy(req, reply);
    return redirectDone(reply, '/admin/sign-in', 'signed-out');
  });

  app.register(async (admin) => {
    // A stale cookie throws SessionExpired ("session expired" page); a disabled or removed account's session ends.
    guardStaff(admin, { sessions, actor: (id) => catalogue.staffActor(id), endStale: true });

    admin.get('/admin/sign-out', async (req, reply) =>
      render(kernel, req, reply, 'sign-out', { title: tr(kernel, req)('catalogue.admin.signOut.title') }),
    );

    admin.get('/admin', async (req, reply) => {
      const actor = actorOf(req);
      const t = tr(kernel, req);
      const orgs = await manageableOrgs(catalogue, actor, 'service');
      const all = actor.role === 'platform_admin';
      const services = all
        ? await catalogue.listServices()
        : (await Promise.all(orgs.map((o) => catalogue.listServices({ organisation: o.slug })))).flat();
      const own = orgs.find((o) => o.id === actor.organisationId) ?? null;
      return render(kernel, req, reply, 'dashboard', {
        title: t('catalogue.admin.dashboard.title'),
        services,
        organisation: own,
        role: actor.role,
        canCreateService: actor.role !== 'service_team',
        canManageStaff: actor.role !== 'service_team',
        areas,
      });
    });

    admin.get('/admin/audit', async (req, reply) => {
      const actor = actorOf(req);
      const t = tr(kernel, req);
      const page = pageNumber(req);
      const rows = await kernel.audit.list({
        organisationId: actor.role === 'platform_admin' ? null : actor.organisationId,
        limit: AUDIT_PAGE_SIZE + 1,
        offset: (page - 1) * AUDIT_PAGE_SIZE,
      });
      const lang = requestLang(req);
      const entries = rows.slice(0, AUDIT_PAGE_SIZE).map((r) => ({
        id: r.id,
        when: dateTime(r.at, lang),
        actor: r.actor,
        action: r.action,
        subject: r.subject,
        before: r.before == null ? null : JSON.stringify(r.before, null, 2),
        after: r.after == null ? null : JSON.stringify(r.after, null, 2),
      }));
      // The whole chain is checked on every view: the log holds staff actions, so it stays small.
      const chain = await kernel.audit.verify();
      return render(kernel, req, reply, 'audit', {
        title: t('catalogue.admin.audit.title'),
        broken: chain.ok ? null : t(`catalogue.admin.audit.broken.${chain.kind}`, { id: chain.badId, after: chain.afterId }),
        entries,
        page,
        previous: page > 1 ? `/admin/audit?page=${page - 1}` : null,
        next: rows.length > AUDIT_PAGE_SIZE ? `/admin/audit?page=${page + 1}` : null,
      });
    });

    adminServicePages(admin, kernel, catalogue);
    adminKeyPages(admin, kernel, catalogue);
    adminOrgPages(admin, kernel, catalogue);
  });
}
