// What consent reads from the exchange module (#12), through an optional dependency so that
// consent works alone: the catalogue of attributes (for drafting agreements and naming facts
// on the citizen's pages) and the statutory uses of a citizen's data (listed beside their
// consents, with the law and purpose, and objections — recorded by the exchange, which
// enforces them). "Was used" notices come from the exchange's outbox event USED_EVENT.
// Without the exchange (or the parts it does not provide yet): free attribute entry, no
// statutory uses listed.

export interface ExchangeAttribute {
  id: string; // 'dwp/benefits.pip_mobility'
  name: string;
  nameCy: string | null;
  provider: string; // 'UK/GOV/DWP'
  providerName: string;
  service: string; // 'UK/GOV/DWP/benefits/entitlement'
  dpvCategory: string;
  sensitivity: 'normal' | 'special';
}

/** A use of a citizen's data whose basis is the law, not their consent. */
export interface StatutoryUse {
  /** The legal basis id the exchange logs: 'statute:identity-verification'. */
  id: string;
  consumerServiceId: string;
  consumerName: string;
  providerName: string;
  attributes: Array<{ id: string; name: string; nameCy?: string | null }>;
  /** The law, e.g. 'Digital Economy Act 2017, section 35', and a link to it. */
  law: string;
  lawUrl?: string;
  purpose: string;
  purposeCy?: string | null;
  /** Whether the law lets the citizen object (UK GDPR article 21 for public task). */
  objectionAllowed: boolean;
  /** Whether this citizen has objected (the exchange refuses the use while they have). */
  objected: boolean;
}

export interface ExchangeView {
  attributes(): Promise<ExchangeAttribute[]>;
  /** Statutory uses that apply to this citizen (or to everyone). */
  statutoryUses?(subject: string): Promise<StatutoryUse[]>;
  /** Record or withdraw an objection; the exchange enforces it, so it is kept there. */
  object?(subject: string, useId: string, reason: string): Promise<void>;
  withdrawObjection?(subject: string, useId: string): Promise<void>;
}

/**
 * The outbox event the exchange appends when it releases a citizen's data on a consent basis:
 * payload `{ subject, record_id, consumer_service_id, attributes, at }`. Consent sends the
 * citizen a "was used" notice (at most one a day per agreement) when it arrives.
 */
export const USED_EVENT = 'exchange.consent.used';
