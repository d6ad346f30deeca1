// The sandbox gateway: no money moves; GOV.UK Pay's documented test card numbers decide the
// outcome (docs.payments.service.gov.uk "Testing your integration", and pay-connector's
// sandbox), so a service's tests behave here as they do against GOV.UK Pay's sandbox.
import { randomUUID } from 'node:crypto';
import type { AgreementChargeRequest, Authorise3dsRequest, AuthoriseRequest, AuthoriseResult, Gateway } from './contract.js';

type CardType = 'credit' | 'debit' | undefined;

/** Cards that authorise, with the card type GOV.UK Pay's test table gives them. */
const GOOD: Record<string, CardType> = {
  '4444333322221111': 'credit',
  '4242424242424242': 'credit',
  '4000056655665556': 'debit',
  '4988080000000000': 'debit',
  '4000160000000004': 'debit',
  '4131840000000003': 'debit',
  '4000620000000007': 'credit',
  '4000000000000010': undefined,
  '5101110000000004': 'credit',
  '5105105105105100': 'debit',
  '5200828282828210': 'debit',
  '371449635398431': 'credit',
  '3566002020360505': 'credit',
  '6011000990139424': 'credit',
  '36148900647913': 'credit',
  '4917610000000000003': 'debit',
  '5555555555554444': 'credit',
  '4000020000000000': 'credit',
  '4111111111111111': 'credit',
  '4293189100000008': 'credit',
  '4000180000000002': 'debit',
  '5101180000000007': 'credit',
  // Succeed, then the sandbox reports a dispute (GOV.UK Pay's Stripe test cards).
  '4000000000000259': 'credit',
  '4000000000002685': 'credit',
};
export const SANDBOX_CARDS = {
  success: '4444333322221111',
  declined: '4000000000000002',
  expired: '4000000000000069',
  cvcError: '4000000000000127',
  processingError: '4000000000000119',
  threeDs: '4000002500003155',
  /** Authorises when an agreement is set up; every later agreement payment is declined. */
  recurringSubsequentDecline: '5105105105105100',
  disputeLost: '4000000000000259',
  disputeWon: '4000000000002685',
  notAccepted: '6759649826438453',
} as const;

const REJECTED: Record<string, string> = {
  '4000000000000002': 'card declined',
  '4000000000000069': 'card expired',
  '4000000000000127': 'incorrect card security code',
};
const ERRORS: Record<string, string> = { '4000000000000119': 'This transaction could be not be processed.' };

const firstLast = (n: string) => `${n.slice(0, 6)}${n.slice(-4)}`;
/** Saved-card tokens keep only the first six and last four digits, as GOV.UK Pay's sandbox matches them. */
const byFirstLast = <T>(table: Record<string, T>, token: string): [string, T] | undefined =>
  Object.entries(table).find(([n]) => firstLast(n) === token);

export function createSandboxGateway(): Gateway {
  return {
    name: 'sandbox',
    async authorise(req: AuthoriseRequest): Promise<AuthoriseResult> {
      const n = req.card.number;
      const providerId = randomUUID();
      if (ERRORS[n]) return { outcome: 'error', message: ERRORS[n] };
      if (REJECTED[n]) return { outcome: 'rejected', providerId, reason: REJECTED[n] };
      // MOTO payments have no cardholder present, so no 3-D Secure.
      if (n === SANDBOX_CARDS.threeDs) {
        if (req.moto) return { outcome: 'authorised', providerId, cardType: 'credit' };
        return { outcome: 'requires_3ds', providerId, challenge: { kind: 'sandbox', ref: randomUUID() } };
      }
      if (n in GOOD) {
        return {
          outcome: 'authorised',
          providerId,
          cardType: GOOD[n],
          ...(req.saveInstrument ? { instrumentToken: `sandbox:${firstLast(n)}` } : {}),
        };
      }
      return { outcome: 'error', message: 'Unsupported card details.' };
    },
    async authorise3ds(req: Authorise3dsRequest): Promise<AuthoriseResult> {
      return req.response.result === 'authenticated'
        ? { outcome: 'authorised', providerId: req.providerId, cardType: 'credit' }
        : { outcome: 'rejected', providerId: req.providerId, reason: '3-D Secure authentication failed' };
    },
    async chargeAgreement(req: AgreementChargeRequest): Promise<AuthoriseResult> {
      const token = req.instrumentToken.replace(/^sandbox:/, '');
      const providerId = randomUUID();
      if (token === firstLast(SANDBOX_CARDS.recurringSubsequentDecline))
        return { outcome: 'rejected', providerId, reason: 'card declined', canRetry: false };
      const rejected = byFirstLast(REJECTED, token);
      if (rejected) return { outcome: 'rejected', providerId, reason: rejected[1], canRetry: true };
      const error = byFirstLast(ERRORS, token);
      if (error) return { outcome: 'error', message: error[1] };
      const good = byFirstLast(GOOD, token);
      return good ? { outcome: 'authorised', providerId, cardType: good[1] } : { outcome: 'error', message: 'Unsupported card details.' };
    },
    async capture() {
      return { ok: true, providerRef: randomUUID() };
    },
    async cancel() {
      return { ok: true };
    },
    async refund(req) {
      return { status: 'success', providerRef: req.refundId };
    },
    disputeFor(card) {
      if (`${card.first6}${card.last4}` === firstLast(SANDBOX_CARDS.disputeLost)) return { status: 'lost', reason: 'fraudulent' };
      if (`${card.first6}${card.last4}` === firstLast(SANDBOX_CARDS.disputeWon)) return { status: 'won', reason: 'product_not_received' };
      return null;
    },
  };
}
