// The contract every payment gateway (acquirer) adapter meets. The payments service calls
// only these functions, so a real acquirer plugs in beside the sandbox without touching the
// rules. Card numbers and security codes reach `authorise` and nothing else keeps them.

export interface BillingAddress {
  line1: string;
  line2?: string;
  city: string;
  postcode: string;
  country: string;
}

export interface CardInput {
  number: string; // digits only; never stored, never logged
  cvc?: string; // absent for MOTO payments taken without it
  expiryMonth: number;
  expiryYear: number; // four digits
  cardholderName: string;
  billingAddress?: BillingAddress;
}

export interface AuthoriseRequest {
  paymentId: string;
  amount: number; // pence
  description: string;
  card: CardInput;
  /** Mail order / telephone order: no cardholder present, so no 3-D Secure. */
  moto: boolean;
  /** Keep a token for the card so an agreement can charge it later (recurring payments). */
  saveInstrument: boolean;
  live: boolean;
  /** Where the issuer posts its 3-D Secure answer back to (for `redirect` challenges). */
  threeDsReturnUrl: string;
}

/** What the gateway said. `requires_3ds` means the bank wants to see the cardholder first. */
export type AuthoriseResult =
  | { outcome: 'authorised'; providerId: string; cardType?: 'credit' | 'debit'; instrumentToken?: string }
  | { outcome: 'rejected'; providerId?: string; reason: string; canRetry?: boolean }
  | { outcome: 'requires_3ds'; providerId: string; challenge: ThreeDsChallenge }
  | { outcome: 'error'; message: string };

/**
 * How to show the cardholder their bank's check. `sandbox` is answered on our own page; a
 * real acquirer gives the issuer's address and the fields to POST there (3-D Secure 2
 * `creq`, or 1.0 `PaReq`/`MD`); the issuer posts back to `/pay/card/:id/3ds`.
 */
export type ThreeDsChallenge =
  { kind: 'sandbox'; ref: string } | { kind: 'redirect'; ref: string; url: string; fields: Record<string, string> };

export interface Authorise3dsRequest {
  paymentId: string;
  providerId: string;
  ref: string;
  /** The issuer's answer: what it posted back, or the sandbox page's choice. */
  response: Record<string, string>;
}

export interface AgreementChargeRequest {
  paymentId: string;
  amount: number;
  description: string;
  instrumentToken: string;
  live: boolean;
}

export type SimpleResult = { ok: true; providerRef?: string } | { ok: false; message: string };
export type RefundResult = { status: 'success' | 'submitted'; providerRef?: string } | { status: 'error'; message: string };

export interface Gateway {
  /** `payment_provider` in the API. */
  readonly name: string;
  authorise(req: AuthoriseRequest): Promise<AuthoriseResult>;
  authorise3ds(req: Authorise3dsRequest): Promise<AuthoriseResult>;
  /** Merchant-initiated payment with a saved card (authorisation_mode: agreement). */
  chargeAgreement(req: AgreementChargeRequest): Promise<AuthoriseResult>;
  capture(req: { paymentId: string; providerId: string; amount: number }): Promise<SimpleResult>;
  /** Void an authorisation that will not be captured. */
  cancel(req: { paymentId: string; providerId: string }): Promise<SimpleResult>;
  refund(req: { paymentId: string; providerId: string; refundId: string; amount: number }): Promise<RefundResult>;
  /**
   * After a successful capture: any dispute the acquirer reports for this card (the sandbox
   * simulates GOV.UK Pay's "disputed and lost/won" test cards; a real acquirer reports
   * disputes by notification instead and can leave this out).
   */
  disputeFor?(card: { first6: string; last4: string }): { status: 'lost' | 'won'; reason: string } | null;
}
