// Notify's small Markdown: # headings, ## sub-headings, * bullets, 1. numbered lists,
// ^ inset text, --- rules, [links](https://…) and bare URLs; everything else is literal.
// One parser feeds the email HTML, the email plain text, the letter PDF and the console's previews.

export type Block =
  | { kind: 'heading' | 'subheading' | 'para' | 'inset'; lines: string[] }
  | { kind: 'bullets' | 'numbered'; items: string[] }
  | { kind: 'hr' };

const BULLET = /^\s*[*•-]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,3}[.)]\s+(.*)$/;
const RULE = /^\s*(?:-{3,}|\*{3,}|_{3,})\s*$/;

export function parseBlocks(markdown: string): Block[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let current: Block | null = null;
  const close = () => {
    if (current) blocks.push(current);
    current = null;
  };
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    if (!line.trim()) {
      close();
      continue;
    }
    if (RULE.test(line)) {
      close();
      blocks.push({ kind: 'hr' });
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^\s*##\s+(.*)$/.exec(line))) {
      close();
      blocks.push({ kind: 'subheading', lines: [m[1]] });
      continue;
    }
    if ((m = /^\s*#\s+(.*)$/.exec(line))) {
      close();
      blocks.push({ kind: 'heading', lines: [m[1]] });
      continue;
    }
    if ((m = /^\s*\^\s?(.*)$/.exec(line))) {
      if (current?.kind !== 'inset') {
        close();
        current = { kind: 'inset', lines: [] };
      }
      (current as { lines: string[] }).lines.push(m[1]);
      continue;
    }
    if ((m = BULLET.exec(line))) {
      if (current?.kind !== 'bullets') {
        close();
        current = { kind: 'bullets', items: [] };
      }
      (current as { items: string[] }).items.push(m[1]);
      continue;
    }
    if ((m = NUMBERED.exec(line))) {
      if (current?.kind !== 'numbered') {
        close();
        current = { kind: 'numbered', items: [] };
      }
      (current as { items: string[] }).items.push(m[1]);
      continue;
    }
    if (current && (current.kind === 'bullets' || current.kind === 'numbered') && /^\s{2,}\S/.test(raw)) {
      const items = current.items;
      items[items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    if (current?.kind === 'para' || current?.kind === 'inset') {
      current.lines.push(line.trim());
      continue;
    }
    close();
    current = { kind: 'para', lines: [line.trim()] };
  }
  close();
  return blocks;
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const LINK = /\[([^\]]+)\]\(((?:https?:\/\/|mailto:)[^\s)]+)\)|((?:https?:\/\/)[^\s<>"]+[^\s<>".,;:!?)\]])/g;

export interface Token {
  text: string;
  href?: string;
}

