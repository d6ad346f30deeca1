// What the runner's pages need from the rest of Cityscape, in one place: identity for
// sign-in, the exchange's attribute names, the addresses module's find-an-address journey,
// experiments for page variants, performance for pages reached. Prefill, payment and "save
// and come back later" hook in here too (pages-journey.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { pathParams, queryFields } from '../../kernel/forms.js';
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import type { Page } from './definition.js';
import type { FormsService } from './service.js';
import { COOKIE, runnerPages, type Current } from './pages.js';
import { MAX_UPLOAD_BYTES, type Upload } from './uploads.js';
import type { ChosenAddress, FindAddressOptions } from '../addresses/index.js';
import type { Citizen } from '../identity/index.js';

export interface IdentityView {
  citizen(req: FastifyRequest): Promise<Citizen | null>;
  signInPath(back: string): string;
  provePath(back: string): string;
}
export interface AttributeInfo {
  id: string;
  name: string;
  nameCy: string | null;
  provider: string;
  providerName: string;
  service: string;
}
export interface ExperimentsView {
  evaluate(
    flagKey: string,
    ctx: { targetingKey: string; serviceId: string; [k: string]: unknown },
  ): { value: unknown; variant?: string; reason: string };
}
export interface PerformanceView {
  record(
    tx: Queryable | null,
    m: { serviceId: string; type: string; key?: string; value?: number; props?: Record<string, string | number> },
  ): Promise<void>;
}

export interface RunnerDeps {
  k: Kernel;
  service: FormsService;
  identity?: IdentityView;
  experiments?: ExperimentsView;
  findAddress?: (app: FastifyInstance, opts: FindAddressOptions) => void;
  attributeNames(): Promise<Map<string, AttributeInfo>>;
  reached(c: Current, page: Page): Promise<void>;
  /** After a start: somewhere to go first (the prefill question), or null. */
  afterStart?: (req: FastifyRequest, c: Current) => Promise<string | null>;
  /** Takes the fee: returns where to send the browser (the hosted card page). */
  pay?: (req: FastifyRequest, c: Current, amount: number) => Promise<string>;
}

const FIND_COOKIE = 'cs_form_find';

export function mountRunner(
  app: FastifyInstance,
  d: RunnerDeps,
  extra: (app: FastifyInstance, pages: ReturnType<typeof runnerPages>) => void,
) {
  app.register(async (scope) => {
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { fileSize: MAX_UPLOAD_BYTES, files: 10, fields: 500, fieldSize: 200_000 },
      async onFile(part) {
        const data = await part.toBuffer();
        (part as unknown as { value: Upload }).value = {
          filename: part.filename,
          mimetype: part.mimetype,
          data,
          truncated: part.file.truncated,
        };
      },
    });
    const pages = runnerPages(scope, d);
    extra(scope, pages);

    if (d.findAddress) {
      scope
        .withTypeProvider<TypeBoxTypeProvider>()
        .get(
          '/forms/:slug/find-address',
          { schema: { params: pathParams('slug'), querystring: queryFields('question') } },
          async (req, reply) => {
            const c = await pages.current(req, reply);
            if (pages.isReply(c)) return c;
            const qid = req.query.question ?? '';
            const page = c.f.def.pages.find((p) => !p.repeat && p.questions.some((q) => q.id === qid && q.type === 'address'));
            if (!page) return reply.redirect(pages.nextHref(c.base, c.f, c.p), 303);
            reply.setCookie(FIND_COOKIE, `${c.f.form.slug}|${page.id}|${qid}`, { path: '/forms', httpOnly: true, sameSite: 'lax' });
            return reply.redirect('/forms/find-address', 303);
          },
        );
      d.findAddress(scope, {
        prefix: '/forms/find-address',
        async onChosen(address: ChosenAddress, req, reply) {
          const [slug, pageId, qid] = String(req.cookies[FIND_COOKIE] ?? '').split('|');
          const token = slug ? req.cookies[COOKIE(slug)] : undefined;
          const p = token ? await d.service.progress(token) : null;
          if (!p || !slug) return reply.redirect('/', 303);
          p.data.answers[qid] = {
            line1: address.lines[0] ?? '',
            line2: address.lines.slice(1).join(', '),
            town: address.town,
            postcode: address.postcode,
            ...(address.uprn ? { uprn: address.uprn } : {}),
          };
          await d.service.saveProgress(p);
          reply.clearCookie(FIND_COOKIE, { path: '/forms' });
          return reply.redirect(`/forms/${slug}/${pageId}`, 303);
        },
      });
    }
  });
}
