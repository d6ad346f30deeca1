// A crawler over app.inject for the tests that walk the site: from some start pages it
// follows every same-site link (GET only, as a browser without JavaScript would), keeps the
// cookie jar of a formBrowser, and returns each page with its status, its HTML and the page
// that linked to it. Links off the site are collected, not followed.
import { parse, type HTMLElement } from 'node-html-parser';
import type { formBrowser } from './helpers.js';

export interface CrawledPage {
  url: string;
  status: number;
  type: string;
  html: string;
  from: string | null;
}

type Browser = ReturnType<typeof formBrowser>;

const ORIGIN = 'http://localhost:3000';

/** Same-site path (with query, without fragment) of an href on `base`, or null for other sites and non-web schemes. */
export function sitePath(href: string, base: string): string | null {
  if (!href || href.startsWith('#') || /^(mailto|tel|javascript|data):/i.test(href)) return null;
  let u: URL;
  try {
    u = new URL(href, new URL(base, ORIGIN));
  } catch {
    return null;
  }
  if (u.origin !== ORIGIN) return null;
  return u.pathname + u.search;
}

export function linksOf(html: string): string[] {
  return parse(html)
    .querySelectorAll('a[href]')
    .map((a: HTMLElement) => a.getAttribute('href') ?? '');
}

export async function crawl(
  b: Browser,
  starts: string[],
  opts: { follow?: (path: string) => boolean; max?: number } = {},
): Promise<{ pages: CrawledPage[]; external: Array<{ href: string; from: string }> }> {
  const follow = opts.follow ?? (() => true);
  const max = opts.max ?? 2000;
  const seen = new Set<string>();
  const queue: Array<{ url: string; from: string | null }> = starts.map((url) => ({ url, from: null }));
  const pages: CrawledPage[] = [];
  const external: Array<{ href: string; from: string }> = [];
  while (queue.length && pages.length < max) {
    const { url, from } = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const res = await b.get(url);
    const type = String(res.headers['content-type'] ?? '');
    // A redirect is followed like a link from the page that led to it.
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      const next = sitePath(String(res.headers.location), url);
      pages.push({ url, status: res.statusCode, type, html: '', from });
      if (next && follow(next)) queue.push({ url: next, from: url });
      continue;
    }
    pages.push({ url, status: res.statusCode, type, html: type.includes('html') ? res.body : '', from });
    if (!type.includes('html')) continue;
    for (const href of linksOf(res.body)) {
      const path = sitePath(href, url);
      if (path === null) {
        if (/^https?:/i.test(href)) external.push({ href, from: url });
        continue;
      }
      if (!seen.has(path) && follow(path)) queue.push({ url: path, from: url });
    }
  }
  return { pages, external };
}
