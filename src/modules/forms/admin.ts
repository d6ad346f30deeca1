// The designer in the staff console (/admin/forms): create a service and its form in one go,
// add pages and questions (with "does government already know this?" — the exchange's
// attributes), conditions, the fee, confirmation and deliveries; edit the JSON; import an
// XGovFormBuilder or GOV.UK Forms definition; preview the draft, then make it live. Every saved
// version is kept. Submissions are listed and exported as CSV.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { guardStaff } from '../../kernel/staff.js';
import type { Kernel } from '../../kernel/module.js';
import { HttpError, type FieldError } from '../../kernel/errors.js';
import { formBody, formErrors, pathParams, queryFields, str } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { InvalidDefinition, QUESTION_TYPES, type Definition, type Page, type Question } from './definition.js';
import { allQuestions, txt } from './engine.js';
import type { FormsService } from './service.js';
import type { Deliveries } from './deliveries.js';
import type { AttributeInfo } from './runner.js';
import { importDefinition } from './import.js';
import { toCsv } from './csv.js';

type Staff = Actor & { kind: 'staff' };
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const SLUG_PARAMS = pathParams('slug');
type SlugRequest = FastifyRequest & { params: { slug: string } };

export function starterDefinition(name: string): Definition {
  return {
    title: name,
    pages: [
      {
        id: 'name',
        title: { en: 'What is your name?', cy: 'Beth yw eich enw?' },
        questions: [{ id: 'fullName', type: 'text', label: { en: 'What is your name?', cy: 'Beth yw eich enw?' }, account: 'fullName' }],
      },
      {
        id: 'contact',
        title: { en: 'What is your email address?', cy: 'Beth yw eich cyfeiriad e-bost?' },
        questions: [
          {
            id: 'email',
            type: 'email',
            label: { en: 'What is your email address?', cy: 'Beth yw eich cyfeiriad e-bost?' },
            hint: { en: 'We will send your confirmation here', cy: 'Byddwn yn anfon eich cadarnhad yma' },
          },
        ],
      },
    ],
    confirmation: { emailQuestion: 'email' },
    deliveries: [{ type: 'api' }],
  };
}

