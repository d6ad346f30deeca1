// The runner: a form as GOV.UK pages at /forms/{slug}. Start → each page on the way (skipped
// pages and pages off the route are refused by redirect) → check your answers → send →
// confirmation. Answers live server-side against a token in a cookie; every POST carries
// the CSRF token, the form version and the page it was rendered for, so a tampered or stale
// post is refused; a replayed send returns the same confirmation and makes nothing new.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FieldError } from '../../kernel/errors.js';
import { formErrors, pathParams, queryFields, type FormBody } from '../../kernel/forms.js';
import { renderMemoPage, renderPage, requestLang, translator } from '../../kernel/views.js';
import { createCache } from '../../kernel/cache.js';
import { sha256 } from '../../kernel/crypto.js';
import type { Page } from './definition.js';
import {
  answersOnRoute,
  fee as feeOf,
  money,
  readPage,
  route,
  submittedAnswers,
  txt,
  answerText,
  type Answers,
  type Lang,
  type T,
} from './engine.js';
import { checkRows, fieldsOf, paras, sourceNote } from './fields.js';
import { IDLE_SECONDS, type LoadedForm } from './service.js';
import type { ProgressRow } from './store.js';
import type { RunnerDeps } from './runner.js';
import { readUploads } from './uploads.js';

export const COOKIE = (slug: string) => `cs_form_${slug}`;
const COOKIE_OPTS = { path: '/forms', httpOnly: true, sameSite: 'lax' as const };

export interface Current {
  f: LoadedForm;
  p: ProgressRow;
  base: string;
  lang: Lang;
  t: T;
}

const SLUG = pathParams('slug');
const PREVIEW = pathParams('slug', 'token');
const PAGE = pathParams('slug', 'page');
const ITEM = queryFields('item');
type SlugRequest = FastifyRequest & { params: { slug: string } };

