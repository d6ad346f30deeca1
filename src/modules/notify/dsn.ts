// Reading the reports mail servers send back about an email: delivery status notifications
// (RFC 3464, multipart/report; report-type=delivery-status) and abuse complaints (ARF, RFC 5965,
// report-type=feedback-report). Only as much MIME as those need (RFC 2045/2046: headers,
// multipart, base64 and quoted-printable), so no mail-parsing dependency. Servers that send
// plain-text bounces instead of a DSN are read by their SMTP reply ("550 5.1.1 …").

export interface MimePart {
  headers: Map<string, string>;
  type: string;
  params: Record<string, string>;
  body: string;
}

/** One per-recipient group of a DSN, or a complaint, or what a plain-text bounce says. */
export interface Report {
  kind: 'dsn' | 'complaint' | 'text';
  /** DSN Action (failed, delayed, delivered, relayed, expanded) or the complaint's Feedback-Type. */
  action: string;
  /** Enhanced status code, e.g. 5.1.1; '' when none was given. */
  status: string;
  diagnostic: string | null;
  recipient: string | null;
}

const MAX_DEPTH = 5; // nested multiparts; real reports use two levels

/** Splits header fields from the body; names lower-cased, folded lines joined. */
function splitHeaders(text: string): { headers: Map<string, string>; body: string } {
  if (text.startsWith('\n')) return { headers: new Map(), body: text.slice(1) };
  const end = text.indexOf('\n\n');
  return end < 0 ? { headers: fields(text), body: '' } : { headers: fields(text.slice(0, end)), body: text.slice(end + 2) };
}

/** `Name: value` lines (with folded continuations) → a map; the first of a repeated name wins. */
function fields(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!out.has(name)) out.set(name, line.slice(i + 1).trim());
  }
  return out;
}

