// Payment use cases: create (with Idempotency-Key), read, search, events, cancel, delayed
// capture, telephone (moto_api) authorisation and expiry. Rules only: no HTTP, no SQL (store.ts).
// The state machine: created → started → submitted → success | capturable → success, with
// failed (P0010 rejected, P0020 expired, P0030 cancelled by the user), cancelled (P0040, by the
// service) and error (P0050, the gateway failed) as the unhappy ends.
import { createHash } from 'node:crypto';
import { sha256 } from '../../kernel/crypto.js';
import type { Queryable } from '../../kernel/db.js';
import { notFound, PayError } from './errors.js';
import { store, UNFINISHED, type PaymentFilters, type PaymentRow, type StoredCard } from './store.js';
import { agreementStore, type StoredInstrument } from './store-agreements.js';
import { disputeStore } from './store-disputes.js';
import { externalId, type Ctx, type Scope } from './context.js';
import { oneTimeToken } from './representation.js';
import { ACCEPTED_BRANDS, brandOf, expiryInPast, luhnValid } from './cards.js';
import type { CreatePaymentInput, MotoAuthInput } from './validation.js';
import type { AuthoriseResult } from './gateways/contract.js';

export class IdempotencyConflict extends PayError {
  constructor() {
    super(409, 'P0191', 'The Idempotency-Key you sent in the request header has already been used to create a payment.', {
      header: 'Idempotency-Key',
    });
  }
}

/** A stable hash of a request body (key order does not matter). */
export function requestHash(body: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canon((v as any)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canon(body)))
    .digest('hex');
}

