// The joined-up parts of a form's journey: what government already knows, asked for once
// through the exchange with the citizen's agreement (consent), and never asked again; the fee
// through the payments module's hosted card page and back; "save and come back later" with a
// link sent through Notify.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kernel } from '../../kernel/module.js';
import { formErrors, pathParams, queryFields, str, type FormBody } from '../../kernel/forms.js';
import { renderPage } from '../../kernel/views.js';
import type { Question } from './definition.js';
import { answersOnRoute, type Answer } from './engine.js';
import type { FormsService } from './service.js';
import { RESUME_DAYS } from './service.js';
import { COOKIE, type Current, runnerPages } from './pages.js';
import type { AttributeInfo, RunnerDeps } from './runner.js';
import { ensureTemplate } from './deliveries.js';

export interface JourneyDeps {
  consent?: {
    askPath(input: { consumerServiceId: string; purpose: string; attributes: string[]; back: string }): string;
    decide(input: {
      subject: string;
      consumerServiceId: string;
      purpose: string;
      attributes: string[];
    }): Promise<{ allow: boolean; recordId: string | null; allowedAttributes: string[] }>;
  };
  exchange?: {
    attributes(): Promise<AttributeInfo[]>;
    fetch(input: {
      consumerServiceId: string;
      service: string;
      purpose: string;
      legalBasis: string;
      subject: string;
      match?: Record<string, string>;
      attributes?: string[];
    }): Promise<{ ok: true; data: Record<string, unknown> } | { ok: false; status: number; type: string; message: string }>;
  };
  payments?: {
    startPayment(input: {
      serviceId: string;
      amount: number;
      description: string;
      reference: string;
      returnUrl: string;
      email?: string | null;
      language: 'en' | 'cy';
      live: boolean;
    }): Promise<{ paymentId: string; nextUrl: string }>;
    /** Whether the service's payments account is live (real money) rather than test. */
    isLive(serviceId: string): Promise<boolean>;
    paymentStatus(serviceId: string, paymentId: string): Promise<{ status: string; amount: number } | null>;
  };
  notify?: {
    templates(serviceId: string, type: string | null): Promise<unknown[]>;
    createTemplate(
      serviceId: string,
      input: { type: 'email' | 'sms'; name: string; subject?: string; body: string },
      by: string,
    ): Promise<{ id: string }>;
    sendEmail(
      serviceId: string,
      input: { templateId: string; to: string; personalisation?: Record<string, unknown>; reference?: string },
    ): Promise<unknown>;
    sendSms(
      serviceId: string,
      input: { templateId: string; to: string; personalisation?: Record<string, unknown>; reference?: string },
    ): Promise<unknown>;
  };
  identity?: RunnerDeps['identity'];
}

const attrName = (id: string) => id.slice(id.indexOf('.') + 1);

/** What an exchange value reads as in a question's answer. */
function asAnswer(q: Question, v: unknown): Answer | null {
  if (v === null || v === undefined) return null;
  if (q.type === 'yesno') return v === true || v === 'yes' ? 'yes' : v === false || v === 'no' ? 'no' : null;
  if (q.type === 'number') return typeof v === 'number' ? v : Number.isFinite(Number(v)) ? Number(v) : null;
  if (['radios', 'select'].includes(q.type)) {
    const s = String(v);
    return q.options?.some((o) => o.value === s) || q.list ? s : null;
  }
  return typeof v === 'object' ? null : String(v);
}

