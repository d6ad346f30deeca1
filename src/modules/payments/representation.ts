// Rows → GOV.UK Pay's JSON: payments (with `_links` that say what can be done next), search
// results, events, refunds, agreements and disputes. Optional fields are left out rather than
// sent as null, so every body validates against publicapi_spec.json.
import { hmac, safeEqual } from '../../kernel/crypto.js';
import { STATE_CODES, type StateCode } from './errors.js';
import type { PaymentEventRow, PaymentRow, RefundRow, Status } from './store.js';
import type { AgreementRow } from './store-agreements.js';
import type { DisputeRow } from './store-disputes.js';
import type { PaymentJson } from './schema.js';

export const FINISHED: Status[] = ['success', 'failed', 'cancelled', 'error'];
export const CANCELLABLE: Status[] = ['created', 'started', 'submitted', 'capturable'];
const RESUMABLE: Status[] = ['created', 'started', 'submitted'];

export interface Urls {
  api: string;
  pages: string;
}
export const urls = (publicUrl: string): Urls => ({ api: `${publicUrl}/pay`, pages: `${publicUrl}/pay` });

const iso = (d: Date | string) => new Date(d).toISOString();
const get = (href: string) => ({ href, method: 'GET' });
const post = (href: string) => ({ href, method: 'POST' });

/** next_url tokens: single use (the generation moves on when one is used), unforgeable. */
export function nextUrlToken(secret: string, p: Pick<PaymentRow, 'payment_id' | 'token_gen'>): string {
  return `${p.payment_id}.${p.token_gen}.${hmac(secret, `pay-next:${p.payment_id}:${p.token_gen}`).slice(0, 32)}`;
}
export function readNextUrlToken(secret: string, token: string): { paymentId: string; gen: number } | null {
  const m = /^([0-9a-v]{26})\.(\d{1,9})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!m) return null;
  const expected = hmac(secret, `pay-next:${m[1]}:${m[2]}`).slice(0, 32);
  return safeEqual(expected, m[3]) ? { paymentId: m[1], gen: Number(m[2]) } : null;
}
/** moto_api one-time tokens, derived so the create and get responses can both show it. */
export const oneTimeToken = (secret: string, paymentId: string) => hmac(secret, `pay-moto:${paymentId}`);

export function state(p: Pick<PaymentRow, 'status' | 'code' | 'can_retry'>) {
  const finished = FINISHED.includes(p.status);
  return {
    status: p.status,
    finished,
    ...(p.code ? { code: p.code, message: STATE_CODES[p.code as StateCode] ?? '' } : {}),
    ...(p.can_retry !== null && p.can_retry !== undefined && p.status === 'failed' ? { can_retry: p.can_retry } : {}),
  };
}

export function refundAvailability(p: Pick<PaymentRow, 'status' | 'amount' | 'refunded'>): { status: string; available: number } {
  if (p.status === 'success') {
    const available = Math.max(0, p.amount - p.refunded);
    return { status: available > 0 ? 'available' : 'full', available };
  }
  if (p.status === 'failed' || p.status === 'cancelled' || p.status === 'error') return { status: 'unavailable', available: 0 };
  return { status: 'pending', available: p.amount };
}

function cardDetails(p: PaymentRow) {
  const c = p.card;
  if (!c) return undefined;
  const address = c.billing_address
    ? {
        line1: c.billing_address.line1,
        ...(c.billing_address.line2 ? { line2: c.billing_address.line2 } : {}),
        postcode: c.billing_address.postcode,
        city: c.billing_address.city,
        country: c.billing_address.country,
      }
    : undefined;
  return {
    last_digits_card_number: c.last4,
    first_digits_card_number: c.first6,
    cardholder_name: c.cardholder_name,
    expiry_date: c.expiry,
    ...(address ? { billing_address: address } : {}),
    card_brand: c.brand,
    ...(c.type ? { card_type: c.type } : {}),
  };
}

function common(p: PaymentRow) {
  const refund = refundAvailability(p);
  const card = cardDetails(p);
  return {
    amount: p.amount,
    description: p.description,
    reference: p.reference,
    language: p.language,
    ...(p.email ? { email: p.email } : {}),
    state: state(p),
    payment_id: p.payment_id,
    payment_provider: p.gateway,
    created_date: iso(p.created_at),
    refund_summary: { status: refund.status, amount_available: refund.available, amount_submitted: p.refunded },
    settlement_summary: {
      ...(p.capture_submit_time ? { capture_submit_time: iso(p.capture_submit_time) } : {}),
      ...(p.captured_date ? { captured_date: String(p.captured_date).slice(0, 10) } : {}),
    },
    ...(card ? { card_details: card, card_brand: card.card_brand } : {}),
    delayed_capture: p.delayed_capture,
    moto: p.moto,
    ...(p.return_url ? { return_url: p.return_url } : {}),
    authorisation_mode: p.authorisation_mode,
    ...(p.agreement_id ? { agreement_id: p.agreement_id } : {}),
    ...(p.agreement_payment_type ? { agreement_payment_type: p.agreement_payment_type } : {}),
    ...(p.metadata ? { metadata: p.metadata } : {}),
    ...(p.provider_id ? { provider_id: p.provider_id } : {}),
    ...(p.three_ds_required !== null ? { authorisation_summary: { three_d_secure: { required: p.three_ds_required } } } : {}),
  };
}