export function createPaymentService(ctx: Ctx) {
  const { db, config } = ctx;
  const expiryMs = () => config.pay.expiryMinutes * 60_000;
  const isStale = (p: PaymentRow) => UNFINISHED.includes(p.status) && Date.now() - new Date(p.created_at).getTime() > expiryMs();

  /** Ends an abandoned payment (P0020) and voids any authorisation; returns the current row. */
  async function expire(p: PaymentRow): Promise<PaymentRow> {
    const done = await ctx.move(p.payment_id, UNFINISHED, { status: 'failed', code: 'P0020', auth_step: null }, 'card_payment_expired');
    if (!done) return (await store.payment(db, p.payment_id))!;
    if (p.status === 'submitted') await ctx.voidAuthorisation(done);
    return done;
  }

  async function current(p: PaymentRow | null): Promise<PaymentRow | null> {
    return p && isStale(p) ? expire(p) : p;
  }

  /**
   * Take the money of an authorised payment that has just moved to `success`: the gateway
   * capture, then `captured` on the timeline and its event. A failed capture leaves the
   * payment in success (the acquirer is asked again by an operator) and is logged loudly.
   */
  async function settle(p: PaymentRow): Promise<PaymentRow> {
    const gateway = ctx.gatewayFor(p);
    const r = await gateway.capture({ paymentId: p.payment_id, providerId: p.provider_id ?? '', amount: p.amount });
    if (!r.ok) {
      ctx.log.error({ paymentId: p.payment_id, message: r.message }, 'capture failed');
      await store.addTimeline(db, p.payment_id, p.status, 'capture failed');
      return p;
    }
    return db.transaction(async (tx) => {
      const done = await ctx.moveIn(
        tx,
        p.payment_id,
        ['success'],
        { captured_date: new Date().toISOString().slice(0, 10) },
        'card_payment_captured',
        'captured',
      );
      const dispute = p.card && gateway.disputeFor?.(p.card);
      if (done && dispute) {
        const lost = dispute.status === 'lost';
        await disputeStore.insert(tx, {
          dispute_id: externalId(),
          payment_id: p.payment_id,
          service_id: p.service_id,
          live: p.live,
          amount: p.amount,
          fee: lost ? 1500 : null,
          net_amount: lost ? -(p.amount + 1500) : null,
          reason: dispute.reason,
          status: dispute.status,
          evidence_due_date: new Date(Date.now() + 21 * 86400_000),
          settled_date: lost ? new Date().toISOString().slice(0, 10) : null,
        });
      }
      return done ?? p;
    });
  }

  /**
   * The cardholder confirmed (or an API authorisation completed): success, or capturable when
   * the service captures later. Sets up the agreement this payment was for, if any.
   */
  async function complete(p: PaymentRow, instrumentToken: string | null): Promise<PaymentRow> {
    const next = await db.transaction(async (tx) => {
      const moved = await ctx.moveIn(
        tx,
        p.payment_id,
        ['submitted'],
        p.delayed_capture
          ? { status: 'capturable', auth_step: null }
          : { status: 'success', auth_step: null, capture_submit_time: new Date() },
        'card_payment_succeeded',
      );
      if (moved?.set_up_agreement && instrumentToken && moved.card) {
        await agreementStore.activate(tx, moved.set_up_agreement, instrumentFrom(moved.card), instrumentToken);
      }
      return moved;
    });
    if (!next) return (await store.payment(db, p.payment_id))!;
    return next.status === 'success' ? settle(next) : next;
  }

  /** Apply a gateway's authorisation answer to a payment in `started`. */
  async function applyAuthorisation(p: PaymentRow, r: AuthoriseResult, card: StoredCard | null): Promise<PaymentRow> {
    const base = {
      auth_step: null,
      ...(card ? { card: { ...card, ...(r.outcome === 'authorised' && r.cardType ? { type: r.cardType } : {}) } } : {}),
    };
    let moved: PaymentRow | null;
    if (r.outcome === 'authorised') {
      moved = await ctx.move(
        p.payment_id,
        ['started'],
        { ...base, status: 'submitted', provider_id: r.providerId, gateway_ref: r.instrumentToken ?? null },
        undefined,
        'authorised',
      );
      if (!moved) await ctx.voidAuthorisation({ ...p, provider_id: r.providerId }); // cancelled or expired meanwhile
    } else if (r.outcome === 'requires_3ds') {
      moved = await ctx.move(
        p.payment_id,
        ['started'],
        { ...base, auth_step: '3ds', provider_id: r.providerId, gateway_ref: JSON.stringify(r.challenge), three_ds_required: true },
        undefined,
        '3-D Secure required',
      );
    } else if (r.outcome === 'rejected') {
      moved = await ctx.move(
        p.payment_id,
        ['started'],
        { ...base, status: 'failed', code: 'P0010', provider_id: r.providerId ?? null },
        'card_payment_failed',
      );
    } else {
      ctx.log.warn({ paymentId: p.payment_id, message: r.message }, 'gateway error on authorisation');
      moved = await ctx.move(p.payment_id, ['started'], { ...base, status: 'error', code: 'P0050' }, 'card_payment_failed');
    }
    return moved ?? (await store.payment(db, p.payment_id))!;
  }

  async function requirePayment(scope: Scope, id: string, code: string): Promise<PaymentRow> {
    const p = await current(await store.payment(db, id, scope));
    if (!p) throw notFound(code);
    return p;
  }

  return {
    expire,
    settle,
    complete,
    applyAuthorisation,
    isStale,
    current,

    async create(scope: Scope, input: CreatePaymentInput, idempotencyKey?: string): Promise<{ payment: PaymentRow; replayed: boolean }> {
      if (input.set_up_agreement) {
        const a = await agreementStore.get(db, input.set_up_agreement, scope);
        if (!a)
          throw new PayError(422, 'P0103', 'Invalid attribute value: set_up_agreement. Agreement ID does not exist', {
            field: 'set_up_agreement',
          });
      }
      let agreementToken: string | null = null;
      if (input.authorisation_mode === 'agreement') {
        const a = await agreementStore.get(db, input.agreement_id!, scope);
        if (!a)
          throw new PayError(422, 'P0103', 'Invalid attribute value: agreement_id. Agreement ID does not exist', { field: 'agreement_id' });
        if (a.status !== 'active' || !a.instrument_token)
          throw new PayError(422, 'P0103', 'Invalid attribute value: agreement_id. Agreement must be active', { field: 'agreement_id' });
        agreementToken = a.instrument_token;
      }
      const paymentId = externalId();
      const row = {
        payment_id: paymentId,
        service_id: scope.serviceId,
        live: scope.live,
        key_id: scope.keyId ?? null,
        link_id: null,
        amount: input.amount,
        description: input.description,
        reference: input.reference,
        return_url: input.return_url ?? null,
        email: input.email ?? null,
        language: input.language,
        delayed_capture: input.delayed_capture,
        moto: input.moto,
        authorisation_mode: input.authorisation_mode,
        agreement_id: input.agreement_id ?? null,
        set_up_agreement: input.set_up_agreement ?? null,
        agreement_payment_type: input.agreement_payment_type ?? null,
        metadata: input.metadata ?? null,
        prefilled: input.prefilled_cardholder_details ?? null,
        gateway: ctx.gatewayName(scope.live),
        one_time_token_hash: input.authorisation_mode === 'moto_api' ? sha256(oneTimeToken(ctx.secret, paymentId)) : null,
        return_token_hash: null,
      };
      const idem = idempotencyKey ? { key: idempotencyKey, hash: requestHash(input) } : undefined;
      const inserted = await store.insertPayment(db, row, idem);
      if (!inserted) {
        // The key was taken (a concurrent request with it has committed by now).
        const existing = await store.paymentByIdempotencyKey(db, scope, idempotencyKey!);
        if (!existing || existing.request_hash !== idem!.hash) throw new IdempotencyConflict();
        return { payment: existing.payment, replayed: true };
      }
      if (agreementToken) return { payment: await chargeAgreement(inserted, agreementToken), replayed: false };
      return { payment: inserted, replayed: false };
    },

    get: (scope: Scope, id: string) => requirePayment(scope, id, 'P0200'),

    async search(scope: Scope, filters: PaymentFilters, page: number, size: number) {
      return store.searchPayments(db, scope, filters, size, (page - 1) * size);
    },

    async events(scope: Scope, id: string) {
      const p = await requirePayment(scope, id, 'P0300');
      return { payment: p, events: await store.timeline(db, p.payment_id) };
    },

    /** The service cancels (P0040). Only a payment that has a `cancel` link can be cancelled. */
    /** `inTransaction` runs in the change's own transaction (the console records its audit entry there). */
    async cancel(scope: Scope, id: string, inTransaction?: (tx: Queryable) => Promise<void>): Promise<void> {
      const p = await requirePayment(scope, id, 'P0500');
      const done = await db.transaction(async (tx) => {
        const moved = await ctx.moveIn(
          tx,
          p.payment_id,
          ['created', 'started', 'submitted', 'capturable'],
          { status: 'cancelled', code: 'P0040', auth_step: null },
          'card_payment_cancelled',
        );
        if (moved) await inTransaction?.(tx);
        return moved;
      });
      if (!done) throw new PayError(409, 'P0502', 'Cancellation of payment failed');
      if (p.status === 'submitted' || p.status === 'capturable') await ctx.voidAuthorisation(done);
    },

    /** Delayed capture: capturable → success, then the gateway capture. Capturing twice is harmless. */
    async capture(scope: Scope, id: string, inTransaction?: (tx: Queryable) => Promise<void>): Promise<void> {
      const p = await requirePayment(scope, id, 'P1000');
      const done = await db.transaction(async (tx) => {
        const moved = await ctx.moveIn(tx, p.payment_id, ['capturable'], { status: 'success', capture_submit_time: new Date() });
        if (moved) await inTransaction?.(tx);
        return moved;
      });
      if (!done) {
        const now = (await store.payment(db, p.payment_id))!;
        if (now.status === 'success' && now.delayed_capture) return;
        throw new PayError(409, 'P1003', 'Payment cannot be captured');
      }
      await settle(done);
    },

    /** POST /v1/auth: card details for a moto_api payment, sent by the service's own system. */
    async authoriseMoto(input: MotoAuthInput): Promise<void> {
      const p = await store.paymentByOneTimeToken(db, sha256(input.one_time_token));
      if (!p || p.authorisation_mode !== 'moto_api') throw new PayError(400, 'P1211', 'The one_time_token is not valid');
      if (p.one_time_token_used || p.status !== 'created') throw new PayError(400, 'P1212', 'The one_time_token has already been used');
      const brand = brandOf(input.card_number);
      if (!luhnValid(input.card_number)) throw new PayError(402, 'P0010', 'The card_number is not a valid card number');
      if (!brand || !ACCEPTED_BRANDS.includes(brand.id)) throw new PayError(402, 'P0010', 'The card type is not accepted');
      const [mm, yy] = input.expiry_date.split('/').map(Number);
      const claimed = await ctx.move(p.payment_id, ['created'], { status: 'started', one_time_token_used: true }, 'card_payment_started');
      if (!claimed) throw new PayError(400, 'P1212', 'The one_time_token has already been used');
      const card: StoredCard = {
        brand: brand.label,
        brand_id: brand.id,
        first6: input.card_number.slice(0, 6),
        last4: input.card_number.slice(-4),
        expiry: input.expiry_date,
        cardholder_name: input.cardholder_name.trim(),
        billing_address: null,
      };
      const r: AuthoriseResult = expiryInPast({ month: mm, year: 2000 + yy })
        ? { outcome: 'rejected', reason: 'card expired' }
        : await ctx.gatewayFor(p).authorise({
            paymentId: p.payment_id,
            amount: p.amount,
            description: p.description,
            moto: true,
            saveInstrument: false,
            live: p.live,
            threeDsReturnUrl: '',
            card: {
              number: input.card_number,
              cvc: input.cvc,
              expiryMonth: mm,
              expiryYear: 2000 + yy,
              cardholderName: input.cardholder_name.trim(),
            },
          });
      const after = await applyAuthorisation(claimed, r, card);
      if (after.status === 'submitted') {
        await complete(after, null);
        return;
      }
      if (after.code === 'P0010') throw new PayError(402, 'P0010', 'The payment was rejected');
      throw new PayError(500, 'P0050', 'There was an error authorising the payment');
    },

    /** Idempotency keys are remembered for 24 hours, as GOV.UK Pay's are. */
    async forgetOldIdempotencyKeys(): Promise<void> {
      await db.query(`DELETE FROM payments.idempotency_keys WHERE created_at < now() - interval '24 hours'`);
    },

    /** Unfinished payments past the session length: expire them (called by the sweep). */
    async expireStale(limit = 200): Promise<number> {
      const ids = await store.stale(db, config.pay.expiryMinutes, limit);
      for (const id of ids) {
        const p = await store.payment(db, id);
        if (p && isStale(p)) await expire(p);
      }
      return ids.length;
    },
  };

  /** authorisation_mode agreement: charge the saved card straight away (no user present). */
  async function chargeAgreement(p: PaymentRow, token: string): Promise<PaymentRow> {
    const started = await ctx.move(p.payment_id, ['created'], { status: 'started' });
    if (!started) return p;
    const r = await ctx
      .gatewayFor(p)
      .chargeAgreement({ paymentId: p.payment_id, amount: p.amount, description: p.description, instrumentToken: token, live: p.live });
    const a = await agreementStore.get(db, p.agreement_id!, { serviceId: p.service_id, live: p.live });
    const card = a?.instrument?.card_details;
    const stored: StoredCard | null = card
      ? {
          brand: card.card_brand,
          brand_id: brandOf(card.first_digits_card_number)?.id ?? '',
          first6: card.first_digits_card_number,
          last4: card.last_digits_card_number,
          expiry: card.expiry_date,
          cardholder_name: card.cardholder_name,
          billing_address: card.billing_address ?? null,
          ...(card.card_type ? { type: card.card_type } : {}),
        }
      : null;
    if (r.outcome === 'rejected') {
      const canRetry = r.canRetry ?? true;
      return db.transaction(async (tx) => {
        const failed = await ctx.moveIn(
          tx,
          p.payment_id,
          ['started'],
          { status: 'failed', code: 'P0010', can_retry: canRetry, provider_id: r.providerId ?? null, card: stored },
          'card_payment_failed',
        );
        if (!canRetry) await agreementStore.setStatus(tx, p.agreement_id!, ['active'], 'inactive');
        return failed ?? p;
      });
    }
    const after = await applyAuthorisation(
      started,
      r.outcome === 'requires_3ds' ? { outcome: 'error', message: '3-D Secure cannot be done without the cardholder' } : r,
      stored,
    );
    return after.status === 'submitted' ? complete(after, null) : after;
  }
}
export type PaymentService = ReturnType<typeof createPaymentService>;

/** The payment instrument an agreement keeps: what the API shows, never the card number. */
export function instrumentFrom(card: StoredCard): StoredInstrument {
  return {
    type: 'card',
    created_date: new Date().toISOString(),
    card_details: {
      last_digits_card_number: card.last4,
      first_digits_card_number: card.first6,
      cardholder_name: card.cardholder_name,
      expiry_date: card.expiry,
      card_brand: card.brand,
      ...(card.type ? { card_type: card.type } : {}),
      ...(card.billing_address ? { billing_address: card.billing_address } : {}),
    },
  };
}
