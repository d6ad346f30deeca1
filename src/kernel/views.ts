// Nunjucks with govuk-frontend: one environment for the page layout, shared partials and
// every module's templates; English and Welsh copy from locale files; a language switch.
import nunjucks from 'nunjucks';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Cache } from './cache.js';
import { componentParams, loadComponentWording } from './components.js';

export type Lang = 'en' | 'cy';
export const LANGS: Lang[] = ['en', 'cy'];

const here = dirname(fileURLToPath(import.meta.url));
export const SRC_DIR = join(here, '..');
const require = createRequire(import.meta.url);
export const GOVUK_DIST = join(dirname(require.resolve('govuk-frontend/package.json')), 'dist');

type Messages = Record<string, string>;

/** Who is signed in to the staff console, shown in its header; set by each console's guard. */
export interface StaffBadge {
  email: string;
  role: string;
  organisationId: string | null;
}
declare module 'fastify' {
  interface FastifyRequest {
    staff?: StaffBadge;
  }
}

function flatten(obj: Record<string, unknown>, prefix = '', out: Messages = {}): Messages {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v as Record<string, unknown>, key, out);
    else out[key] = String(v);
  }
  return out;
}

/** Locale files: src/views/locales/*.json and src/modules/<m>/locales/*.json (keys prefixed <m>.). */
export function loadMessages(): Record<Lang, Messages> {
  const messages: Record<Lang, Messages> = { en: {}, cy: {} };
  const sources: Array<[string, string]> = [[join(SRC_DIR, 'views', 'locales'), '']];
  const modulesDir = join(SRC_DIR, 'modules');
  if (existsSync(modulesDir)) {
    for (const m of readdirSync(modulesDir)) sources.push([join(modulesDir, m, 'locales'), m]);
  }
  // <lang>.json → keys under the module's name; <part>.<lang>.json → under <module>.<part>.
  for (const [dir, prefix] of sources) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const m = /^(?:(.+)\.)?(en|cy)\.json$/.exec(file);
      if (!m) continue;
      const key = [prefix, m[1]].filter(Boolean).join('.');
      flatten(JSON.parse(readFileSync(join(dir, file), 'utf8')), key, messages[m[2] as Lang]);
    }
  }
  return messages;
}

export function translator(messages: Record<Lang, Messages>, lang: Lang) {
  return (key: string, params: Record<string, string | number> = {}): string => {
    const text = messages[lang][key] ?? messages.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, p) => (p in params ? String(params[p]) : `{${p}}`));
  };
}

/**
 * A relative import inside govuk-frontend ("../error-message/macro.njk") is looked up by name
 * again, through the search path, so Cityscape's shadows of its components apply there too.
 */
class Loader extends nunjucks.FileSystemLoader {
  resolve(from: string, to: string): string {
    const full = resolve(dirname(from), to);
    return full.startsWith(GOVUK_DIST + sep) ? relative(GOVUK_DIST, full) : full;
  }
}

export function createViews(opts: { watch?: boolean } = {}) {
  const env = new nunjucks.Environment(
    new Loader([join(SRC_DIR, 'views'), join(SRC_DIR, 'modules'), GOVUK_DIST], {
      watch: opts.watch ?? false,
      noCache: false,
    }),
    { autoescape: true, throwOnUndefined: false },
  );
  const messages = loadMessages();
  // GOV.UK components' default wording follows the language of the page being rendered
  // (src/kernel/components.ts). Rendering is synchronous, so the language of the render in
  // progress is known to the shadowed component macros without passing it to each of them.
  const wording = loadComponentWording(join(SRC_DIR, 'views', 'locales'));
  let rendering: string = 'en';
  env.addGlobal('componentParams', (name: string, params: Record<string, unknown> | undefined) =>
    componentParams(wording, rendering, name, params),
  );
  const render = env.render.bind(env) as (name: string, ctx?: object) => string;
  env.render = ((name: string, ctx?: Record<string, unknown>, cb?: unknown) => {
    if (cb) throw new Error('views: render synchronously (component wording depends on it)');
    const outer = rendering;
    rendering = ctx?.lang === 'cy' ? 'cy' : 'en';
    try {
      return render(name, ctx);
    } finally {
      rendering = outer;
    }
  }) as typeof env.render;
  env.addFilter('date', (value: unknown, lang: Lang = 'en') => {
    if (!value) return '';
    const d = value instanceof Date ? value : new Date(String(value).length === 10 ? `${value}T00:00:00Z` : String(value));
    if (Number.isNaN(d.getTime())) return String(value);
    return DATE_FORMATS[lang === 'cy' ? 'cy' : 'en'].format(d);
  });
  env.addFilter('percent', (v: number | null | undefined) => (v == null ? '' : `${Math.round(v * 1000) / 10}%`));
  return { env, messages };
}
export type Views = ReturnType<typeof createViews>;

