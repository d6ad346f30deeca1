// The staff console at /admin/experiments: each service's flags per environment (edit the whole
// flagd document, a kill switch per flag, every revision), experiments designed on a flag, and
// their live results with start, stop, ship and publish — each recorded as a decision. Sign-in
// and permissions are the catalogue's staff console's (canManage at service level).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guardStaff } from '../../kernel/staff.js';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, HttpError, NotFound } from '../../kernel/errors.js';
import { fieldErrorsFrom, formErrors, list, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import type { FlagStore } from './flags.js';
import type { ExperimentService, ExperimentInput } from './experiments.js';
import { InvalidDocument } from './errors.js';
import { presentResults } from './present.js';
import type { Environment } from './store.js';

const DONE = ['saved', 'killed', 'enabled', 'created', 'started', 'stopped', 'shipped', 'published', 'unpublished'];
const METRIC_CHOICES = ['completion', 'payment_success', 'satisfaction', 'time_to_complete'];

export function experimentsConsole(
  app: FastifyInstance,
  k: Kernel,
  catalogue: CatalogueService,
  flags: FlagStore,
  experiments: ExperimentService,
) {
  app.register(async (admin) => {
    const actorOf = guardStaff<Actor & { kind: 'staff' }>(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });
    const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
    const envOf = (req: FastifyRequest): Environment => ((req.query as Record<string, unknown>)?.environment === 'test' ? 'test' : 'live');
    const render = (req: FastifyRequest, reply: FastifyReply, view: string, c: Record<string, unknown>) => {
      const done = (req.query as Record<string, unknown>)?.done;
      const banner = typeof done === 'string' && DONE.includes(done) ? t(req)(`experiments.admin.done.${done}`) : null;
      return renderPage(k.views, req, reply, `experiments/views/admin/${view}.njk`, { banner, ...c });
    };

    async function serviceFor(req: FastifyRequest) {
      const slug = (req.params as { slug: string }).slug;
      const s = typeof slug === 'string' && /^[a-z0-9-]{1,80}$/.test(slug) ? await catalogue.getService(slug).catch(() => null) : null;
      if (!s) throw new NotFound('No such service');
      if (!catalogue.canManage(actorOf(req), s.organisation.id, 'service')) throw new Forbidden();
      return s;
    }
    async function experimentFor(req: FastifyRequest) {
      const row = await experiments.load((req.params as { id: string }).id);
      const s = await catalogue.getServiceById(row.service_id);
      if (!s || !catalogue.canManage(actorOf(req), s.organisation.id, 'service')) throw new Forbidden();
      return { row, service: s };
    }

    admin.get('/admin/experiments', async (req, reply) => {
      const actor = actorOf(req);
      const services = (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
      return render(req, reply, 'index', {
        title: t(req)('experiments.admin.title'),
        services: services.map((s) => ({
          name: s.name,
          slug: s.slug,
          organisation: s.organisation.name,
          live: flags.compiled(s.id, 'live').flags.size,
          test: flags.compiled(s.id, 'test').flags.size,
        })),
      });
    });

    async function servicePage(req: FastifyRequest, reply: FastifyReply) {
      const s = await serviceFor(req);
      const env = envOf(req);
      const loaded = flags.get(s.id, env);
      const rows = await experiments.list(s.id);
      return render(req, reply, 'service', {
        title: s.name,
        service: s,
        env,
        version: loaded?.version ?? 0,
        flags: [...(loaded?.set.flags.values() ?? [])].map((f) => ({
          key: f.key,
          state: f.def.state,
          kind: f.kind,
          defaultVariant: f.def.defaultVariant,
          variants: Object.keys(f.def.variants).join(', '),
          targeted: !!f.rule,
        })),
        revisions: (await flags.revisions(s.id, env)).slice(0, 20),
        experiments: rows.filter((r) => r.environment === env),
      });
    }
    admin.get('/admin/experiments/services/:slug', servicePage);

    // The kill switch: DISABLED serves the default variant to everyone (reason DISABLED).
    admin.post('/admin/experiments/services/:slug/flags/:key/state', async (req, reply) => {
      const s = await serviceFor(req);
      const env = envOf(req);
      const key = (req.params as { key: string }).key;
      const state = str(req.body as FormBody, 'state') === 'ENABLED' ? 'ENABLED' : 'DISABLED';
      const loaded = flags.get(s.id, env);
      if (!loaded?.set.document.flags[key]) throw new NotFound('No such flag');
      const doc = structuredClone(loaded.set.document);
      doc.flags[key].state = state;
      await flags.save(
        `staff:${actorOf(req).email}`,
        { id: s.id, organisationId: s.organisation.id },
        env,
        doc,
        `${state === 'DISABLED' ? 'Switched off' : 'Switched on'} ${key}`,
      );
      return reply.redirect(
        `/admin/experiments/services/${s.slug}?environment=${env}&done=${state === 'DISABLED' ? 'killed' : 'enabled'}`,
        303,
      );
    });

    async function documentPage(req: FastifyRequest, reply: FastifyReply, value?: string, errors?: ReturnType<typeof formErrors>) {
      const s = await serviceFor(req);
      const env = envOf(req);
      const doc = flags.get(s.id, env)?.set.document ?? { $schema: 'https://flagd.dev/schema/v0/flags.json', flags: {} };
      return render(req, reply, 'document', {
        title: t(req)('experiments.admin.document.title'),
        service: s,
        env,
        value: value ?? JSON.stringify(doc, null, 2),
        ...(errors ?? {}),
      });
    }
    admin.get('/admin/experiments/services/:slug/document', (req, reply) => documentPage(req, reply));
    admin.post('/admin/experiments/services/:slug/document', async (req, reply) => {
      const s = await serviceFor(req);
      const env = envOf(req);
      const text = str(req.body as FormBody, 'document', 1_000_000);
      const summary = str(req.body as FormBody, 'summary', 500);
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        return documentPage(
          req,
          reply.code(400),
          text,
          formErrors([{ field: 'document', message: t(req)('experiments.admin.document.notJson') }]),
        );
      }
      try {
        await flags.save(
          `staff:${actorOf(req).email}`,
          { id: s.id, organisationId: s.organisation.id },
          env,
          doc,
          summary || 'Edited in the staff console',
        );
      } catch (err) {
        if (!(err instanceof InvalidDocument)) throw err;
        const errs = formErrors(err.problems.map((p) => ({ field: 'document', message: `${p.path} ${p.message}` })));
        // Every problem in the summary (all point at the one textarea).
        errs.errorList = err.problems.map((p) => ({ text: `${p.path} ${p.message}`, href: '#document' }));
        return documentPage(req, reply.code(400), text, errs);
      }
      return reply.redirect(`/admin/experiments/services/${s.slug}?environment=${env}&done=saved`, 303);
    });

    async function newPage(
      req: FastifyRequest,
      reply: FastifyReply,
      values: Record<string, unknown> = {},
      errors?: ReturnType<typeof formErrors>,
    ) {
      const s = await serviceFor(req);
      const env = envOf(req);
      const tt = t(req);
      const flagKeys = [...flags.compiled(s.id, env).flags.keys()];
      return render(req, reply, 'new', {
        title: tt('experiments.admin.new.title'),
        service: s,
        env,
        values,
        flagItems: [
          { value: '', text: tt('experiments.admin.new.chooseFlag') },
          ...flagKeys.map((f) => ({ value: f, text: f, selected: values.flagKey === f })),
        ],
        metricItems: METRIC_CHOICES.map((m) => ({ value: m, text: tt(`experiments.metrics.${m}`), checked: values.primaryMetric === m })),
        guardrailItems: METRIC_CHOICES.map((m) => ({
          value: m,
          text: tt(`experiments.metrics.${m}`),
          checked: ((values.guardrails as string[]) ?? []).includes(m),
        })),
        ...(errors ?? {}),
      });
    }
    admin.get('/admin/experiments/services/:slug/new', (req, reply) => newPage(req, reply));
    admin.post('/admin/experiments/services/:slug/new', async (req, reply) => {
      const s = await serviceFor(req);
      const env = envOf(req);
      const body = req.body as FormBody;
      const tt = t(req);
      const custom = str(body, 'customMetric', 80);
      const mdeText = str(body, 'mde', 10);
      const baseText = str(body, 'baseline', 10);
      const input: ExperimentInput = {
        flagKey: str(body, 'flagKey', 200),
        name: str(body, 'name', 200),
        hypothesis: str(body, 'hypothesis', 2000),
        controlVariant: str(body, 'controlVariant', 200),
        primaryMetric: custom ? `custom.${custom.replace(/^custom\./, '')}` : str(body, 'primaryMetric', 80),
        guardrails: list(body, 'guardrails').slice(0, 10),
        mde: /^\d+(\.\d+)?$/.test(mdeText) ? Number(mdeText) / 100 : NaN,
        baseline: baseText === '' ? null : /^\d+(\.\d+)?$/.test(baseText) ? Number(baseText) / 100 : NaN,
      };
      const values = { ...input, mde: mdeText, baseline: baseText, customMetric: custom };
      const problems = experiments.check(s.id, env, input);
      if (problems.length)
        return newPage(
          req,
          reply.code(400),
          values,
          formErrors(problems.map((p) => ({ field: p.field, message: tt(`experiments.admin.new.errors.${p.message}`) }))),
        );
      const row = await experiments.create(actorOf(req), s.id, env, input);
      return reply.redirect(`/admin/experiments/${row.id}?done=created`, 303);
    });

    async function experimentPage(req: FastifyRequest, reply: FastifyReply, errors?: ReturnType<typeof formErrors>) {
      const { row, service } = await experimentFor(req);
      const tt = t(req);
      const results = presentResults(tt, await experiments.results(row), row);
      const flag = flags.compiled(row.service_id, row.environment).flags.get(row.flag_key);
      return render(req, reply, 'experiment', {
        title: row.name,
        row,
        service,
        results,
        variantItems: Object.keys(flag?.def.variants ?? {}).map((v) => ({ value: v, text: v })),
        refresh: row.status === 'running',
        ...(errors ?? {}),
      });
    }
    admin.get('/admin/experiments/:id', (req, reply) => experimentPage(req, reply));
    admin.post('/admin/experiments/:id/:action', async (req, reply) => {
      const { row } = await experimentFor(req);
      const action = (req.params as { action: string }).action;
      const body = req.body as FormBody;
      const why = str(body, 'reason', 2000);
      const tt = t(req);
      if (['start', 'stop', 'ship'].includes(action) && !why)
        return experimentPage(
          req,
          reply.code(400),
          formErrors([{ field: 'reason', message: tt('experiments.admin.experiment.reasonMissing') }]),
        );
      try {
        if (action === 'start') await experiments.start(actorOf(req), row.id, why);
        else if (action === 'stop') await experiments.stop(actorOf(req), row.id, why);
        else if (action === 'ship') await experiments.ship(actorOf(req), row.id, str(body, 'variant', 200), why);
        else if (action === 'publish') await experiments.setPublished(actorOf(req), row.id, str(body, 'published') === 'yes');
        else throw new NotFound('No such action');
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) throw err;
        const fields = fieldErrorsFrom(err, 'reason').map((f) => ({
          field: f.field,
          message:
            tt(`experiments.admin.experiment.errors.${f.message}`) === `experiments.admin.experiment.errors.${f.message}`
              ? f.message
              : tt(`experiments.admin.experiment.errors.${f.message}`),
        }));
        return experimentPage(req, reply.code(400), formErrors(fields));
      }
      const done =
        action === 'publish'
          ? str(body, 'published') === 'yes'
            ? 'published'
            : 'unpublished'
          : { start: 'started', stop: 'stopped', ship: 'shipped' }[action]!;
      return reply.redirect(`/admin/experiments/${row.id}?done=${done}`, 303);
    });
  });
}
