// What the payments use cases share: the database, outbox, gateways, and `move` — the one
// way a payment changes state: a conditional update, its timeline row and its outbox event
// in one transaction, so a webhook can never be lost or sent for a change that rolled back.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db, Queryable } from '../../kernel/db.js';
import type { Events } from '../../kernel/events.js';
import type { Audit } from '../../kernel/audit.js';
import type { Gateway } from './gateways/contract.js';
import { store, type PaymentRow, type Status } from './store.js';
import { urls, type Urls } from './representation.js';

/** The events a payment emits (kernel outbox type `payments.<name>`); the first six are webhook event types. */
export const PAYMENT_EVENTS = [
  'card_payment_started',
  'card_payment_succeeded',
  'card_payment_captured',
  'card_payment_refunded',
  'card_payment_failed',
  'card_payment_expired',
  'card_payment_cancelled',
] as const;
export type PaymentEvent = (typeof PAYMENT_EVENTS)[number];
export const WEBHOOK_EVENT_TYPES = PAYMENT_EVENTS.slice(0, 6);

export interface Scope {
  serviceId: string;
  live: boolean;
  keyId?: string | null;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
// Random bytes are drawn from the CSPRNG 4 KB at a time: one call per 157 ids rather than one each.
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;
/** 26 lower-case characters (130 random bits), the shape of GOV.UK Pay's ids. */
export function externalId(): string {
  if (poolAt + 26 > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  let s = '';
  for (let i = poolAt, end = poolAt + 26; i < end; i++) s += ALPHABET[pool[i] & 31];
  poolAt += 26;
  return s;
}

export function createContext(deps: {
  config: Config;
  db: Db;
  events: Events;
  audit: Audit;
  log: Logger;
  gateways: Record<string, Gateway>;
}) {
  const { config, db, events, log, gateways } = deps;
  const u: Urls = urls(config.publicUrl);

  function gatewayFor(p: Pick<PaymentRow, 'gateway'>): Gateway {
    const g = gateways[p.gateway];
    if (!g) throw new Error(`No payment gateway "${p.gateway}" is configured`);
    return g;
  }

  /** The gateway new payments use: the sandbox for test keys, the configured acquirer for live ones. */
  function gatewayName(live: boolean): string {
    const name = live ? config.pay.liveGateway : 'sandbox';
    if (!gateways[name]) throw new Error(`No payment gateway "${name}" is configured`);
    return name;
  }

  async function emit(
    tx: Queryable,
    p: Pick<PaymentRow, 'payment_id' | 'service_id' | 'live' | 'amount'>,
    type: PaymentEvent,
    extra: Record<string, unknown> = {},
  ) {
    await events.append(tx, {
      stream: `payments.payment:${p.payment_id}`,
      type: `payments.${type}`,
      // amount: for performance figures (a refund's own amount replaces it through `extra`)
      payload: { payment_id: p.payment_id, service_id: p.service_id, live: p.live, amount: p.amount, ...extra },
    });
  }

  /** Conditional state change + timeline + event, in the caller's transaction. Null if the payment was not in `from`. */
  async function moveIn(
    tx: Queryable,
    paymentId: string,
    from: Status[],
    set: Partial<PaymentRow>,
    event?: PaymentEvent,
    detail?: string,
  ): Promise<PaymentRow | null> {
    const p = await store.transition(tx, paymentId, from, set, detail ?? null);
    if (p && event) await emit(tx, p, event);
    return p;
  }

  /** The same in its own transaction. */
  const move = (paymentId: string, from: Status[], set: Partial<PaymentRow>, event?: PaymentEvent, detail?: string) =>
    db.transaction((tx) => moveIn(tx, paymentId, from, set, event, detail));

  /** Void an authorisation that will not be captured; a failure is logged, the payment's state stands. */
  async function voidAuthorisation(p: PaymentRow): Promise<void> {
    if (!p.provider_id) return;
    try {
      const r = await gatewayFor(p).cancel({ paymentId: p.payment_id, providerId: p.provider_id });
      if (!r.ok) log.warn({ paymentId: p.payment_id, message: r.message }, 'gateway did not void the authorisation');
    } catch (err) {
      log.error({ err, paymentId: p.payment_id }, 'voiding the authorisation failed');
    }
  }

  return { ...deps, urls: u, secret: config.encryptionKey, gatewayFor, gatewayName, emit, moveIn, move, voidAuthorisation };
}
export type Ctx = ReturnType<typeof createContext>;