export function journeyPages(k: Kernel, service: FormsService, runner: Pick<RunnerDeps, 'attributeNames'>, deps: JourneyDeps) {
  const purposeOf = (c: Current) => c.f.def.purpose ?? 'dpv:ServiceProvision';
  const attributeQuestions = (c: Current) =>
    c.f.def.pages.filter((p) => !p.repeat).flatMap((p) => p.questions.filter((q) => q.attribute && !c.p.data.declined.includes(q.id)));

  /** Fills the answers the exchange gives; pages whose every question is answered are done. */
  async function prefill(c: Current, legalBasis: string): Promise<number> {
    const names = await runner.attributeNames();
    const qs = attributeQuestions(c).filter((q) => names.has(q.attribute!));
    const byService = new Map<string, Question[]>();
    for (const q of qs) byService.set(names.get(q.attribute!)!.service, [...(byService.get(names.get(q.attribute!)!.service) ?? []), q]);
    const person = c.p.data.person ?? {};
    let filled = 0;
    for (const [svc, questions] of byService) {
      const r = await deps.exchange!.fetch({
        consumerServiceId: c.f.form.service_id,
        service: svc,
        purpose: purposeOf(c),
        legalBasis,
        subject: c.p.account_id!,
        match: person,
        attributes: [...new Set(questions.map((q) => attrName(q.attribute!)))],
      });
      if (!r.ok) {
        k.log.info({ service: svc, type: r.type }, 'forms: the exchange gave no answer; the citizen answers themselves');
        continue;
      }
      for (const q of questions) {
        const v = asAnswer(q, r.data[attrName(q.attribute!)]);
        if (v === null) continue;
        c.p.data.answers[q.id] = v;
        c.p.data.sources[q.id] = { kind: 'exchange', provider: names.get(q.attribute!)!.providerName, attribute: q.attribute };
        filled++;
      }
    }
    for (const page of c.f.def.pages)
      if (!page.repeat && page.questions.length && page.questions.every((q) => c.p.data.sources[q.id]))
        c.p.data.done = [...new Set([...c.p.data.done, page.id])];
    return filled;
  }

  return {
    /** After start: to the prefill step when the form has questions a registry answers. */
    async afterStart(req: FastifyRequest, c: Current): Promise<string | null> {
      if (!deps.exchange || !deps.identity || !c.p.account_id || !attributeQuestions(c).length) return null;
      const citizen = await deps.identity.citizen(req);
      if (citizen) {
        const person: Record<string, string> = {};
        if (citizen.givenName) person.given_name = citizen.givenName;
        if (citizen.familyName) person.family_name = citizen.familyName;
        if (citizen.birthDate) person.birth_date = citizen.birthDate;
        c.p.data.person = person;
        // Answers the account already holds.
        for (const page of c.f.def.pages)
          for (const q of page.questions) {
            if (!q.account || page.repeat) continue;
            const v =
              q.account === 'fullName'
                ? [citizen.givenName, citizen.familyName].filter(Boolean).join(' ')
                : q.account === 'address'
                  ? null
                  : (citizen as unknown as Record<string, string | null>)[q.account];
            if (v) {
              c.p.data.answers[q.id] = v;
              c.p.data.sources[q.id] = { kind: 'account' };
            }
          }
        await service.saveProgress(c.p);
      }
      return `${c.base}/prefill`;
    },

    /** Sends the browser to the hosted card page for the fee; it comes back to /paid. */
    async pay(req: FastifyRequest, c: Current, amount: number): Promise<string> {
      if (!deps.payments) throw new Error('this form takes a fee, but no payments module was given');
      const { answers } = answersOnRoute(c.f.def, c.p.data);
      const email = c.f.def.confirmation?.emailQuestion ? answers[c.f.def.confirmation.emailQuestion] : undefined;
      const { paymentId, nextUrl } = await deps.payments.startPayment({
        serviceId: c.f.form.service_id,
        amount,
        description: (typeof c.f.def.fee!.description === 'string' ? c.f.def.fee!.description : c.f.def.fee!.description.en).slice(0, 255),
        reference: c.p.id.slice(0, 8).toUpperCase(),
        returnUrl: `${k.config.publicUrl}${c.base}/paid`,
        email: typeof email === 'string' ? email : null,
        language: c.lang,
        // A live form of a service whose payments account is live takes real money; a draft
        // preview never does.
        live: !c.p.preview && (await deps.payments.isLive(c.f.form.service_id)),
      });
      c.p.data.payment = { id: paymentId, amount, status: 'created' };
      await service.saveProgress(c.p);
      void req;
      return nextUrl;
    },

    routes(scope: FastifyInstance, pages: ReturnType<typeof runnerPages>) {
      const app = scope.withTypeProvider<TypeBoxTypeProvider>();
      const slug = pathParams('slug');
      // ---- prefill from the exchange, with the citizen's agreement ----
      app.get('/forms/:slug/prefill', { schema: { params: slug, querystring: queryFields('consent') } }, async (req, reply) => {
        const c = await pages.current(req, reply);
        if (pages.isReply(c)) return c;
        const next = () => reply.redirect(pages.nextHref(c.base, c.f, c.p), 303);
        if (!deps.exchange || !c.p.account_id || c.p.data.prefill === 'done' || c.p.data.prefill === 'declined') return next();
        const q = req.query;
        const names = await runner.attributeNames();
        const attributes = [
          ...new Set(
            attributeQuestions(c)
              .map((x) => x.attribute!)
              .filter((a) => names.has(a)),
          ),
        ];
        if (!attributes.length) return next();
        const basis = c.f.def.legalBasis ?? 'consent';
        if (basis !== 'consent') {
          await prefill(c, basis);
          c.p.data.prefill = 'done';
          await service.saveProgress(c.p);
          return next();
        }
        if (!deps.consent) return next();
        if (q.consent === 'declined') {
          c.p.data.prefill = 'declined';
          await service.saveProgress(c.p);
          return next();
        }
        const decision = await deps.consent.decide({
          subject: c.p.account_id,
          consumerServiceId: c.f.form.service_id,
          purpose: purposeOf(c),
          attributes,
        });
        if (decision.allow && decision.recordId) {
          await prefill(c, `consent:${decision.recordId}`);
          c.p.data.prefill = 'done';
          await service.saveProgress(c.p);
          return next();
        }
        if (c.p.data.prefill === 'asked' && q.consent !== 'given') {
          // Came back without an answer: carry on and ask the questions.
          c.p.data.prefill = 'declined';
          await service.saveProgress(c.p);
          return next();
        }
        c.p.data.prefill = 'asked';
        await service.saveProgress(c.p);
        return reply.redirect(
          deps.consent.askPath({ consumerServiceId: c.f.form.service_id, purpose: purposeOf(c), attributes, back: `${c.base}/prefill` }),
          303,
        );
      });

      // ---- back from the card page ----
      app.get('/forms/:slug/paid', { schema: { params: slug } }, async (req, reply) => {
        const c = await pages.current(req, reply);
        if (pages.isReply(c)) return c;
        if (c.p.submission_id) return reply.redirect(`${c.base}/confirmation`, 303);
        const pay = c.p.data.payment;
        const s = pay && deps.payments ? await deps.payments.paymentStatus(c.f.form.service_id, pay.id) : null;
        if (!pay || !s || s.status !== 'success' || s.amount !== pay.amount) {
          if (pay) {
            c.p.data.payment = { ...pay, status: s?.status ?? 'failed' };
            await service.saveProgress(c.p);
          }
          return reply.redirect(`${c.base}/check?payment=failed`, 303);
        }
        c.p.data.payment = { ...pay, status: 'success' };
        await service.saveProgress(c.p);
        await service.submit(c.f, c.p.id, c.lang, c.p);
        return reply.redirect(`${c.base}/confirmation`, 303);
      });

      // ---- save and come back later ----
      const saveForm = (
        req: FastifyRequest,
        reply: import('fastify').FastifyReply,
        c: Current,
        errors: Array<{ field: string; message: string }> = [],
        email = '',
      ) => {
        reply.status(errors.length ? 400 : 200);
        return renderPage(k.views, req, reply, 'forms/views/save.njk', {
          title: c.t('forms.save.title'),
          base: c.base,
          email,
          days: RESUME_DAYS,
          ...formErrors(errors),
        });
      };
      app.get('/forms/:slug/save', { schema: { params: slug } }, async (req, reply) => {
        const c = await pages.current(req, reply);
        if (pages.isReply(c)) return c;
        return saveForm(req, reply, c);
      });
      app.post(
        '/forms/:slug/save',
        { schema: { params: slug }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } },
        async (req, reply) => {
          const c = await pages.current(req, reply);
          if (pages.isReply(c)) return c;
          const email = str(req.body as FormBody, 'email', 320);
          if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
            return saveForm(req, reply, c, [{ field: 'email', message: c.t('forms.errors.email', { label: 'email' }) }], email);
          if (!deps.notify) throw new Error('saving for later needs the notify module');
          const token = await service.saveForLater(c.p);
          const templateId = await ensureTemplate(deps.notify, c.f.form.service_id, 'email');
          await deps.notify.sendEmail(c.f.form.service_id, {
            templateId,
            to: email,
            reference: `forms-resume-${c.p.id}`,
            personalisation: {
              subject: c.t('forms.save.emailSubject'),
              body: c.t('forms.save.emailBody', { url: `${k.config.publicUrl}${c.base}/resume/${token}`, days: RESUME_DAYS }),
            },
          });
          reply.clearCookie(COOKIE(c.f.form.slug), { path: '/forms' });
          return pages.message(req, reply, 200, {
            title: c.t('forms.save.sentTitle'),
            paragraphs: [c.t('forms.save.sentBody', { email, days: RESUME_DAYS })],
          });
        },
      );
      app.get('/forms/:slug/resume/:token', { schema: { params: pathParams('slug', 'token') } }, async (req, reply) => {
        const { slug, token } = req.params;
        const r = await service.resume(token);
        const form = await service.form(slug);
        if (!r || !form || form.id !== r.progress.form_id) return pages.notFound(req, reply);
        reply.setCookie(COOKIE(slug), r.token, { path: '/forms', httpOnly: true, sameSite: 'lax' });
        const f = await service.load(form, r.progress.version);
        return reply.redirect(f ? pages.nextHref(`/forms/${slug}`, f, r.progress) : `/forms/${slug}`, 303);
      });
    },
  };
}
