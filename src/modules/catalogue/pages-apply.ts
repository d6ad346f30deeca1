// Where "Start now" goes, and the page it goes to until a service has a form of its own.
// A service's start link is, in order: what the forms module says (`setStartLink`, for a
// service with a live form), the service's own start_url, or our "How to apply" page made from
// the service's how-to-apply text (in Welsh on Welsh pages when there is Welsh). A service
// with none of these has no "Start now" at all — never a link to nowhere.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { NotFound } from '../../kernel/errors.js';
import { renderPage, requestLang, type Lang } from '../../kernel/views.js';
import type { CatalogueService } from './service.js';
import type { Service } from './schema.js';

/** Set by the forms module: a service's live form, or null when it has none. */
export type StartLinkResolver = (service: Service) => Promise<string | null>;

/** Only web and site-relative addresses become links (never javascript: and the like). */
export const safeHref = (url: string | null | undefined) => (url && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null);

export const applyPath = (slug: string) => `/services/${encodeURIComponent(slug)}/apply`;

export function createStartLinks(log: FastifyBaseLogger | Kernel['log']) {
  let resolver: StartLinkResolver | null = null;
  return {
    set(r: StartLinkResolver) {
      resolver = r;
    },
    /** The address "Start now" leads to for this service, or null when there is nowhere to go. */
    async of(s: Service): Promise<string | null> {
      if (resolver) {
        try {
          const link = safeHref(await resolver(s));
          if (link) return link;
        } catch (err) {
          log.error({ err, service: s.slug }, 'start link resolver failed');
        }
      }
      return safeHref(s.start_url) ?? (hasHowToApply(s) ? applyPath(s.slug) : null);
    },
  };
}
export type StartLinks = ReturnType<typeof createStartLinks>;

const hasHowToApply = (s: Pick<Service, 'how_to_apply' | 'how_to_apply_cy'>) => Boolean(s.how_to_apply.trim() || s.how_to_apply_cy?.trim());

export type TextBlock = { kind: 'p'; text: string } | { kind: 'ul'; items: string[] };

/** Plain text as written in the console: blank lines separate paragraphs; lines starting "* " or "- " make a list. */
export function textBlocks(text: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  for (const chunk of text.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    const lines = chunk
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    let para: string[] = [];
    let list: string[] | null = null;
    for (const line of lines) {
      const item = /^[*•-]\s+(.*)$/.exec(line);
      if (item) {
        if (para.length) blocks.push({ kind: 'p', text: para.join(' ') });
        para = [];
        if (!list) blocks.push({ kind: 'ul', items: (list = []) });
        list.push(item[1]);
      } else {
        list = null;
        para.push(line);
      }
    }
    if (para.length) blocks.push({ kind: 'p', text: para.join(' ') });
  }
  return blocks;
}

/** The Welsh when the page is in Welsh and there is one; `en` marks English shown on a Welsh page. */
export function localised(lang: Lang, en: string, cy: string | null | undefined): { text: string; en: boolean } {
  return lang === 'cy' && cy ? { text: cy, en: false } : { text: en, en: lang === 'cy' };
}

export function applyPages(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, startLinks: StartLinks) {
  app.get('/services/:slug/apply', async (req, reply) => {
    const lang = requestLang(req);
    const s = await catalogue.getService((req.params as { slug: string }).slug);
    if (!hasHowToApply(s)) throw new NotFound();
    const how = localised(lang, s.how_to_apply.trim() ? s.how_to_apply : (s.how_to_apply_cy ?? ''), s.how_to_apply_cy);
    const teams = s.team ? await catalogue.listTeams(s.organisation.id) : [];
    const team = teams.find((tm) => tm.id === s.team?.id);
    // A form of the service's own, if it has one now, is offered here too.
    const start = await startLinks.of(s);
    return renderPage(k.views, req, reply, 'catalogue/views/apply.njk', {
      slug: s.slug,
      name: localised(lang, s.name, s.name_cy),
      howToApply: { blocks: textBlocks(how.text), en: how.en },
      teamEmail: team?.email ?? null,
      formUrl: start && start !== applyPath(s.slug) ? start : null,
    });
  });
}
