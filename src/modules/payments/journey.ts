// The paying user's journey on the hosted pages: a single-use next_url binds the payment to
// one browser (a random secret in a cookie scoped to that payment's pages, only its hash
// stored), then card details → bank check (3-D Secure, when the gateway asks) → confirm →
// back to the service. The card number and security code go to the gateway and nowhere else.
import { randomToken, safeEqual, sha256 } from '../../kernel/crypto.js';
import { store, type PaymentRow, type StoredCard } from './store.js';
import type { Ctx } from './context.js';
import type { PaymentService } from './service.js';
import { readNextUrlToken } from './representation.js';
import type { BillingAddress, ThreeDsChallenge } from './gateways/contract.js';

export interface CardForm {
  number: string;
  cvc: string;
  expiryMonth: number;
  expiryYear: number;
  cardholderName: string;
  billingAddress: BillingAddress;
  email: string | null;
  brand: { id: string; label: string };
}

export function createJourney(ctx: Ctx, payments: PaymentService) {
  const { db } = ctx;

  return {
    /** Use a next_url token once: a new journey secret for this browser, or null if the link is spent or forged. */
    async useNextUrl(token: string): Promise<{ paymentId: string; journey: string } | null> {
      const t = readNextUrlToken(ctx.secret, token);
      if (!t) return null;
      const journey = randomToken(24);
      const { rowCount } = await db.query(
        `UPDATE payments.payments SET token_gen = token_gen + 1, journey_hash = $3, updated_at = now()
          WHERE payment_id = $1 AND token_gen = $2 AND authorisation_mode = 'web'`,
        [t.paymentId, t.gen, sha256(journey)],
      );
      return rowCount ? { paymentId: t.paymentId, journey } : null;
    },

    /** The payment this browser is paying, expired first if its time is up; null if not bound to this browser. */
    async load(paymentId: string, journey: string | undefined): Promise<PaymentRow | null> {
      if (!journey || !/^[0-9a-v]{26}$/.test(paymentId)) return null;
      const p = await store.payment(db, paymentId);
      if (!p?.journey_hash || !safeEqual(p.journey_hash, sha256(journey))) return null;
      return payments.current(p);
    },

    /** First sight of the card page: created → started. */
    async start(p: PaymentRow): Promise<PaymentRow> {
      if (p.status !== 'created') return p;
      return (
        (await ctx.move(p.payment_id, ['created'], { status: 'started' }, 'card_payment_started')) ??
        (await store.payment(db, p.payment_id))!
      );
    },

    /** Card details in: authorise with the gateway. Null when another submission is already in flight. */
    async submitCard(p: PaymentRow, form: CardForm): Promise<PaymentRow | null> {
      const { rowCount } = await db.query(
        `UPDATE payments.payments SET auth_step = 'authorising', email = COALESCE($2, email), updated_at = now()
          WHERE payment_id = $1 AND status = 'started' AND auth_step IS NULL`,
        [p.payment_id, form.email],
      );
      if (!rowCount) return null;
      const claimed: PaymentRow = { ...p, auth_step: 'authorising', email: form.email ?? p.email };
      const card: StoredCard = {
        brand: form.brand.label,
        brand_id: form.brand.id,
        first6: form.number.slice(0, 6),
        last4: form.number.slice(-4),
        expiry: `${String(form.expiryMonth).padStart(2, '0')}/${String(form.expiryYear % 100).padStart(2, '0')}`,
        cardholder_name: form.cardholderName,
        billing_address: form.billingAddress,
      };
      let result;
      try {
        result = await ctx.gatewayFor(p).authorise({
          paymentId: p.payment_id,
          amount: p.amount,
          description: p.description,
          moto: p.moto,
          live: p.live,
          saveInstrument: !!p.set_up_agreement,
          threeDsReturnUrl: `${ctx.urls.pages}/card/${p.payment_id}/3ds/return`,
          card: {
            number: form.number,
            cvc: form.cvc,
            expiryMonth: form.expiryMonth,
            expiryYear: form.expiryYear,
            cardholderName: form.cardholderName,
            billingAddress: form.billingAddress,
          },
        });
      } catch (err) {
        ctx.log.error({ err, paymentId: p.payment_id }, 'gateway authorisation threw');
        result = { outcome: 'error' as const, message: 'gateway unreachable' };
      }
      return payments.applyAuthorisation(claimed, result, card);
    },

    challengeOf(p: PaymentRow): ThreeDsChallenge | null {
      if (p.auth_step !== '3ds' || !p.gateway_ref) return null;
      try {
        return JSON.parse(p.gateway_ref) as ThreeDsChallenge;
      } catch {
        return null;
      }
    },

    /** A payment waiting for an issuer's 3-D Secure answer posted back from the issuer's site. */
    async loadForChallenge(paymentId: string): Promise<PaymentRow | null> {
      if (!/^[0-9a-v]{26}$/.test(paymentId)) return null;
      const p = await store.payment(db, paymentId);
      return p && this.challengeOf(p)?.kind === 'redirect' ? p : null;
    },

    /** The bank's answer to 3-D Secure. */
    async submit3ds(p: PaymentRow, response: Record<string, string>): Promise<PaymentRow> {
      const challenge = this.challengeOf(p);
      if (!challenge) return p;
      const claimed = await db.query(
        `UPDATE payments.payments SET auth_step = 'authorising' WHERE payment_id = $1 AND status = 'started' AND auth_step = '3ds'`,
        [p.payment_id],
      );
      if (!claimed.rowCount) return (await store.payment(db, p.payment_id))!;
      const r = await ctx
        .gatewayFor(p)
        .authorise3ds({ paymentId: p.payment_id, providerId: p.provider_id ?? '', ref: challenge.ref, response });
      return payments.applyAuthorisation({ ...p, auth_step: 'authorising' }, r, p.card);
    },

    confirm: (p: PaymentRow) => payments.complete(p, p.set_up_agreement ? p.gateway_ref : null),

    /** "Cancel payment" on the hosted pages: P0030. */
    async userCancel(p: PaymentRow): Promise<PaymentRow> {
      const done = await ctx.move(
        p.payment_id,
        ['created', 'started', 'submitted'],
        { status: 'failed', code: 'P0030', auth_step: null },
        'card_payment_failed',
      );
      if (!done) return (await store.payment(db, p.payment_id))!;
      if (p.status === 'submitted') await ctx.voidAuthorisation(done);
      return done;
    },
  };
}
export type Journey = ReturnType<typeof createJourney>;