export function formsConsole(
  app: FastifyInstance,
  k: Kernel,
  d: { catalogue: CatalogueService; service: FormsService; deliveries: Deliveries; attributeNames(): Promise<Map<string, AttributeInfo>> },
) {
  const { catalogue, service } = d;
  const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
  app.register(async (scope) => {
    const admin = scope.withTypeProvider<TypeBoxTypeProvider>();
    const actorOf = guardStaff<Staff>(scope, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });
    const view = (req: FastifyRequest, reply: FastifyReply, name: string, ctx: Record<string, unknown>) =>
      renderPage(k.views, req, reply, `forms/views/admin/${name}.njk`, ctx);

    /** The service, if this staff member may change it. */
    async function managed(req: SlugRequest) {
      const s = await catalogue.getService(req.params.slug).catch(() => null);
      if (!s) throw new HttpError(404, 'not_found', 'No such service');
      if (!catalogue.canManage(actorOf(req), s.organisation.id, 'service'))
        throw new HttpError(403, 'forbidden', 'You cannot change this service');
      return s;
    }

    admin.get('/admin/forms', async (req, reply) => {
      const actor = actorOf(req);
      const forms = new Map((await service.list()).map((f) => [f.service_id, f]));
      const services = (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
      return view(req, reply, 'list', {
        title: t(req)('forms.admin.title'),
        rows: services.map((s) => {
          const f = forms.get(s.id);
          return [
            { html: `<a class="govuk-link" href="/admin/forms/${s.slug}">${escape(s.name)}</a>` },
            { text: s.organisation.name },
            {
              text: f?.live_version
                ? t(req)('forms.admin.liveVersion', { v: f.live_version })
                : f
                  ? t(req)('forms.admin.draftOnly')
                  : t(req)('forms.admin.noForm'),
            },
          ];
        }),
      });
    });

    // ---- a new service and its form, in one go ----
    async function newForm(req: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FieldError[] = []) {
      const actor = actorOf(req);
      const orgs = (await catalogue.listOrganisations()).filter((o) => catalogue.canManage(actor, o.id, 'org'));
      reply.status(errors.length ? 400 : 200);
      return view(req, reply, 'new', {
        title: t(req)('forms.admin.new.title'),
        values,
        organisations: [
          { value: '', text: t(req)('forms.admin.new.chooseOrg') },
          ...orgs.map((o) => ({ value: o.slug, text: o.name, selected: values.organisation === o.slug })),
        ],
        ...formErrors(errors),
      });
    }
    admin.get('/admin/forms/new', (req, reply) => newForm(req, reply, {}));
    admin.post('/admin/forms/new', { schema: { body: formBody } }, async (req, reply) => {
      const b = req.body;
      const tr = t(req);
      const values = {
        organisation: str(b, 'organisation', 100),
        name: str(b, 'name', 200),
        slug: str(b, 'slug', 80),
        summary: str(b, 'summary', 500),
        source: str(b, 'source', 500_000),
      };
      const errors: FieldError[] = [];
      if (!values.organisation) errors.push({ field: 'organisation', message: tr('forms.admin.errors.organisation') });
      if (!values.name) errors.push({ field: 'name', message: tr('forms.admin.errors.name') });
      if (!SLUG.test(values.slug) || values.slug.length < 3) errors.push({ field: 'slug', message: tr('forms.admin.errors.slug') });
      if (!values.summary) errors.push({ field: 'summary', message: tr('forms.admin.errors.summary') });
      let def: Definition = starterDefinition(values.name);
      let report: string[] = [];
      let source = 'cityscape';
      if (values.source) {
        try {
          const imported = importDefinition(JSON.parse(values.source));
          def = imported.definition;
          report = imported.report;
          source = imported.format;
          if (!values.name) values.name = txt(def.title, 'en');
        } catch (e) {
          errors.push({
            field: 'source',
            message:
              e instanceof InvalidDefinition
                ? e.message.slice(0, 500)
                : tr('forms.admin.errors.json', { message: e instanceof Error ? e.message : '' }),
          });
        }
      }
      if (errors.length) return newForm(req, reply, values, errors);
      try {
        await catalogue.createService(actorOf(req), {
          slug: values.slug,
          name: values.name,
          summary: values.summary,
          phase: 'beta',
          organisation_slug: values.organisation,
          platforms: ['forms', 'notify'],
        });
      } catch (e) {
        if (e instanceof HttpError && e.status < 500) {
          const fields =
            e.code === 'slug_taken'
              ? [{ field: 'slug', message: tr('forms.admin.errors.slugTaken') }]
              : e.fields.length
                ? e.fields
                : [{ field: 'name', message: e.message }];
          return newForm(req, reply, values, fields);
        }
        throw e;
      }
      const s = await catalogue.getService(values.slug);
      await service.save({ id: s.id, slug: s.slug }, def, { by: actorOf(req).email, source, report });
      return reply.redirect(`/admin/forms/${s.slug}?done=created`, 303);
    });

    // ---- one service's form ----
    async function formPage(
      req: SlugRequest,
      reply: FastifyReply,
      extra: Record<string, unknown> = {},
      errors: FieldError[] = [],
      done = '',
    ) {
      const s = await managed(req);
      const tr = t(req);
      const f = await service.byService(s.id);
      const v = f ? await service.version(f.id, f.draft_version ?? 0) : null;
      const def = v?.definition ?? null;
      const attrs = await d.attributeNames();
      const asked = def ? allQuestions(def) : [];
      const answerable = asked.filter(({ q }) => !q.attribute && suggest(q, attrs).length > 0).length;
      const versions = f ? await service.versions(f.id) : [];
      reply.status(errors.length ? 400 : 200);
      return view(req, reply, 'form', {
        title: s.name,
        service: s,
        form: f,
        def,
        json: (extra.json as string | undefined) ?? (def ? JSON.stringify(def, null, 2) : ''),
        pages: def
          ? def.pages.map((p) => ({
              id: p.id,
              title: txt(p.title, 'en'),
              questions: p.questions
                .map(
                  (q) =>
                    `${txt(q.label, 'en')} (${q.type}${q.attribute ? `, ${attrs.get(q.attribute)?.providerName ?? q.attribute}` : ''})`,
                )
                .join('; '),
            }))
          : [],
        versions: versions.map((x) => ({ ...x, live: f?.live_version === x.version })),
        previewUrl: f?.draft_version ? `/forms/${s.slug}/preview/${f.preview_token}` : null,
        liveUrl: f?.live_version ? `/forms/${s.slug}` : null,
        report: v?.report ?? [],
        types: QUESTION_TYPES.map((x) => ({ value: x, text: tr(`forms.admin.types.${x}`) })),
        attributes: [
          { value: '', text: tr('forms.admin.page.noAttribute') },
          ...[...attrs.values()].map((a) => ({ value: a.id, text: `${a.name} — ${a.providerName}` })),
        ],
        questions: [
          { value: '', text: tr('forms.admin.page.always') },
          ...asked.filter(({ page }) => !page.repeat).map(({ q }) => ({ value: q.id, text: txt(q.label, 'en') })),
        ],
        onceOnly: { asked: asked.length, answerable, fromRegistry: asked.filter(({ q }) => q.attribute).length },
        submissions: f ? await service.countSubmissions(s.id) : 0,
        recent: f
          ? (await service.submissions(s.id, 20)).map((x) => [
              { text: x.reference },
              { text: new Date(x.created_at).toISOString().slice(0, 16).replace('T', ' ') },
              { text: `v${x.version}` },
            ])
          : [],
        webhookSecret: d.deliveries.webhookSecret(s.id),
        banner: ['created', 'saved', 'published', 'imported'].includes(done) ? tr(`forms.admin.done.${done}`) : null,
        ...formErrors(errors),
        ...extra,
      });
    }
    admin.get('/admin/forms/:slug', { schema: { params: SLUG_PARAMS, querystring: queryFields('done') } }, (req, reply) =>
      formPage(req, reply, {}, [], req.query.done ?? ''),
    );

    async function saveDraft(
      req: SlugRequest,
      reply: FastifyReply,
      def: unknown,
      opts: { source?: string; report?: string[]; json?: string; field?: string } = {},
    ) {
      const s = await managed(req);
      try {
        await service.save({ id: s.id, slug: s.slug }, def, { by: actorOf(req).email, source: opts.source, report: opts.report });
      } catch (e) {
        if (e instanceof InvalidDefinition)
          return formPage(
            req,
            reply,
            { json: opts.json ?? JSON.stringify(def, null, 2) },
            e.errors.slice(0, 10).map((x) => ({ field: opts.field ?? 'definition', message: `${x.path || '/'}: ${x.message}` })),
          );
        throw e;
      }
      return reply.redirect(`/admin/forms/${s.slug}?done=${opts.source && opts.source !== 'cityscape' ? 'imported' : 'saved'}`, 303);
    }
    async function draftOf(req: SlugRequest): Promise<Definition> {
      const s = await managed(req);
      const f = await service.byService(s.id);
      const v = f?.draft_version ? await service.version(f.id, f.draft_version) : null;
      return v ? (JSON.parse(JSON.stringify(v.definition)) as Definition) : starterDefinition(s.name);
    }

    admin.post('/admin/forms/:slug/definition', { schema: { params: SLUG_PARAMS, body: formBody } }, async (req, reply) => {
      const json = str(req.body, 'definition', 2_000_000);
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        return formPage(req, reply, { json }, [
          { field: 'definition', message: t(req)('forms.admin.errors.json', { message: e instanceof Error ? e.message : '' }) },
        ]);
      }
      return saveDraft(req, reply, parsed, { json });
    });

    admin.post('/admin/forms/:slug/import', { schema: { params: SLUG_PARAMS, body: formBody } }, async (req, reply) => {
      const text = str(req.body, 'source', 2_000_000);
      try {
        const r = importDefinition(JSON.parse(text));
        return saveDraft(req, reply, r.definition, { source: r.format, report: r.report, field: 'source' });
      } catch (e) {
        return formPage(req, reply, {}, [{ field: 'source', message: e instanceof Error ? e.message.slice(0, 500) : 'Not JSON' }]);
      }
    });

    admin.post('/admin/forms/:slug/pages', { schema: { params: SLUG_PARAMS, body: formBody } }, async (req, reply) => {
      const b = req.body;
      const tr = t(req);
      const def = await draftOf(req);
      const title = str(b, 'title', 500);
      const titleCy = str(b, 'title_cy', 500);
      const type = str(b, 'type', 20) as Question['type'];
      const options = str(b, 'options', 20_000)
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean);
      const errors: FieldError[] = [];
      if (!title) errors.push({ field: 'title', message: tr('forms.admin.errors.pageTitle') });
      if (!(QUESTION_TYPES as readonly string[]).includes(type)) errors.push({ field: 'type', message: tr('forms.admin.errors.type') });
      if (['radios', 'checkboxes', 'select'].includes(type) && options.length < 2)
        errors.push({ field: 'options', message: tr('forms.admin.errors.options') });
      if (errors.length) return formPage(req, reply, {}, errors);
      const used = new Set([...def.pages.map((p) => p.id), ...allQuestions(def).map(({ q }) => q.id)]);
      const id = uniqueId(title, used);
      const q: Question = {
        id: uniqueId(`${id}-answer`, new Set([...used, id])),
        type,
        label: titleCy ? { en: title, cy: titleCy } : title,
      };
      if (options.length && ['radios', 'checkboxes', 'select'].includes(type))
        q.options = options.map((o) => ({ value: slugify(o) || o, text: o }));
      if (str(b, 'optional', 5) === 'yes') q.optional = true;
      const attribute = str(b, 'attribute', 200);
      if (attribute) q.attribute = attribute;
      const page: Page = { id, title: q.label, questions: [q] };
      const ifQuestion = str(b, 'if_question', 100);
      const ifValue = str(b, 'if_value', 200);
      if (ifQuestion && ifValue) {
        const cid = uniqueId(`show-${id}`, new Set(Object.keys(def.conditions ?? {})));
        def.conditions = { ...(def.conditions ?? {}), [cid]: { question: ifQuestion, op: 'is', value: ifValue } };
        page.if = cid;
      }
      def.pages.push(page);
      return saveDraft(req, reply, def);
    });

    admin.post('/admin/forms/:slug/settings', { schema: { params: SLUG_PARAMS, body: formBody } }, async (req, reply) => {
      const b = req.body;
      const tr = t(req);
      const def = await draftOf(req);
      const fee = str(b, 'fee', 20);
      const errors: FieldError[] = [];
      if (fee) {
        const m = /^£?(\d{1,6})(\.(\d{2}))?$/.exec(fee);
        if (!m) errors.push({ field: 'fee', message: tr('forms.admin.errors.fee') });
        else
          def.fee = { description: str(b, 'fee_description', 200) || txt(def.title, 'en'), amount: Number(m[1]) * 100 + Number(m[3] ?? 0) };
      } else delete def.fee;
      const body = str(b, 'confirmation', 5000);
      def.confirmation = { ...(def.confirmation ?? {}), ...(body ? { body } : {}) };
      if (!body) delete def.confirmation.body;
      const deliveries: NonNullable<Definition['deliveries']> = [];
      const webhook = str(b, 'webhook', 2000);
      const email = str(b, 'delivery_email', 320);
      if (webhook) {
        if (!/^https?:\/\/\S+$/.test(webhook)) errors.push({ field: 'webhook', message: tr('forms.admin.errors.webhook') });
        else deliveries.push({ type: 'webhook', url: webhook });
      }
      if (email) {
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.push({ field: 'delivery_email', message: tr('forms.admin.errors.email') });
        else deliveries.push({ type: 'email', to: email });
      }
      if (str(b, 'api', 5) === 'yes') deliveries.push({ type: 'api' });
      def.deliveries = deliveries;
      const signIn = str(b, 'sign_in', 20);
      if (signIn === 'Cl' || signIn === 'Cl.Cm' || signIn === 'Cl.Cm.P2') def.signIn = signIn;
      else delete def.signIn;
      if (errors.length) return formPage(req, reply, {}, errors);
      return saveDraft(req, reply, def);
    });

    admin.post('/admin/forms/:slug/publish', { schema: { params: SLUG_PARAMS, body: formBody } }, async (req, reply) => {
      const s = await managed(req);
      const f = await service.byService(s.id);
      const v = Number(str(req.body, 'version', 10));
      if (!f || !Number.isInteger(v)) throw new HttpError(400, 'bad_request', 'Choose a version to make live');
      await service.publish(f.id, v, actorOf(req).email);
      return reply.redirect(`/admin/forms/${s.slug}?done=published`, 303);
    });

    admin.get('/admin/forms/:slug/submissions.csv', { schema: { params: SLUG_PARAMS } }, async (req, reply) => {
      const s = await managed(req);
      const rows = await service.submissions(s.id, 100_000);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${s.slug}-submissions.csv"`)
        .send(toCsv(rows));
    });
  });
}

/** Exchange attributes whose name shares a word with the question's label: "does government already know this?" */
export function suggest(q: Question, attrs: Map<string, AttributeInfo>): AttributeInfo[] {
  const words = new Set(
    txt(q.label, 'en')
      .toLowerCase()
      .split(/[^a-z]+/)
      .filter((w) => w.length > 3 && !['your', 'what', 'when', 'have', 'does', 'this', 'with', 'from'].includes(w)),
  );
  if (!words.size) return [];
  return [...attrs.values()].filter((a) =>
    a.name
      .toLowerCase()
      .split(/[^a-z]+/)
      .some((w) => words.has(w)),
  );
}

const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 50);
function uniqueId(base: string, used: Set<string>): string {
  let id = slugify(base).replace(/^[^a-z]+/, '') || 'page';
  id = id.slice(0, 40);
  let n = 1;
  let out = id;
  while (used.has(out) || out === 'check') out = `${id}-${++n}`;
  return out;
}
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
