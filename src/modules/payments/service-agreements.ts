// Agreements (recurring payments): created by the service, set up by a first payment that saves
// the card (service.ts), then charged without the paying user; cancelling stops further charges.
import { notFound, PayError } from './errors.js';
import { agreementStore } from './store-agreements.js';
import { externalId, type Ctx, type Scope } from './context.js';

export function createAgreementService(ctx: Ctx) {
  const { db } = ctx;

  return {
    create: (scope: Scope, input: { reference: string; description: string; user_identifier?: string }) =>
      agreementStore.insert(db, {
        agreement_id: externalId(),
        service_id: scope.serviceId,
        live: scope.live,
        reference: input.reference,
        description: input.description,
        user_identifier: input.user_identifier ?? null,
      }),

    async get(scope: Scope, id: string) {
      const a = await agreementStore.get(db, id, scope);
      if (!a) throw notFound('P2200');
      return a;
    },

    search: (scope: Scope, f: { reference?: string; status?: string }, page: number, size: number) =>
      agreementStore.search(db, scope, f, size, (page - 1) * size),

    async cancel(scope: Scope, id: string): Promise<void> {
      const a = await agreementStore.get(db, id, scope);
      if (!a) throw notFound('P2500');
      if (!(await agreementStore.setStatus(db, id, ['active'], 'cancelled')))
        throw new PayError(400, 'P2501', 'Cancellation of agreement failed');
    },
  };
}
export type AgreementService = ReturnType<typeof createAgreementService>;