/** `type/subtype; a=b; c="d"` → the lower-cased type and its parameters. */
function contentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: 'text/plain', params: {} };
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  const re = /([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (let m; (m = re.exec(rest.join(';')));) params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  return { type: type.trim().toLowerCase(), params };
}

function decode(body: string, encoding: string | undefined, charset: string | undefined): string {
  const enc = (encoding ?? '').trim().toLowerCase();
  let bytes: Buffer;
  if (enc === 'base64') bytes = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (enc === 'quoted-printable') {
    bytes = Buffer.from(
      body.replace(/=[ \t]*\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
  } else return body;
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Every leaf part of a message, depth first; the contents of attached messages are not entered. */
export function mimeParts(raw: string): MimePart[] {
  const out: MimePart[] = [];
  const walk = (text: string, depth: number) => {
    const { headers, body } = splitHeaders(text);
    const { type, params } = contentType(headers.get('content-type'));
    if (type.startsWith('multipart/') && params.boundary && depth < MAX_DEPTH) {
      out.push({ headers, type, params, body: '' }); // kept for its report-type
      const delimiter = `--${params.boundary}`;
      let current: string[] | null = null;
      for (const line of body.split('\n')) {
        const trimmed = line.trimEnd();
        if (trimmed === delimiter || trimmed === `${delimiter}--`) {
          if (current) walk(current.join('\n'), depth + 1);
          if (trimmed.endsWith('--') && trimmed !== delimiter) return;
          current = [];
        } else current?.push(line);
      }
      if (current) walk(current.join('\n'), depth + 1); // no closing delimiter: keep what came
      return;
    }
    out.push({ headers, type, params, body: decode(body, headers.get('content-transfer-encoding'), params.charset) });
  };
  walk(raw.replace(/\r\n?/g, '\n'), 0);
  return out;
}

/** The field groups of a message/delivery-status or message/feedback-report body, separated by blank lines. */
function groups(body: string): Array<Map<string, string>> {
  return body
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((g) => fields(g.trim()))
    .filter((g) => g.size > 0);
}

/** `rfc822; someone@example.com` → `someone@example.com`. */
const address = (v: string | undefined) =>
  v
    ? v
        .replace(/^[^;]*;\s*/, '')
        .replace(/^<|>$/g, '')
        .trim() || null
    : null;

/** Enhanced status code (class.subject.detail) at the start of a Status field or inside a diagnostic. */
const ENHANCED = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/**
 * What a message sent back to a bounce address reports: the DSN's per-recipient groups, or a
 * complaint, or — only when there is no delivery-status part — the first SMTP reply with an
 * enhanced status code in its text. Empty when it reports nothing we can read (an auto-reply).
 */
export function readReports(raw: string): Report[] {
  const parts = mimeParts(raw);
  const dsn = parts.find((p) => p.type === 'message/delivery-status' || p.type === 'message/global-delivery-status');
  if (dsn) {
    // The first group is about the message (Reporting-MTA…); each recipient's has an Action.
    return groups(dsn.body)
      .filter((g) => g.has('action'))
      .map((g) => {
        const diagnostic = g.get('diagnostic-code') ?? null;
        const status = ENHANCED.exec(g.get('status') ?? '')?.[0] ?? ENHANCED.exec(diagnostic ?? '')?.[0] ?? '';
        return {
          kind: 'dsn' as const,
          action: g.get('action')!.toLowerCase().split(/\s/)[0],
          status,
          diagnostic,
          recipient: address(g.get('final-recipient') ?? g.get('original-recipient')),
        };
      });
  }
  const arf = parts.find((p) => p.type === 'message/feedback-report');
  if (arf) {
    const f = new Map(groups(arf.body).flatMap((g) => [...g]));
    return [
      {
        kind: 'complaint',
        action: (f.get('feedback-type') ?? 'abuse').toLowerCase(),
        status: '',
        diagnostic: null,
        recipient: address(f.get('original-rcpt-to')),
      },
    ];
  }
  // A plain-text bounce: an SMTP reply code followed by an enhanced code of the same class, as
  // relays quote the remote server ("550 5.1.1 <x@example.com>: Recipient address rejected").
  // A warning that the relay is still trying is a delay, not a failure.
  const subject = parts[0]?.headers.get('subject') ?? '';
  for (const p of parts) {
    if (!p.type.startsWith('text/') || p.type === 'text/rfc822-headers') continue;
    const m = /(?:^|[\s(:])([45])\d\d[ -]#?([45]\.\d{1,3}\.\d{1,3})\b[^\n]*/m.exec(p.body);
    if (!m || m[1] !== m[2][0]) continue;
    const delayed =
      m[1] === '4' &&
      /\b(delayed|delay\b|not yet been delivered|will (keep|continue)( to)? (try|retry)|still trying)/i.test(`${subject}\n${p.body}`);
    return [{ kind: 'text', action: delayed ? 'delayed' : 'failed', status: m[2], diagnostic: m[0].trim().slice(0, 500), recipient: null }];
  }
  return [];
}

export type BounceStatus = 'permanent-failure' | 'temporary-failure';

/**
 * The notification status one report calls for, as GOV.UK Notify maps bounces: failed with a
 * 5.x.x (or no code) → permanent-failure, failed with a 4.x.x → temporary-failure. Delays,
 * successes and complaints change nothing.
 */
export function statusFor(r: Report): BounceStatus | null {
  if (r.kind === 'complaint' || r.action !== 'failed') return null;
  return r.status.startsWith('4') ? 'temporary-failure' : 'permanent-failure';
}

/** The one report that decides a message's fate when several recipients' groups are given: the most final. */
export function decisive(reports: Report[]): Report | null {
  const rank = (r: Report) => {
    const s = statusFor(r);
    return s === 'permanent-failure' ? 3 : s === 'temporary-failure' ? 2 : r.action === 'delayed' ? 1 : 0;
  };
  return reports.reduce<Report | null>((best, r) => (best === null || rank(r) > rank(best) ? r : best), null);
}
