// Identity proofing through the exchange: an EvidenceSource (identity's contract) that checks a
// passport with HM Passport Office and a driving licence with DVLA — their own systems, through
// the exchange, under the statutory basis for identity verification — as the platform's
// identity subsystem. The check is logged against the account being proved, like any other use.
import type { EvidenceInput, EvidenceResult, EvidenceSource, PostalAddress } from '../identity/index.js';
import { HttpError } from '../../kernel/errors.js';
import type { FetchInput, FetchResult } from './index.js';

export const IDENTITY_CLIENT_SUBSYSTEM = 'GOV/CITYSCAPE/identity';

export function exchangeEvidenceSource(deps: {
  instance: () => Promise<string>;
  fetchAs(client: string, input: Omit<FetchInput, 'consumerServiceId'>): Promise<FetchResult>;
}): EvidenceSource {
  return {
    name: 'exchange',
    kinds: ['passport', 'driving_licence'],
    async check(input: EvidenceInput, ctx?: { accountId: string }): Promise<EvidenceResult> {
      const instance = await deps.instance();
      const passport = input.kind === 'passport';
      const number = input.documentNumber.replace(/\s+/g, '').toUpperCase();
      const r = await deps.fetchAs(`${instance}/${IDENTITY_CLIENT_SUBSYSTEM}`, {
        service: passport ? `${instance}/GOV/HMPO/passports/validity` : `${instance}/GOV/DVLA/drivers/licence-check`,
        purpose: 'dpv:IdentityVerification',
        legalBasis: 'statute:identity-verification',
        subject: ctx?.accountId ?? '00000000-0000-0000-0000-000000000000',
        match: {
          [passport ? 'passport_number' : 'licence_number']: number,
          given_name: input.givenName,
          family_name: input.familyName,
          birth_date: input.birthDate,
          expiry_date: input.expiryDate,
        },
      });
      if (!r.ok)
        throw new HttpError(
          503,
          'evidence_unavailable',
          'We could not check your document with the organisation that issued it. Try again later.',
        );
      const d = r.data as Record<string, any>;
      if (!d.matched || !d.valid) return { matched: false };
      // GPG 45 scores as identity's own registry gives them: a passport checked with its issuer 4/3, a licence 3/2.
      return {
        matched: true,
        strength: passport ? 4 : 3,
        validity: passport ? 3 : 2,
        person: { givenName: d.given_name, familyName: d.family_name, birthDate: d.birth_date },
        ...(d.address ? { address: d.address as PostalAddress } : {}),
        ...(passport
          ? { passport: { documentNumber: number, icaoIssuerCode: d.issuing_country ?? 'GBR', expiryDate: d.expiry_date } }
          : {}),
      };
    },
  };
}
