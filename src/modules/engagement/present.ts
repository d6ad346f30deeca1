// Rows → what pages and the API show: Welsh with English fallback (marked lang="en"), the
// consultation's status, comments as a thread (hidden ones keep their place and show why),
// and the JSON API's open-data shape.
import type { Lang } from '../../kernel/views.js';
import type { CommentRow, ConsultationRow, OptionRow } from './store.js';
import { statusOf } from './service.js';

export function localised(lang: Lang, en: string, cy: string | null | undefined): { text: string; en: boolean } {
  return lang === 'cy' && cy ? { text: cy, en: false } : { text: en, en: lang === 'cy' };
}

export const consultationPath = (c: { id: string }) => `/consultations/${c.id}`;

export interface ThreadItem {
  id: string;
  pid: number;
  body: string | null;
  hidden: boolean;
  hiddenReason: string | null;
  redacted: boolean;
  createdAt: Date;
  replies: ThreadItem[];
}

/** Top-level comments in order, each with its replies (one level: a reply to a reply joins its thread). */
export function thread(rows: CommentRow[]): ThreadItem[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const item = (r: CommentRow): ThreadItem => ({
    id: r.id,
    pid: r.pid,
    body: r.status === 'hidden' ? null : r.body,
    hidden: r.status === 'hidden',
    hiddenReason: r.hidden_reason,
    redacted: r.redacted,
    createdAt: r.created_at,
    replies: [],
  });
  const top: ThreadItem[] = [];
  const items = new Map<string, ThreadItem>();
  for (const r of rows) {
    let root = r;
    // Follow parents to the thread's first comment (bounded: a cycle can never hang a page).
    for (let hops = 0; root.parent_id && byId.has(root.parent_id) && root.parent_id !== root.id && hops < 100; hops++)
      root = byId.get(root.parent_id)!;
    const it = item(r);
    items.set(r.id, it);
    if (root.id === r.id) top.push(it);
    else items.get(root.id)?.replies.push(it);
  }
  return top;
}

export function optionView(lang: Lang, o: OptionRow) {
  return { id: o.id, label: localised(lang, o.label, o.label_cy), support: o.support, oppose: o.oppose };
}

export function consultationCard(lang: Lang, c: ConsultationRow) {
  return {
    id: c.id,
    href: consultationPath(c),
    mode: c.mode,
    title: localised(lang, c.title, c.title_cy),
    question: localised(lang, c.question, c.question_cy),
    status: statusOf(c),
    opens_on: c.opens_on,
    closes_on: c.closes_on,
    responded: Boolean(c.response),
    response: c.response ? localised(lang, c.response, c.response_cy) : null,
    decision: c.response_decision,
    whyNot: c.response_why_not,
  };
}

/** The API's open-data shape (no personal data: participants are numbers). */
export function consultationJson(c: ConsultationRow, serviceSlug: string, publicUrl: string, participants: number) {
  return {
    id: c.id,
    service_slug: serviceSlug,
    mode: c.mode,
    subject: c.subject,
    roadmap_item_id: c.roadmap_item_id,
    proposal: c.proposal,
    title: c.title,
    title_cy: c.title_cy,
    question: c.question,
    question_cy: c.question_cy,
    background: c.background,
    background_cy: c.background_cy,
    eligibility: c.eligibility,
    area_name: c.area_name,
    allow_anonymous: c.allow_anonymous,
    opens_on: c.opens_on,
    closes_on: c.closes_on,
    status: statusOf(c),
    url: `${publicUrl}${consultationPath(c)}`,
    participants,
    promised_kpis: c.promised_kpis,
    response: c.response
      ? {
          text: c.response,
          text_cy: c.response_cy,
          decision: c.response_decision && c.response_decision_id ? { id: c.response_decision_id, ...c.response_decision } : null,
          why_not: c.response_why_not,
          responded_at: (c.responded_at ?? new Date()).toISOString(),
        }
      : null,
  };
}

export function commentJson(r: CommentRow) {
  return {
    id: r.id,
    parent_id: r.parent_id,
    participant: r.pid,
    body: r.status === 'hidden' ? null : r.body,
    status: r.status,
    hidden_reason: r.hidden_reason,
    redacted: r.redacted,
    created_at: new Date(r.created_at).toISOString(),
  };
}
