// What a measurement is, and how the platforms' own outbox events become measurements with no
// work by service teams. Every value is checked here: an event with a bad payload is skipped,
// never allowed to fail the subscriber's batch (which would stop every later figure too).
import type { StoredEvent } from '../../kernel/events.js';

export interface Measurement {
  serviceId: string;
  at: Date;
  type: string;
  dim: string;
  key: string | null;
  value: number | null;
  props: Record<string, string | number> | null;
}

/** Figures about the platforms themselves (accounts, identity proved) belong to no service. */
export const PLATFORM_SERVICE_ID = '00000000-0000-0000-0000-000000000000';

/** The outbox events performance subscribes to. */
export const SUBSCRIBED = [
  'payments.*',
  'notify.notification.status',
  'identity.*',
  'catalogue.feedback.received',
  'forms.*',
  'exchange.request.completed',
  'experiments.exposure',
  'consent.*',
  'performance.recorded',
];

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const TYPE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
const MAX_TEXT = 200;
const SUSPECT = /[\u0000\ud800-\udfff]/;
const MAX_PROPS = 20;

/** Text PostgreSQL will take: no NUL, no lone surrogates, at most `max` characters. */
export function cleanText(v: unknown, max = MAX_TEXT): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  if (typeof v === 'number' || !SUSPECT.test(v)) return String(v).slice(0, max); // the usual case, one scan
  const s = v.replace(/\u0000/g, '').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return s.slice(0, max);
}

/** A finite number a double precision column holds, or null. */
export function cleanNumber(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

export function cleanProps(v: unknown): Record<string, string | number> | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const out: Record<string, string | number> = {};
  let count = 0;
  for (const [k, raw] of Object.entries(v)) {
    const key = cleanText(k, 64);
    if (!key || count >= MAX_PROPS) continue;
    const value = typeof raw === 'number' ? cleanNumber(raw) : cleanText(raw);
    if (value === null) continue;
    out[key] = value;
    count++;
  }
  return count ? out : null;
}

/** A measurement from loose input, or null when it cannot be one (no valid service id or type). */
export function measurement(input: {
  serviceId: unknown;
  type: unknown;
  at?: unknown;
  dim?: unknown;
  key?: unknown;
  value?: unknown;
  props?: unknown;
}): Measurement | null {
  if (typeof input.serviceId !== 'string' || !UUID.test(input.serviceId)) return null;
  if (typeof input.type !== 'string' || input.type.length > 100 || !TYPE.test(input.type)) return null;
  const at = input.at instanceof Date ? input.at : typeof input.at === 'string' ? new Date(input.at) : new Date();
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 2000 || at.getUTCFullYear() > 9999) return null;
  return {
    serviceId: input.serviceId.toLowerCase(),
    type: input.type,
    at,
    dim: cleanText(input.dim) ?? '',
    key: cleanText(input.key),
    value: cleanNumber(input.value),
    props: cleanProps(input.props),
  };
}

const DELIVERED = new Set(['delivered', 'sent', 'received', 'accepted']);

/** The measurements one outbox event gives (often one, sometimes none or several). */
export function fromEvent(e: StoredEvent): Measurement[] {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const at = new Date(e.created_at);
  const one = (m: Parameters<typeof measurement>[0]) => {
    const r = measurement({ at, ...m });
    return r ? [r] : [];
  };
  if (e.type === 'performance.recorded') return one({ ...p, serviceId: p.service_id, type: p.type, at: p.at ?? at });
  if (e.type.startsWith('payments.')) {
    if (p.live === false) return []; // test keys: a team trying things out, not the service's users
    return one({ serviceId: p.service_id, type: e.type, value: p.amount, key: p.key });
  }
  if (e.type === 'notify.notification.status') {
    const receipts = Array.isArray(p.receipts) ? p.receipts : [];
    return receipts.flatMap((r: any) =>
      one({
        serviceId: p.service_id,
        type: DELIVERED.has(r?.status) ? 'notify.delivered' : 'notify.failed',
        dim: r?.notification_type,
      }),
    );
  }
  if (e.type.startsWith('identity.')) {
    if (e.type !== 'identity.account.created' && e.type !== 'identity.account.identity_proved' && e.type !== 'identity.signed_in')
      return [];
    return one({ serviceId: p.service_id ?? PLATFORM_SERVICE_ID, type: e.type, dim: p.level });
  }
  if (e.type === 'catalogue.feedback.received') {
    return one({ serviceId: p.service_id, type: 'satisfaction', value: p.rating, dim: p.rating, key: p.key });
  }
  if (e.type === 'exchange.request.completed') {
    return one({ serviceId: p.consumer_service_id ?? p.service_id, type: e.type, dim: p.outcome, value: p.ms });
  }
  // forms.*, experiments.exposure, consent.* and whatever lands later in the same shape.
  return one({
    serviceId: p.service_id,
    type: e.type,
    key: p.key ?? p.targeting_key,
    value: p.value ?? p.ms ?? p.amount,
    dim: p.variant ?? p.outcome ?? p.channel,
  });
}
