// Disputes (chargebacks) raised against payments: the gateway reports them when a payment is
// captured (service.ts; the sandbox for its dispute test cards); services search them here.
import { disputeStore } from './store-disputes.js';
import type { Ctx, Scope } from './context.js';

export function createDisputeService(ctx: Ctx) {
  const { db } = ctx;
  return {
    search: (scope: Scope, f: Parameters<typeof disputeStore.search>[2], page: number, size: number) =>
      disputeStore.search(db, scope, f, size, (page - 1) * size),
  };
}
export type DisputeService = ReturnType<typeof createDisputeService>;
