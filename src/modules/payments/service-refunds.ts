// Refunds. A refund reserves its amount on the payment under its row lock (SELECT … FOR UPDATE,
// then `refunded = refunded + amount`, which a CHECK keeps within the amount paid), so concurrent
// refunds can never add up to more than was paid; the gateway is then asked outside the lock, and
// an error releases the reservation.
import type { Queryable } from '../../kernel/db.js';
import { notFound, PayError } from './errors.js';
import { store, type RefundRow } from './store.js';
import { externalId, type Ctx, type Scope } from './context.js';
import { refundAvailability } from './representation.js';

export function createRefundService(ctx: Ctx) {
  const { db } = ctx;

  return {
    /** `inTransaction` runs inside the reservation (the console records its audit entry there). */
    async refund(
      scope: Scope,
      paymentId: string,
      input: { amount: number; refund_amount_available?: number },
      refundedBy: string,
      inTransaction?: (tx: Queryable, refund: RefundRow) => Promise<void>,
    ): Promise<RefundRow> {
      const reserved = await db.transaction(async (tx) => {
        const locked = await store.payment(tx, paymentId, scope, true);
        if (!locked) throw notFound('P0600');
        const availability = refundAvailability(locked);
        if (availability.status !== 'available') {
          throw new PayError(400, 'P0603', `The payment is not available for refund. Payment refund status: ${availability.status}`);
        }
        if (input.refund_amount_available !== undefined && input.refund_amount_available !== availability.available) {
          throw new PayError(412, 'P0604', 'Refund amount available mismatch.');
        }
        if (input.amount > availability.available) {
          throw new PayError(400, 'P0603', 'The payment is not available for refund. Payment refund status: amount_not_available');
        }
        const refund = await store.insertRefund(tx, {
          refund_id: externalId(),
          payment_id: paymentId,
          service_id: scope.serviceId,
          live: scope.live,
          amount: input.amount,
          status: 'submitted',
          refunded_by: refundedBy,
        });
        await store.addRefunded(tx, paymentId, input.amount);
        await store.addTimeline(tx, paymentId, locked.status, `refund of ${input.amount} submitted`);
        await inTransaction?.(tx, refund);
        return { refund, payment: locked };
      });
      const { refund, payment } = reserved;
      let result: Awaited<ReturnType<ReturnType<Ctx['gatewayFor']>['refund']>>;
      try {
        result = await ctx
          .gatewayFor(payment)
          .refund({ paymentId, providerId: payment.provider_id ?? '', refundId: refund.refund_id, amount: refund.amount });
      } catch (err) {
        ctx.log.error({ err, refundId: refund.refund_id }, 'gateway refund failed');
        result = { status: 'error', message: 'gateway unreachable' };
      }
      if (result.status === 'submitted') return refund;
      return db.transaction(async (tx) => {
        const done = await store.setRefundStatus(
          tx,
          refund.refund_id,
          result.status,
          'providerRef' in result ? (result.providerRef ?? null) : null,
        );
        if (result.status === 'success') {
          await store.addTimeline(tx, paymentId, payment.status, `refund of ${refund.amount} succeeded`);
          await ctx.emit(tx, payment, 'card_payment_refunded', { refund_id: refund.refund_id, amount: refund.amount });
        } else {
          await store.addRefunded(tx, paymentId, -refund.amount); // the reservation is released
          await store.addTimeline(tx, paymentId, payment.status, `refund of ${refund.amount} failed`);
        }
        return done;
      });
    },

    async get(scope: Scope, paymentId: string, refundId: string): Promise<RefundRow> {
      const p = await store.payment(db, paymentId, scope);
      const r = p && (await store.refund(db, paymentId, refundId));
      if (!r) throw notFound('P0700');
      return r;
    },

    async list(scope: Scope, paymentId: string): Promise<RefundRow[]> {
      const p = await store.payment(db, paymentId, scope);
      if (!p) throw notFound('P0800');
      return store.refundsFor(db, paymentId);
    },

    search: (scope: Scope, f: Parameters<typeof store.searchRefunds>[2], page: number, size: number) =>
      store.searchRefunds(db, scope, f, size, (page - 1) * size),
  };
}
export type RefundService = ReturnType<typeof createRefundService>;