export function runnerPages(app: FastifyInstance, d: RunnerDeps) {
  const { k, service } = d;
  const tr = (req: FastifyRequest) => {
    const lang = requestLang(req);
    return { lang, t: translator(k.views.messages, lang) };
  };
  /** Question pages as rendered, by a hash of everything they show (kernel/views.ts renderMemoPage). */
  const rendered = createCache<string>({ ttlMs: 10 * 60_000, max: 500 });
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const slugOf = (req: SlugRequest) => req.params.slug;

  function message(req: FastifyRequest, reply: FastifyReply, status: number, ctx: Record<string, unknown>) {
    reply.status(status);
    return renderPage(k.views, req, reply, 'forms/views/message.njk', ctx);
  }
  const notFound = (req: FastifyRequest, reply: FastifyReply) => {
    const { t } = tr(req);
    return message(req, reply, 404, {
      title: t('forms.notFound.title'),
      paragraphs: [t('forms.notFound.body')],
      link: { href: '/', text: t('forms.notFound.link') },
    });
  };

  /** The browser's progress through this form, or an answer sending them to the start. */
  async function current(req: SlugRequest, reply: FastifyReply): Promise<Current | FastifyReply> {
    const slug = slugOf(req);
    const { lang, t } = tr(req);
    const token = req.cookies[COOKIE(slug)];
    const p = token ? await service.progress(token) : null;
    const form = p ? await service.form(slug) : null;
    const f = p && form && form.id === p.form_id ? await service.load(form, p.version) : null;
    if (!p || !f) {
      if (!(await service.form(slug))) return notFound(req, reply);
      return reply.redirect(`/forms/${slug}${token ? '?expired=1' : ''}`, 303);
    }
    // A signed-in form stays with the person who started it.
    if (f.def.signIn && d.identity) {
      const c = await d.identity.citizen(req);
      if (!c || (p.account_id && c.accountId !== p.account_id)) return reply.redirect(d.identity.signInPath(`/forms/${slug}`), 303);
    }
    return { f, p, base: `/forms/${slug}`, lang, t };
  }
  const isReply = (x: Current | FastifyReply): x is FastifyReply => !('p' in x && 'f' in x);

  async function startPage(
    req: FastifyRequest & { query: { expired?: string } },
    reply: FastifyReply,
    f: LoadedForm,
    action: string,
    preview: boolean,
  ) {
    const { lang, t } = tr(req);
    const def = f.def;
    const attrs = await d.attributeNames();
    const knows = [
      ...new Set(
        def.pages
          .flatMap((p) => p.questions)
          .filter((q) => q.attribute && attrs.has(q.attribute))
          .map((q) => attrs.get(q.attribute!)!.providerName),
      ),
    ];
    const fee = def.fee ? (def.fee.amount ?? 0) : 0;
    return renderPage(k.views, req, reply, 'forms/views/start.njk', {
      title: txt(def.title, lang),
      intro: paras(txt(def.intro, lang)),
      action,
      preview,
      signIn: !!def.signIn,
      expired: req.query.expired === '1',
      knows: knows.map((p) => t('forms.start.knowsFrom', { provider: p })),
      fee: fee ? money(fee) : null,
    });
  }

  async function begin(req: FastifyRequest, reply: FastifyReply, f: LoadedForm, preview: boolean) {
    const { lang } = tr(req);
    let accountId: string | null = null;
    if (f.def.signIn) {
      if (!d.identity) throw new Error('this form needs sign-in, but no identity module was given');
      const back = preview ? `/forms/${f.form.slug}/preview/${f.form.preview_token}` : `/forms/${f.form.slug}`;
      const c = await d.identity.citizen(req);
      if (!c) return reply.redirect(d.identity.signInPath(back), 303);
      if (f.def.signIn === 'Cl.Cm.P2' && c.identityLevel !== 'P2') return reply.redirect(d.identity.provePath(back), 303);
      if (f.def.signIn !== 'Cl' && c.signInLevel !== 'Cl.Cm') return reply.redirect(d.identity.signInPath(back), 303);
      accountId = c.accountId;
    }
    const { token, progress } = await service.start(f, { preview, accountId, lang });
    reply.setCookie(COOKIE(f.form.slug), token, COOKIE_OPTS);
    if (d.afterStart) {
      const next = await d.afterStart(req, { f, p: progress, base: `/forms/${f.form.slug}`, lang, t: tr(req).t });
      if (next) return reply.redirect(next, 303);
    }
    return reply.redirect(nextHref(`/forms/${f.form.slug}`, f, progress), 303);
  }

  function nextHref(base: string, f: LoadedForm, p: ProgressRow): string {
    const r = route(f.def, p.data);
    if (!r.current) return `${base}/check`;
    return r.current.repeat && (p.data.repeats[r.current.id]?.length ?? 0) > 0
      ? `${base}/${r.current.id}/add-another`
      : `${base}/${r.current.id}`;
  }

  /** The page's heading and intro, with an experiments variant when the page has one. */
  function pageCopy(c: Current, page: Page) {
    let title = txt(page.title, c.lang);
    let intro = txt(page.intro, c.lang);
    if (page.variants && d.experiments) {
      try {
        const r = d.experiments.evaluate(page.variants.flag, { targetingKey: c.p.key, serviceId: c.f.form.service_id });
        const v = typeof r.value === 'string' ? r.value : r.variant;
        if (v && page.variants.titles?.[v]) title = txt(page.variants.titles[v], c.lang);
        if (v && page.variants.intros?.[v]) intro = txt(page.variants.intros[v], c.lang);
      } catch (err) {
        k.log.warn({ err, flag: page.variants.flag }, 'forms: experiments evaluation failed; default copy shown');
      }
    }
    return { title, intro };
  }

  async function renderQuestionPage(
    req: FastifyRequest,
    reply: FastifyReply,
    c: Current,
    page: Page,
    opts: { item?: number; raw?: Record<string, string | string[]> | null; errors?: FieldError[]; change?: boolean },
  ) {
    const { f, p, lang, t, base } = c;
    const values: Answers = page.repeat ? (p.data.repeats[page.id]?.[(opts.item ?? 1) - 1] ?? {}) : p.data.answers;
    const known = page.repeat ? [] : page.questions.filter((q) => p.data.sources[q.id] && !p.data.declined.includes(q.id));
    const skip = new Set(known.map((q) => q.id));
    const errs = formErrors(opts.errors ?? []);
    const fields = fieldsOf(f.def, page, lang, t, values, opts.raw ?? null, errs.errors, skip);
    const copy = pageCopy(c, page);
    const single = fields.length === 1 && !copy.intro && known.length === 0;
    const r = route(f.def, p.data);
    const at = r.path.findIndex((x) => x.id === page.id);
    const prev = at > 0 ? r.path[at - 1] : null;
    if (!p.data.reached?.includes(page.id)) await d.reached(c, page);
    reply.status(opts.errors?.length ? 400 : 200);
    const ctx = {
      title: copy.title,
      heading: copy.title,
      showHeading: !single,
      intro: paras(copy.intro),
      sectionTitle: page.section ? txt(f.def.sections?.[page.section], lang) : single ? txt(f.def.title, lang) : '',
      fields,
      known: known.map((q) => ({
        id: q.id,
        label: txt(q.label, lang),
        value: answerText(f.def, q, p.data.answers[q.id], lang),
        note: sourceNote(p.data.sources[q.id], t),
      })),
      action: `${base}/${page.id}${page.repeat ? `?item=${opts.item ?? 1}` : ''}`,
      multipart: page.questions.some((q) => q.type === 'file'),
      findAddress: !!d.findAddress,
      version: f.version,
      pageId: page.id,
      change: opts.change,
      base,
      preview: p.preview,
      backHref: opts.change ? `${base}/check` : prev ? `${base}/${prev.id}` : `${base}`,
      idleMinutes: IDLE_SECONDS / 60,
      ...errs,
    };
    // A page shown with errors is particular to that post; a question page seen alike by many
    // (not answered yet, or reloaded) is rendered once.
    const expiresAt = new Date(p.expires_at).toISOString();
    if (opts.errors?.length) return renderPage(k.views, req, reply, 'forms/views/page.njk', { ...ctx, expiresAt });
    return renderMemoPage(k.views, req, reply, rendered, 'forms/views/page.njk', ctx, { expiresAt });
  }

  function pageOf(c: Current, id: string): Page | null {
    return c.f.def.pages.find((pg) => pg.id === id) ?? null;
  }

  /** A page the person may be on now: on the way, and no later than the first unanswered. */
  function reachable(c: Current, page: Page): boolean {
    return route(c.f.def, c.p.data).path.some((x) => x.id === page.id);
  }

  // ---- start ----
  r.get('/forms/:slug', { schema: { params: SLUG, querystring: queryFields('expired') } }, async (req, reply) => {
    const f = await service.live(slugOf(req));
    if (!f) return notFound(req, reply);
    return startPage(req, reply, f, `/forms/${f.form.slug}/start`, false);
  });
  r.post('/forms/:slug/start', { schema: { params: SLUG } }, async (req, reply) => {
    const f = await service.live(slugOf(req));
    if (!f) return notFound(req, reply);
    return begin(req, reply, f, false);
  });
  async function previewForm(req: SlugRequest & { params: { token: string } }): Promise<LoadedForm | null> {
    const form = await service.form(slugOf(req));
    const token = req.params.token;
    if (!form || !form.draft_version || !token || sha256(token) !== sha256(form.preview_token)) return null;
    return service.load(form, form.draft_version);
  }
  r.get('/forms/:slug/preview/:token', { schema: { params: PREVIEW, querystring: queryFields('expired') } }, async (req, reply) => {
    const f = await previewForm(req);
    if (!f) return notFound(req, reply);
    return startPage(req, reply, f, `/forms/${f.form.slug}/preview/${f.form.preview_token}`, true);
  });
  r.post('/forms/:slug/preview/:token', { schema: { params: PREVIEW } }, async (req, reply) => {
    const f = await previewForm(req);
    if (!f) return notFound(req, reply);
    return begin(req, reply, f, true);
  });

  // ---- check your answers and send ----
  const hashOf = (c: Current) => sha256(JSON.stringify(submittedAnswers(c.f.def, c.p.data))).slice(0, 32);

  async function renderCheck(req: FastifyRequest, reply: FastifyReply, c: Current, extra: Record<string, unknown> = {}) {
    const { f, p, lang, t, base } = c;
    const r = route(f.def, p.data);
    const { answers, repeats } = answersOnRoute(f.def, p.data);
    const fee = feeOf(f.def, answers);
    return renderPage(k.views, req, reply, 'forms/views/check.njk', {
      title: t('forms.check.title'),
      rows: checkRows(f.def, r.path, answers, repeats, p.data.sources, base, lang, t),
      fee: fee ? money(fee) : null,
      feeDescription: f.def.fee ? txt(f.def.fee.description, lang) : '',
      paid: p.data.payment?.status === 'success' && p.data.payment.amount === fee,
      base,
      version: f.version,
      answersHash: hashOf(c),
      preview: p.preview,
      expiresAt: new Date(p.expires_at).toISOString(),
      idleMinutes: IDLE_SECONDS / 60,
      ...extra,
    });
  }

  r.get('/forms/:slug/check', { schema: { params: SLUG, querystring: queryFields('payment') } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    if (c.p.submission_id) return reply.redirect(`${c.base}/confirmation`, 303);
    if (route(c.f.def, c.p.data).current) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    return renderCheck(req, reply, c, { paymentFailed: req.query.payment === 'failed' });
  });

  r.post('/forms/:slug/check', { schema: { params: SLUG } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    // A replayed send: the first one stands; nothing new is made.
    if (c.p.submission_id) return reply.redirect(`${c.base}/confirmation`, 303);
    const body = (req.body ?? {}) as FormBody;
    if (String(body._v ?? '') !== String(c.f.version)) return stale(req, reply, c);
    if (route(c.f.def, c.p.data).current) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    // The answers shown must be the answers sent (another tab may have changed them since).
    if (String(body._answers ?? '') !== hashOf(c)) {
      reply.status(409);
      return renderCheck(req, reply, c, { changed: true });
    }
    const fee = feeOf(c.f.def, answersOnRoute(c.f.def, c.p.data).answers);
    if (fee > 0 && !(c.p.data.payment?.status === 'success' && c.p.data.payment.amount === fee)) {
      if (!d.pay) throw new Error('this form takes a fee, but no payments module was given');
      return reply.redirect(await d.pay(req, c, fee), 303);
    }
    await service.submit(c.f, c.p.id, c.lang, c.p);
    return reply.redirect(`${c.base}/confirmation`, 303);
  });

  function stale(req: FastifyRequest, reply: FastifyReply, c: Current) {
    return message(req, reply, 409, {
      title: c.t('forms.stale.title'),
      paragraphs: [c.t('forms.stale.body')],
      link: { href: nextHref(c.base, c.f, c.p), text: c.t('forms.stale.link') },
    });
  }

  r.get('/forms/:slug/confirmation', { schema: { params: SLUG } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    if (!c.p.submission_id) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    const s = await service.submission(c.p.submission_id);
    if (!s) return notFound(req, reply);
    const conf = c.f.def.confirmation;
    return renderPage(k.views, req, reply, 'forms/views/confirmation.njk', {
      title: txt(conf?.title, c.lang) || c.t('forms.confirmation.title'),
      heading: txt(conf?.title, c.lang) || c.t('forms.confirmation.title'),
      reference: s.reference,
      body: paras(txt(conf?.body, c.lang) || c.t('forms.confirmation.body')),
      emailed: !!conf?.emailQuestion && s.answers.some((a) => a.question === conf.emailQuestion),
      paid: s.fee ? money(s.fee) : null,
      slug: c.f.form.slug,
      preview: s.preview,
    });
  });

  // ---- "tell us if this is wrong": answer a prefilled question yourself ----
  r.get('/forms/:slug/answer-myself', { schema: { params: SLUG, querystring: queryFields('question') } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    const qid = req.query.question ?? '';
    const page = c.f.def.pages.find((pg) => pg.questions.some((q) => q.id === qid));
    if (!page || !c.p.data.sources[qid]) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    c.p.data.declined = [...new Set([...c.p.data.declined, qid])];
    delete c.p.data.sources[qid];
    delete c.p.data.answers[qid];
    c.p.data.done = c.p.data.done.filter((x) => x !== page.id);
    await service.saveProgress(c.p);
    return reply.redirect(`${c.base}/${page.id}?change=1`, 303);
  });

  // ---- repeating pages: the list and "add another" ----
  r.get('/forms/:slug/:page/add-another', { schema: { params: PAGE } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    const page = pageOf(c, req.params.page);
    if (!page?.repeat || !reachable(c, page)) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    return renderAddAnother(req, reply, c, page, []);
  });
  function renderAddAnother(req: FastifyRequest, reply: FastifyReply, c: Current, page: Page, errors: FieldError[]) {
    const items = c.p.data.repeats[page.id] ?? [];
    const name = txt(page.repeat!.itemName ?? page.title, c.lang);
    reply.status(errors.length ? 400 : 200);
    return renderPage(k.views, req, reply, 'forms/views/add-another.njk', {
      title: c.t('forms.repeat.title', { n: items.length, name }),
      heading: c.t('forms.repeat.title', { n: items.length, name }),
      rows: items.map((item, i) => ({
        key: { text: `${name} ${i + 1}` },
        value: {
          text: page.questions
            .map((q) => answerText(c.f.def, q, item[q.id], c.lang))
            .filter(Boolean)
            .join(', '),
        },
        actions: {
          items: [
            { href: `${c.base}/${page.id}?item=${i + 1}`, text: c.t('forms.check.change'), visuallyHiddenText: `${name} ${i + 1}` },
            { href: `${c.base}/${page.id}/remove?item=${i + 1}`, text: c.t('forms.repeat.remove'), visuallyHiddenText: `${name} ${i + 1}` },
          ],
        },
      })),
      canAdd: items.length < page.repeat!.max,
      max: page.repeat!.max,
      action: `${c.base}/${page.id}/add-another`,
      version: c.f.version,
      ...formErrors(errors),
    });
  }
  r.post('/forms/:slug/:page/add-another', { schema: { params: PAGE } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    const page = pageOf(c, req.params.page);
    if (!page?.repeat || !reachable(c, page)) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    const body = (req.body ?? {}) as FormBody;
    if (String(body._v ?? '') !== String(c.f.version)) return stale(req, reply, c);
    const items = c.p.data.repeats[page.id] ?? [];
    const another = String(body.another ?? '');
    if (another === 'yes' && items.length < page.repeat.max) return reply.redirect(`${c.base}/${page.id}?item=${items.length + 1}`, 303);
    if (another !== 'no' && another !== 'yes')
      return renderAddAnother(req, reply, c, page, [{ field: 'another', message: c.t('forms.errors.another') }]);
    if (!items.length) return reply.redirect(`${c.base}/${page.id}?item=1`, 303);
    c.p.data.done = [...new Set([...c.p.data.done, page.id])];
    await service.saveProgress(c.p);
    return reply.redirect(nextHref(c.base, c.f, c.p), 303);
  });
  r.get('/forms/:slug/:page/remove', { schema: { params: PAGE, querystring: ITEM } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    const page = pageOf(c, req.params.page);
    if (!page?.repeat) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    const i = Number(req.query.item) - 1;
    return message(req, reply, 200, {
      title: c.t('forms.repeat.removeTitle', { name: `${txt(page.repeat.itemName ?? page.title, c.lang)} ${i + 1}` }),
      paragraphs: [],
      button: { action: `${c.base}/${page.id}/remove?item=${i + 1}`, text: c.t('forms.repeat.remove') },
      link: { href: `${c.base}/${page.id}/add-another`, text: c.t('forms.repeat.keep') },
    });
  });
  r.post('/forms/:slug/:page/remove', { schema: { params: PAGE, querystring: ITEM } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    const page = pageOf(c, req.params.page);
    if (!page?.repeat) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    const i = Number(req.query.item) - 1;
    const items = c.p.data.repeats[page.id] ?? [];
    if (Number.isInteger(i) && i >= 0 && i < items.length) items.splice(i, 1);
    c.p.data.repeats[page.id] = items;
    if (!items.length) c.p.data.done = c.p.data.done.filter((x) => x !== page.id);
    await service.saveProgress(c.p);
    return reply.redirect(items.length ? `${c.base}/${page.id}/add-another` : `${c.base}/${page.id}?item=1`, 303);
  });

  // ---- question pages ----
  r.get('/forms/:slug/:page', { schema: { params: PAGE, querystring: queryFields('item', 'change') } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    if (c.p.submission_id) return reply.redirect(`${c.base}/confirmation`, 303);
    const page = pageOf(c, req.params.page);
    if (!page) return notFound(req, reply);
    if (!reachable(c, page)) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    const q = req.query;
    const item = page.repeat ? clampItem(q.item, c.p.data.repeats[page.id]?.length ?? 0, page.repeat.max) : undefined;
    if (page.repeat && item === null) return reply.redirect(`${c.base}/${page.id}/add-another`, 303);
    return renderQuestionPage(req, reply, c, page, { item: item ?? undefined, change: q.change === '1' });
  });

  r.post('/forms/:slug/:page', { schema: { params: PAGE, querystring: ITEM } }, async (req, reply) => {
    const c = await current(req, reply);
    if (isReply(c)) return c;
    if (c.p.submission_id) return reply.redirect(`${c.base}/confirmation`, 303);
    const page = pageOf(c, req.params.page);
    if (!page) return notFound(req, reply);
    const { body, files } = await readUploads(req, page, c, d);
    // Tampered or stale: the page's own hidden fields must match what we rendered.
    if (String(body._v ?? '') !== String(c.f.version) || String(body._page ?? '') !== page.id) return stale(req, reply, c);
    if (!reachable(c, page)) return reply.redirect(nextHref(c.base, c.f, c.p), 303);
    const q = req.query;
    const item = page.repeat ? clampItem(q.item, c.p.data.repeats[page.id]?.length ?? 0, page.repeat.max) : undefined;
    if (page.repeat && item === null) return reply.redirect(`${c.base}/${page.id}/add-another`, 303);
    const known = new Set(page.questions.filter((x) => c.p.data.sources[x.id] && !c.p.data.declined.includes(x.id)).map((x) => x.id));
    const asked: Page = { ...page, questions: page.questions.filter((x) => !known.has(x.id)) };
    const previous = page.repeat ? (c.p.data.repeats[page.id]?.[item! - 1] ?? {}) : c.p.data.answers;
    const { values, raw, errors } = readPage(c.f.def, asked, body, c.t, c.lang, files, previous);
    if (errors.length)
      return renderQuestionPage(req, reply, c, page, { item: item ?? undefined, raw, errors, change: body._change === '1' });
    if (page.repeat) {
      const items = c.p.data.repeats[page.id] ?? [];
      items[item! - 1] = values;
      c.p.data.repeats[page.id] = items;
      await service.saveProgress(c.p);
      return reply.redirect(`${c.base}/${page.id}/add-another`, 303);
    }
    for (const x of asked.questions) delete c.p.data.answers[x.id];
    Object.assign(c.p.data.answers, values);
    c.p.data.done = [...new Set([...c.p.data.done, page.id])];
    await service.saveProgress(c.p);
    return reply.redirect(nextHref(c.base, c.f, c.p), 303);
  });

  return { current, isReply, nextHref, message, notFound };
}

/** The item a repeating page is at: 1 … items+1 (a new one), never past max; null if out of range. */
function clampItem(q: string | undefined, have: number, max: number): number | null {
  const n = q === undefined ? have + 1 : Number(q);
  if (!Number.isInteger(n) || n < 1 || n > have + 1 || n > max) return null;
  return n;
}
