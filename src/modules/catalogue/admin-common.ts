// Shared pieces of the staff console: the signed-in actor, rendering with copy from the
// admin locale files, one-shot "done" banners (a fixed list of keys, never reflected text),
// and small form helpers that give plain-English GOV.UK error messages.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { staffActorOf } from '../../kernel/staff.js';
import { Forbidden, HttpError, type FieldError } from '../../kernel/errors.js';
import { dateFromParts, fieldErrorsFrom, formErrors, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator, type RenderContext } from '../../kernel/views.js';
import type { Actor, CatalogueService } from './service.js';
import type { Organisation, Service } from './schema.js';

export type StaffActor = Actor & { kind: 'staff' };
export type T = ReturnType<typeof translator>;

/** The signed-in staff member, put on the request by the console's guard (kernel/staff.ts). */
export const actorOf: (req: FastifyRequest) => StaffActor = staffActorOf<StaffActor>;

export function tr(k: Kernel, req: FastifyRequest): T {
  return translator(k.views.messages, requestLang(req));
}

export function render(k: Kernel, req: FastifyRequest, reply: FastifyReply, view: string, ctx: RenderContext): FastifyReply {
  return renderPage(k.views, req, reply, `catalogue/views/admin/${view}.njk`, { banner: doneBanner(k, req), ...ctx });
}

/** Outcomes a redirect may announce with ?done=…; anything else is ignored. */
export const DONE = [
  'service-created',
  'service-updated',
  'office-holder-set',
  'decision-added',
  'roadmap-added',
  'roadmap-updated',
  'key-revoked',
  'organisation-created',
  'organisation-updated',
  'team-added',
  'staff-added',
  'signed-out',
] as const;
export type Done = (typeof DONE)[number];

export function doneBanner(k: Kernel, req: FastifyRequest): string | null {
  const done = (req.query as Record<string, unknown> | undefined)?.done;
  return typeof done === 'string' && (DONE as readonly string[]).includes(done) ? tr(k, req)(`catalogue.admin.done.${done}`) : null;
}

export function redirectDone(reply: FastifyReply, path: string, done: Done): FastifyReply {
  return reply.redirect(`${path}?done=${done}`, 303);
}

/** Re-render a form with its error summary (400), keeping what was entered. */
export function renderErrors(
  k: Kernel,
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  fields: FieldError[],
  ctx: RenderContext,
  status = 400,
): FastifyReply {
  reply.status(status);
  return render(k, req, reply, view, { ...ctx, ...formErrors(fields) });
}

/**
 * A service rule failure as field errors, with the service's field names mapped onto the
 * form's (e.g. team_slug → team). Slug clashes get the console's own wording.
 */
export function ruleErrors(err: unknown, fallback: string, t: T, rename: Record<string, string> = {}): FieldError[] {
  if (err instanceof HttpError && err.code === 'slug_taken') return [{ field: 'slug', message: t('catalogue.admin.errors.slugTaken') }];
  return fieldErrorsFrom(err, fallback).map((f) => ({ field: rename[f.field] ?? f.field, message: f.message }));
}

export const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const URL_RE = /^(https?:\/\/[^\s]+|\/[^\s]*)$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Collects field errors for one form; messages are locale keys under catalogue.admin.errors. */
export function checker(t: T) {
  const errors: FieldError[] = [];
  const add = (field: string, key: string, params: Record<string, string | number> = {}) => {
    errors.push({ field, message: t(`catalogue.admin.errors.${key}`, params) });
  };
  return {
    errors,
    add,
    required(field: string, value: string, key: string, max = 200) {
      if (!value) add(field, key);
      else if (value.length > max) add(field, 'tooLong', { max });
    },
    optional(field: string, value: string, max: number) {
      if (value.length > max) add(field, 'tooLong', { max });
    },
    slug(value: string, field = 'slug') {
      if (!value) add(field, 'slugMissing');
      else if (!SLUG.test(value) || value.length < 2 || value.length > 80) add(field, 'slugFormat');
    },
    url(field: string, value: string) {
      if (value && (!URL_RE.test(value) || value.length > 2000)) add(field, 'urlFormat');
    },
    email(field: string, value: string, required: boolean) {
      if (!value) {
        if (required) add(field, 'emailMissing');
      } else if (!EMAIL.test(value) || value.length > 320) add(field, 'emailFormat');
    },
    oneOf(field: string, value: string, allowed: readonly string[], key: string) {
      if (!allowed.includes(value)) add(field, key);
    },
    /** A GOV.UK date input (`name-day/-month/-year`) → YYYY-MM-DD, with translated messages. */
    date(body: FormBody | undefined, name: string, labelKey: string, required = true): string | null {
      const r = dateFromParts(body, name, name, required);
      if (r.error) {
        const blank = !str(body, `${name}-day`) && !str(body, `${name}-month`) && !str(body, `${name}-year`);
        const label = t(`catalogue.admin.${labelKey}`);
        add(r.error.field, blank ? 'dateMissing' : 'dateInvalid', {
          label: blank ? label : label.charAt(0).toUpperCase() + label.slice(1),
        });
      }
      return r.value;
    },
  };
}

/** Values of a form as entered, for re-rendering (strings only, never trusted). */
/** The form's values, whole: too long is reported by the checker, never cut off silently. */
export function values(body: FormBody | undefined, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, str(body, n, 100_000)]));
}

/** Date input parts from YYYY-MM-DD, for pre-filling a govukDateInput. */
export function dateParts(name: string, iso: string | null | undefined): Record<string, string> {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso ?? '');
  return m ? { [`${name}-day`]: String(+m[3]), [`${name}-month`]: String(+m[2]), [`${name}-year`]: m[1] } : {};
}

/** The service named in the URL, if this actor may work on it at this level; otherwise 403. */
export async function serviceFor(
  catalogue: CatalogueService,
  req: FastifyRequest,
  level: 'org' | 'service',
): Promise<{ actor: StaffActor; service: Service }> {
  const actor = actorOf(req);
  const service = await catalogue.getService((req.params as { slug: string }).slug);
  if (!catalogue.canManage(actor, service.organisation.id, level)) throw new Forbidden();
  return { actor, service };
}

/** Organisations this actor may act for at this level (all of them for a platform admin). */
export async function manageableOrgs(
  catalogue: CatalogueService,
  actor: StaffActor,
  level: 'org' | 'service' = 'org',
): Promise<Organisation[]> {
  const all = await catalogue.listOrganisations();
  return all.filter((o) => catalogue.canManage(actor, o.id, level));
}

/** Page number from ?page= (1 when missing or silly). */
export function pageNumber(req: FastifyRequest): number {
  const raw = (req.query as Record<string, unknown> | undefined)?.page;
  const n = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : 1;
  return Math.max(1, n);
}

/** "26 November 2026, 3:04pm" in UK time. */
export function dateTime(value: unknown, lang: 'en' | 'cy' = 'en'): string {
  if (!value) return '';
  const d = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(lang === 'cy' ? 'cy-GB' : 'en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone: 'Europe/London',
  });
}
