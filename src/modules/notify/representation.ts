// The JSON shapes of Notify's v2 API (field for field as GOV.UK Notify returns them), built from
// our rows, and the status vocabulary: letters show `accepted`/`received` where email and text
// messages show `created`/`sending`/`delivered`.
import { placeholderNames } from './content/placeholders.js';
import type { NotificationRow, TemplateRow } from './store.js';

/** Notify's timestamps: ISO 8601 in UTC with microseconds. */
export const notifyTime = (d: Date | string | null | undefined): string | null => {
  if (!d) return null;
  const date = d instanceof Date ? d : new Date(d);
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
};

export function externalStatus(type: string, status: string): string {
  if (type !== 'letter') return status;
  if (status === 'created' || status === 'sending') return 'accepted';
  if (status === 'delivered') return 'received';
  return status;
}

const FAILED = ['technical-failure', 'temporary-failure', 'permanent-failure', 'validation-failed', 'virus-scan-failed', 'returned-letter'];

/** The stored statuses a status filter stands for. */
export function internalStatuses(filter: string[]): string[] {
  const out = new Set<string>();
  for (const s of filter) {
    if (s === 'failed') FAILED.forEach((f) => out.add(f));
    else if (s === 'accepted') {
      out.add('created');
      out.add('sending');
    } else if (s === 'received') out.add('delivered');
    else out.add(s);
  }
  return [...out];
}

export function templateJson(t: TemplateRow, contactBlock: string | null) {
  return {
    id: t.id,
    name: t.name,
    type: t.type,
    created_at: notifyTime(t.created_at)!,
    updated_at: notifyTime(t.updated_at),
    created_by: t.created_by,
    version: t.version,
    body: t.body,
    subject: t.type === 'sms' ? null : t.subject,
    letter_contact_block: t.type === 'letter' ? (t.letter_contact_block ?? contactBlock) : null,
    postage: t.type === 'letter' ? (t.postage ?? 'second') : null,
    personalisation: Object.fromEntries(placeholderNames(t.subject, t.body).map((n) => [n, { required: true }])),
  };
}

export function notificationJson(n: NotificationRow, base: string) {
  const lines = n.address ?? [];
  const isLetter = n.type === 'letter';
  // The last address line is the postcode (or country); the others are line_1…line_6.
  const body = isLetter ? (n.precompiled ? lines : lines.slice(0, -1)) : [];
  const line = (i: number) => (isLetter ? (body[i] ?? null) : null);
  const smsRate = 0.0227;
  return {
    id: n.id,
    reference: n.reference,
    email_address: n.type === 'email' ? n.recipient : null,
    phone_number: n.type === 'sms' ? n.recipient : null,
    line_1: line(0),
    line_2: line(1),
    line_3: line(2),
    line_4: line(3),
    line_5: line(4),
    line_6: line(5),
    postcode: isLetter && !n.precompiled ? (lines[lines.length - 1] ?? null) : null,
    postage: isLetter ? n.postage : null,
    type: n.type,
    status: externalStatus(n.type, n.status),
    template: n.template_id
      ? {
          id: n.template_id,
          version: n.template_version ?? 1,
          uri: `${base}/v2/template/${n.template_id}/version/${n.template_version ?? 1}`,
        }
      : { id: '00000000-0000-0000-0000-000000000000', version: 1, uri: `${base}/v2/template/precompiled` },
    body: n.body,
    subject: n.type === 'sms' ? null : n.subject,
    created_at: notifyTime(n.created_at)!,
    created_by_name: n.created_by_name,
    sent_at: notifyTime(n.sent_at),
    completed_at: notifyTime(n.completed_at),
    scheduled_for: notifyTime(n.scheduled_for),
    one_click_unsubscribe_url: n.type === 'email' ? n.one_click_unsubscribe_url : null,
    is_cost_data_ready: n.type !== 'email',
    cost_in_pounds: n.type === 'email' ? 0 : n.type === 'sms' ? Math.round(n.billable_units * smsRate * 10_000) / 10_000 : 0,
    cost_details:
      n.type === 'sms'
        ? { billable_sms_fragments: n.billable_units, international_rate_multiplier: 1, sms_rate: smsRate }
        : n.type === 'letter'
          ? { billable_sheets_of_paper: n.billable_units, postage: n.postage }
          : {},
  };
}

export function receivedTextJson(r: {
  id: string;
  service_id: string;
  notify_number: string;
  user_number: string;
  content: string;
  created_at: Date;
}) {
  return {
    id: r.id,
    user_number: r.user_number,
    created_at: notifyTime(r.created_at)!,
    service_id: r.service_id,
    notify_number: r.notify_number,
    content: r.content,
  };
}

/** The delivery receipt POSTed to a service's callback URL. */
export function deliveryReceipt(n: NotificationRow) {
  return {
    id: n.id,
    reference: n.reference,
    to: n.type === 'letter' ? (n.address ?? []).join('\n') : n.recipient,
    status: externalStatus(n.type, n.status),
    created_at: notifyTime(n.created_at),
    completed_at: notifyTime(n.completed_at),
    sent_at: notifyTime(n.sent_at),
    notification_type: n.type,
    template_id: n.template_id,
    template_version: n.template_version,
  };
}