function actionLinks(base: string, p: PaymentRow) {
  const self = `${base}/v1/payments/${p.payment_id}`;
  return {
    self: get(self),
    events: get(`${self}/events`),
    refunds: get(`${self}/refunds`),
    ...(CANCELLABLE.includes(p.status) ? { cancel: post(`${self}/cancel`) } : {}),
    ...(p.status === 'capturable' ? { capture: post(`${self}/capture`) } : {}),
  };
}

/** GET /v1/payments/{id} and the create response. */
export function paymentJson(u: Urls, secret: string, p: PaymentRow) {
  const links: PaymentJson['_links'] = actionLinks(u.api, p);
  if (p.authorisation_mode === 'web' && RESUMABLE.includes(p.status)) {
    const token = nextUrlToken(secret, p);
    links.next_url = get(`${u.pages}/secure/${token}`);
    links.next_url_post = {
      type: 'application/x-www-form-urlencoded',
      params: { chargeTokenId: token },
      href: `${u.pages}/secure`,
      method: 'POST',
    };
  }
  if (p.authorisation_mode === 'moto_api' && p.status === 'created' && !p.one_time_token_used) {
    links.auth_url_post = {
      type: 'application/json',
      params: { one_time_token: oneTimeToken(secret, p.payment_id) },
      href: `${u.api}/v1/auth`,
      method: 'POST',
    };
  }
  return { ...common(p), _links: links };
}

/** One result of GET /v1/payments (no next_url: search results are not for paying users). */
export function paymentSearchJson(u: Urls, p: PaymentRow) {
  return { ...common(p), _links: actionLinks(u.api, p) };
}

export function eventsJson(u: Urls, paymentId: string, events: PaymentEventRow[]) {
  const self = `${u.api}/v1/payments/${paymentId}`;
  // One entry per state the payment was in (other timeline rows, like a refund, are not state changes).
  const changes = events.filter((e, i) => i === 0 || e.status !== events[i - 1].status);
  return {
    payment_id: paymentId,
    events: changes.map((e) => ({
      payment_id: paymentId,
      state: state({ status: e.status, code: e.code, can_retry: null }),
      updated: iso(e.at),
      _links: { payment_url: get(self) },
    })),
    _links: { self: get(`${self}/events`) },
  };
}

export function refundJson(u: Urls, r: RefundRow) {
  return {
    refund_id: r.refund_id,
    created_date: iso(r.created_at),
    amount: r.amount,
    status: r.status,
    settlement_summary: r.settled_date ? { settled_date: String(r.settled_date).slice(0, 10) } : {},
    payment_id: r.payment_id,
    _links: {
      self: get(`${u.api}/v1/payments/${r.payment_id}/refunds/${r.refund_id}`),
      payment: get(`${u.api}/v1/payments/${r.payment_id}`),
    },
  };
}

export function refundsForPaymentJson(u: Urls, paymentId: string, refunds: RefundRow[]) {
  return {
    payment_id: paymentId,
    _links: { self: get(`${u.api}/v1/payments/${paymentId}/refunds`), payment: get(`${u.api}/v1/payments/${paymentId}`) },
    _embedded: { refunds: refunds.map((r) => refundJson(u, r)) },
  };
}

export function agreementJson(a: AgreementRow) {
  return {
    agreement_id: a.agreement_id,
    reference: a.reference,
    description: a.description,
    status: a.status,
    created_date: iso(a.created_at),
    ...(a.user_identifier ? { user_identifier: a.user_identifier } : {}),
    ...(a.instrument ? { payment_instrument: a.instrument } : {}),
    ...(a.cancelled_at ? { cancelled_date: iso(a.cancelled_at) } : {}),
  };
}

export function disputeJson(u: Urls, d: DisputeRow) {
  return {
    amount: d.amount,
    created_date: iso(d.created_at),
    dispute_id: d.dispute_id,
    ...(d.evidence_due_date ? { evidence_due_date: iso(d.evidence_due_date) } : {}),
    ...(d.fee !== null ? { fee: d.fee } : {}),
    ...(d.net_amount !== null ? { net_amount: d.net_amount } : {}),
    payment_id: d.payment_id,
    reason: d.reason,
    ...(d.settled_date ? { settlement_summary: { settled_date: String(d.settled_date).slice(0, 10) } } : {}),
    status: d.status,
    _links: { payment: get(`${u.api}/v1/payments/${d.payment_id}`) },
  };
}

/** The `_links` of a search page: self, first, last, previous and next, as GOV.UK Pay gives them. */
export function pageLinks(href: string, query: Record<string, string>, page: number, size: number, total: number) {
  const last = Math.max(1, Math.ceil(total / size));
  const at = (n: number) => {
    const q = new URLSearchParams({ ...query, page: String(n), display_size: String(size) });
    return { href: `${href}?${q.toString()}` };
  };
  return {
    self: at(page),
    first_page: at(1),
    last_page: at(last),
    ...(page > 1 ? { prev_page: at(Math.min(page - 1, last)) } : {}),
    ...(page < last ? { next_page: at(page + 1) } : {}),
  };
}
