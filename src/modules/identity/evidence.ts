// Proving identity: the evidence-source contract every authoritative source implements
// (a passport office, a driving licence agency, a credit reference agency…), and the one
// shipped here — a registry-backed source over identity.evidence_records, with demo records.
// A source says whether the details match a record it holds and how strong the evidence is;
// levelFor() turns that into P1/P2 (a simplified reading of GPG 45: see README.md).
import type { Db, Queryable } from '../../kernel/db.js';
import type { IdentityLevel } from './vtr.js';

export type EvidenceKind = 'passport' | 'driving_licence';
export const EVIDENCE_KINDS: EvidenceKind[] = ['passport', 'driving_licence'];

export interface EvidenceInput {
  kind: EvidenceKind;
  documentNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string; // YYYY-MM-DD
  expiryDate: string; // YYYY-MM-DD
}

/** One Login's PostalAddress (https://vocab.account.gov.uk/v1/address items). */
export interface PostalAddress {
  uprn?: number;
  subBuildingName?: string;
  buildingName?: string;
  buildingNumber?: string;
  streetName?: string;
  addressLocality?: string;
  postalCode?: string;
  addressCountry?: string;
  validFrom?: string;
}

export type EvidenceResult =
  | { matched: false }
  | {
      matched: true;
      /** GPG 45 scores of the evidence as checked: strength 1–4, validity 1–4. */
      strength: number;
      validity: number;
      person: { givenName: string; familyName: string; birthDate: string };
      address?: PostalAddress;
      passport?: { documentNumber: string; icaoIssuerCode: string; expiryDate: string };
    };

/** The contract: anything that can check a piece of evidence against an authoritative record. */
export interface EvidenceSource {
  name: string;
  kinds: EvidenceKind[];
  /** `ctx.accountId`: whose identity is being proved (an exchange-backed source logs the check against it). */
  check(input: EvidenceInput, ctx?: { accountId: string }): Promise<EvidenceResult>;
}

/** Strong, checked evidence reaches P2; weaker evidence that still matched reaches P1. */
export function levelFor(r: EvidenceResult): IdentityLevel {
  if (!r.matched) return 'P0';
  if (r.strength >= 4 && r.validity >= 3) return 'P2';
  if (r.strength >= 3 && r.validity >= 2) return 'P1';
  return 'P0';
}

const norm = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
const docNorm = (s: string) => s.replace(/\s+/g, '').toUpperCase();

export function registrySource(db: Db): EvidenceSource {
  return {
    name: 'registry',
    kinds: EVIDENCE_KINDS,
    async check(input) {
      const { rows } = await db.query<{
        given_name: string;
        family_name: string;
        birth_date: string;
        expiry_date: string;
        address: PostalAddress | null;
        document_number: string;
      }>(
        `SELECT given_name, family_name, birth_date, expiry_date, address, document_number FROM identity.evidence_records
          WHERE kind = $1 AND document_number = $2`,
        [input.kind, docNorm(input.documentNumber)],
      );
      const r = rows[0];
      const today = new Date().toISOString().slice(0, 10);
      if (
        !r ||
        norm(r.given_name) !== norm(input.givenName) ||
        norm(r.family_name) !== norm(input.familyName) ||
        r.birth_date !== input.birthDate ||
        r.expiry_date !== input.expiryDate ||
        r.expiry_date < today
      ) {
        return { matched: false };
      }
      // A passport checked with its issuer is the strongest evidence (GPG 45 strength 4,
      // validity 3); a photocard driving licence checked with its issuer scores 3 and 2.
      const passport = input.kind === 'passport';
      return {
        matched: true,
        strength: passport ? 4 : 3,
        validity: passport ? 3 : 2,
        person: { givenName: r.given_name, familyName: r.family_name, birthDate: r.birth_date },
        ...(r.address ? { address: r.address } : {}),
        ...(passport ? { passport: { documentNumber: r.document_number, icaoIssuerCode: 'GBR', expiryDate: r.expiry_date } } : {}),
      };
    },
  };
}

/** Fictional people for the demo registry (also used by the tests and the bench). */
export const DEMO_RECORDS = [
  {
    kind: 'passport',
    document_number: '539184726',
    given_name: 'Alex',
    family_name: 'Morgan',
    birth_date: '1985-03-14',
    expiry_date: '2033-06-30',
    address: {
      uprn: 990000000101,
      buildingNumber: '10',
      streetName: 'Civic Way',
      addressLocality: 'Newtown',
      postalCode: 'NT1 1AA',
      addressCountry: 'GB',
      validFrom: '2019-04-01',
    },
  },
  {
    kind: 'passport',
    document_number: '648203915',
    given_name: 'Rhian',
    family_name: 'Evans',
    birth_date: '1972-11-02',
    expiry_date: '2031-01-15',
    address: {
      uprn: 990000000202,
      buildingName: 'Tŷ Gwyn',
      streetName: 'Heol y Castell',
      addressLocality: 'Caerdydd',
      postalCode: 'CF10 1AA',
      addressCountry: 'GB',
      validFrom: '2012-09-01',
    },
  },
  {
    kind: 'driving_licence',
    document_number: 'EVANS711022RH9XY',
    given_name: 'Rhian',
    family_name: 'Evans',
    birth_date: '1972-11-02',
    expiry_date: '2032-11-01',
    address: {
      uprn: 990000000202,
      buildingName: 'Tŷ Gwyn',
      streetName: 'Heol y Castell',
      addressLocality: 'Caerdydd',
      postalCode: 'CF10 1AA',
      addressCountry: 'GB',
      validFrom: '2012-09-01',
    },
  },
  {
    kind: 'driving_licence',
    document_number: 'TAYLO901200S99AB',
    given_name: 'Sam',
    family_name: 'Taylor',
    birth_date: '1990-01-20',
    expiry_date: '2030-01-19',
    address: {
      buildingNumber: '3',
      streetName: 'Mill Lane',
      addressLocality: 'Oldbridge',
      postalCode: 'OB2 4ZZ',
      addressCountry: 'GB',
      validFrom: '2021-02-01',
    },
  },
] as const;

export async function seedDemoEvidence(tx: Queryable): Promise<boolean> {
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM identity.evidence_records');
  if (rows[0].n > 0) return false;
  for (const r of DEMO_RECORDS) {
    await tx.query(
      `INSERT INTO identity.evidence_records (kind, document_number, given_name, family_name, birth_date, expiry_date, address)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.kind, r.document_number, r.given_name, r.family_name, r.birth_date, r.expiry_date, JSON.stringify(r.address)],
    );
  }
  return true;
}