/** The language of this request: ?lang= wins, then the cookie, then English. */
export function requestLang(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (q === 'cy' || q === 'en') return q;
  const c = req.cookies?.lang;
  return c === 'cy' ? 'cy' : 'en';
}

/** The current URL with the language set, for the language switch. */
export function urlWithLang(url: string, lang: Lang): string {
  const u = new URL(url, 'http://x');
  u.searchParams.set('lang', lang);
  return u.pathname + u.search;
}

const DATE_OPTIONS: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' };
// Built once: a formatter per call costs ~0.1 ms, most of a page's render time.
const DATE_FORMATS = { en: new Intl.DateTimeFormat('en-GB', DATE_OPTIONS), cy: new Intl.DateTimeFormat('cy-GB', DATE_OPTIONS) };

export type RenderContext = Record<string, unknown>;

function rememberLang(req: FastifyRequest, reply: FastifyReply): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if ((q === 'cy' || q === 'en') && req.cookies?.lang !== q) {
    reply.setCookie('lang', q, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86400 });
  }
  return requestLang(req);
}

function pageContext(
  views: Views,
  req: FastifyRequest,
  lang: Lang,
  ctx: RenderContext,
  csrfToken: string,
  cspNonce: string,
  staff: StaffBadge | null,
) {
  return {
    ...ctx,
    lang,
    t: translator(views.messages, lang),
    currentPath: req.url.split('?')[0],
    switchLangUrl: urlWithLang(req.url, lang === 'en' ? 'cy' : 'en'),
    csrfToken,
    cspNonce,
    staff,
  };
}

export function renderPage(
  views: Views,
  req: FastifyRequest,
  reply: FastifyReply,
  template: string,
  ctx: RenderContext = {},
): FastifyReply {
  const lang = rememberLang(req, reply);
  const html = views.env.render(
    template,
    pageContext(views, req, lang, ctx, req.csrfToken?.() ?? '', reply.cspNonce?.script ?? '', req.staff ?? null),
  );
  return reply.type('text/html; charset=utf-8').send(html);
}

/** Stand-ins for the per-request parts of a cached page. */
export const CSRF_SLOT = '\u0000csrf\u0000';
const NONCE_SLOT = '\u0000nonce\u0000';

/**
 * A public page served from `cache` (keyed by language and URL): rendered once with stand-ins
 * for the CSRF token and CSP nonce, which are filled in per request. `build` gives the
 * template context on a miss. Only for pages that show nothing about the signed-in user.
 */
export async function renderCachedPage(
  views: Views,
  req: FastifyRequest,
  reply: FastifyReply,
  cache: Cache<string>,
  template: string,
  build: (csrfSlot: string) => Promise<RenderContext>,
): Promise<FastifyReply> {
  const lang = rememberLang(req, reply);
  const html = await cache.wrap(`${lang}|${req.url}`, async () =>
    views.env.render(template, pageContext(views, req, lang, await build(CSRF_SLOT), CSRF_SLOT, NONCE_SLOT, null)),
  );
  const csrf = req.csrfToken();
  const nonce: string = (reply as any).cspNonce?.script ?? '';
  return reply.type('text/html; charset=utf-8').send(html.replaceAll(CSRF_SLOT, csrf).replaceAll(NONCE_SLOT, nonce));
}

/**
 * A page rendered once per distinct context and kept in `cache`: the key is a hash of the
 * template, language, URL, signed-in staff and the whole context, so identical inputs give the
 * stored output and any difference renders afresh (a memo of a pure function: nothing to
 * invalidate but the template files, which change only with a deploy). The CSRF token, CSP nonce
 * and each of `vary` (plain, HTML-safe strings such as times) are stand-ins filled in per request,
 * so they do not split the cache. For pages many people see alike (a question not yet answered).
 */
export function renderMemoPage(
  views: Views,
  req: FastifyRequest,
  reply: FastifyReply,
  cache: Cache<string>,
  template: string,
  ctx: RenderContext,
  vary: Record<string, string> = {},
): FastifyReply {
  const lang = rememberLang(req, reply);
  const staff = (req as any).staff ?? null;
  const slots = Object.fromEntries(Object.keys(vary).map((k) => [k, `\u0000vary:${k}\u0000`]));
  const full = { ...ctx, ...slots };
  const key = createHash('sha256')
    .update(JSON.stringify([template, lang, req.url, staff, full]))
    .digest('base64url');
  let html = cache.get(key);
  if (html === undefined) {
    html = views.env.render(template, pageContext(views, req, lang, full, CSRF_SLOT, NONCE_SLOT, staff));
    cache.set(key, html);
  }
  html = html.replaceAll(CSRF_SLOT, (req as any).csrfToken?.() ?? '').replaceAll(NONCE_SLOT, (reply as any).cspNonce?.script ?? '');
  for (const [k, v] of Object.entries(vary)) html = html.replaceAll(slots[k], v);
  return reply.type('text/html; charset=utf-8').send(html);
}
