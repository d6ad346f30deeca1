// Notify's template language: ((placeholder)), optional content ((name??text)), and lists.
// Names match case-insensitively, ignoring spaces, hyphens and underscores, as Notify does.
// Missing values are reported by name so the API can answer "Missing personalisation: …".

export type Channel = 'email' | 'sms' | 'letter';
export type Personalisation = Record<string, unknown>;

const PLACEHOLDER = /\(\(([^()]+?)\)\)/g;

export const keyOf = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '');

interface Parsed {
  raw: string;
  name: string;
  conditional: string | null;
}

function parse(inner: string): Parsed {
  const q = inner.indexOf('??');
  if (q === -1) return { raw: inner, name: inner.trim(), conditional: null };
  return { raw: inner, name: inner.slice(0, q).trim(), conditional: inner.slice(q + 2) };
}

/** The placeholder names in a piece of template text, first spelling of each, in order. */
export function placeholderNames(...texts: Array<string | null | undefined>): string[] {
  const seen = new Map<string, string>();
  for (const text of texts) {
    for (const m of (text ?? '').matchAll(PLACEHOLDER)) {
      const { name } = parse(m[1]);
      if (name && !seen.has(keyOf(name))) seen.set(keyOf(name), name);
    }
  }
  return [...seen.values()];
}

/** Values keyed by normalised name. A null value counts as missing, as in Notify. */
export function normalise(values: Personalisation | undefined | null): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(values ?? {})) if (v !== null && v !== undefined) out.set(keyOf(k), v);
  return out;
}

const TRUTHY = new Set(['yes', 'y', 'true', 't', '1', 'include', 'show']);
const truthy = (v: unknown) =>
  v === true || (typeof v === 'number' && v !== 0) || (typeof v === 'string' && TRUTHY.has(v.trim().toLowerCase()));

/** "a, b and c" for channels that cannot show a bulleted list. */
export function joinedList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function valueText(v: unknown, channel: Channel, inline = false): string {
  if (Array.isArray(v)) {
    const items = v.filter((x) => x !== null && x !== undefined && String(x).trim() !== '').map((x) => String(x).trim());
    if (channel === 'sms' || inline) return joinedList(items);
    return items.length ? `\n\n${items.map((i) => `* ${i}`).join('\n')}\n\n` : '';
  }
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

export interface Filled {
  text: string;
  missing: string[];
}

/**
 * Fill one template text. `inline` is for one-line texts (subjects, letter headings) where a list
 * is joined rather than bulleted.
 */
export function fill(text: string, values: Map<string, unknown>, channel: Channel, inline = false): Filled {
  const missing: string[] = [];
  const out = text.replace(PLACEHOLDER, (whole, inner: string) => {
    const p = parse(inner);
    if (!p.name) return whole;
    const key = keyOf(p.name);
    if (!values.has(key)) {
      if (!missing.includes(p.name)) missing.push(p.name);
      return whole;
    }
    const v = values.get(key);
    if (p.conditional !== null) return truthy(v) ? p.conditional : '';
    return valueText(v, channel, inline);
  });
  return { text: out, missing };
}

/** Fill subject and body together, reporting every missing name once. */
export function fillAll(
  parts: { subject?: string | null; body: string },
  values: Map<string, unknown>,
  channel: Channel,
): { subject: string | null; body: string; missing: string[] } {
  const subject = parts.subject == null ? null : fill(parts.subject, values, channel, true);
  const body = fill(parts.body, values, channel);
  const missing = [...(subject?.missing ?? [])];
  for (const m of body.missing) if (!missing.some((x) => keyOf(x) === keyOf(m))) missing.push(m);
  return { subject: subject ? subject.text.replace(/\s+/g, ' ').trim() : null, body: body.text, missing };
}

const URLISH = /\b(?:https?:\/\/|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|uk|gov|io|info|biz|co)\b\S*/gi;

/** What sanitise_content_for does to a value: no links, and no Markdown that could restyle the email. */
export function sanitiseValue(v: unknown): string {
  const text = Array.isArray(v) ? v.map(String).join(', ') : String(v ?? '');
  return text
    .replace(URLISH, '')
    .replace(/[[\]()*#^_`>]/g, '')
    .replace(/^\s*[-•]\s+/gm, '')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}