/** Inline text split into plain runs and links. */
export function inlineTokens(text: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(LINK)) {
    if (m.index! > last) out.push({ text: text.slice(last, m.index) });
    if (m[1]) out.push({ text: m[1], href: m[2] });
    else out.push({ text: m[3], href: m[3] });
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

const P = 'Margin: 0 0 20px 0; font-size: 19px; line-height: 25px; color: #0B0C0C;';
const LI = 'Margin: 5px 0 5px; padding: 0 0 0 5px; font-size: 19px; line-height: 25px; color: #0B0C0C;';

/** How each kind of block is written as HTML: what its tags open with, and how lines join. */
interface HtmlDialect {
  a: string;
  h2: string;
  h3: string;
  p: string;
  br: string;
  inset: (inner: string) => string;
  list: (kind: 'bullets' | 'numbered', items: string[]) => string;
  hr: string;
}

/** An email: inline styles, the only styling email programs keep. */
const EMAIL: HtmlDialect = {
  a: 'style="word-wrap: break-word; color: #1D70B8;"',
  h2: 'style="Margin: 0 0 15px 0; padding: 10px 0 0 0; font-size: 27px; line-height: 35px; font-weight: bold; color: #0B0C0C;"',
  h3: 'style="Margin: 0 0 15px 0; padding: 10px 0 0 0; font-size: 19px; line-height: 25px; font-weight: bold; color: #0B0C0C;"',
  p: `style="${P}"`,
  br: '<br />',
  inset: (inner) =>
    `<blockquote style="Margin: 0 0 20px 0; border-left: 10px solid #B1B4B6; padding: 15px 0 0.1px 15px; font-size: 19px; line-height: 25px;"><p style="${P}">${inner}</p></blockquote>`,
  list: (kind, items) => {
    const [tag, type] = kind === 'bullets' ? ['ul', 'disc'] : ['ol', 'decimal'];
    return `<table role="presentation" style="padding: 0 0 20px 0;"><tr><td style="font-family: Helvetica, Arial, sans-serif;"><${tag} style="Margin: 0 0 0 20px; padding: 0; list-style-type: ${type};">${items.map((i) => `<li style="${LI}">${i}</li>`).join('')}</${tag}></td></tr></table>`;
  },
  hr: '<hr style="border: 0; height: 1px; background: #B1B4B6; Margin: 30px 0 30px 0;">',
};

/** A GOV.UK page (the console's previews): classes, never inline styles, which the pages' content security policy refuses. */
const PAGE: HtmlDialect = {
  a: 'class="govuk-link cs-break"',
  h2: 'class="govuk-heading-m"',
  h3: 'class="govuk-heading-s"',
  p: 'class="govuk-body"',
  br: '<br>',
  inset: (inner) => `<div class="govuk-inset-text">${inner}</div>`,
  list: (kind, items) =>
    kind === 'bullets'
      ? `<ul class="govuk-list govuk-list--bullet">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`
      : `<ol class="govuk-list govuk-list--number">${items.map((i) => `<li>${i}</li>`).join('')}</ol>`,
  hr: '<hr class="govuk-section-break govuk-section-break--m govuk-section-break--visible">',
};

function html(markdown: string, d: HtmlDialect): string {
  const inline = (text: string) =>
    inlineTokens(text)
      .map((t) => (t.href ? `<a ${d.a} href="${escapeHtml(t.href)}">${escapeHtml(t.text)}</a>` : escapeHtml(t.text)))
      .join('');
  return parseBlocks(markdown)
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `<h2 ${d.h2}>${inline(b.lines.join(' '))}</h2>`;
        case 'subheading':
          return `<h3 ${d.h3}>${inline(b.lines.join(' '))}</h3>`;
        case 'para':
          return `<p ${d.p}>${b.lines.map(inline).join(d.br)}</p>`;
        case 'inset':
          return d.inset(b.lines.map(inline).join(d.br));
        case 'bullets':
        case 'numbered':
          return d.list(b.kind, b.items.map(inline));
        case 'hr':
          return d.hr;
      }
    })
    .join('\n');
}

/** The body of an email as HTML (the layout around it is in email.ts). */
export const bodyHtml = (markdown: string): string => html(markdown, EMAIL);

/** The body as a GOV.UK page shows it (the console's previews). */
export const bodyPageHtml = (markdown: string): string => html(markdown, PAGE);

function inlineText(text: string): string {
  return inlineTokens(text)
    .map((t) => (t.href && t.href !== t.text ? `${t.text}: ${t.href}` : t.text))
    .join('');
}

/** The plain-text alternative of an email. */
export function bodyText(markdown: string): string {
  return parseBlocks(markdown)
    .map((b) => {
      switch (b.kind) {
        case 'heading': {
          const h = inlineText(b.lines.join(' '));
          return `${h}\n${'-'.repeat(Math.min(h.length, 60) || 3)}`;
        }
        case 'subheading':
          return inlineText(b.lines.join(' '));
        case 'para':
        case 'inset':
          return b.lines.map(inlineText).join('\n');
        case 'bullets':
          return b.items.map((i) => `• ${inlineText(i)}`).join('\n');
        case 'numbered':
          return b.items.map((i, n) => `${n + 1}. ${inlineText(i)}`).join('\n');
        case 'hr':
          return '='.repeat(65);
      }
    })
    .join('\n\n');
}
