// A consent record exported as a receipt: ISO/IEC TS 27560's structure in DPV terms (the
// DPVCG's dpv-27560#receipt-record profile: notice, controller, process with purpose, personal
// data and recipients, legal basis, duration, status and events), signed by the platform so
// the holder can show it to anyone — the JWS covers the canonical JSON of everything else.
// Also a readable PDF of the same (pdf-lib, loaded only when asked for).
import type { CitizenRecord } from './service-citizen.js';
import type { RevisionRow } from './revisions.js';
import { canonical } from './revisions.js';
import type { Signer } from './keys.js';

export const RECEIPT_TYP = 'consent-receipt+jws';
const STATUS: Record<CitizenRecord['state'], string> = {
  active: 'dpv:ConsentGiven',
  expired: 'dpv:ConsentExpired',
  withdrawn: 'dpv:ConsentWithdrawn',
  declined: 'dpv:ConsentRefused',
};
const BASIS: Record<string, string> = {
  consent: 'eu-gdpr:A6-1-a',
  contract: 'eu-gdpr:A6-1-b',
  legal_obligation: 'eu-gdpr:A6-1-c',
  vital_interest: 'eu-gdpr:A6-1-d',
  public_task: 'eu-gdpr:A6-1-e',
  legitimate_interest: 'eu-gdpr:A6-1-f',
};

export interface ReceiptEvent {
  at: string;
  kind: 'given' | 'declined' | 'withdrawn' | 'limited' | 'renewed';
  by: 'individual' | 'representative' | 'organisation';
  attributes: string[];
  expiresAt: string | null;
  revisionId: string;
  serializedHash: string;
}

/** The record's history from its revisions: what changed at each one and who changed it. */
export function eventsOf(revisions: RevisionRow[]): ReceiptEvent[] {
  let prev: { optIn: boolean; givenAt: string | null } | null = null;
  return revisions.map((r) => {
    const d = (
      JSON.parse(r.serialized_snapshot) as {
        objectData: { optIn: boolean; givenAt: string | null; attributes?: string[]; expiresAt?: string | null };
      }
    ).objectData;
    const kind: ReceiptEvent['kind'] = !prev
      ? d.optIn
        ? 'given'
        : 'declined'
      : prev.optIn && !d.optIn
        ? 'withdrawn'
        : !prev.optIn
          ? 'given'
          : d.givenAt !== prev.givenAt
            ? 'renewed'
            : 'limited';
    prev = { optIn: d.optIn, givenAt: d.givenAt };
    const by = r.authorized_by_individual
      ? 'individual'
      : r.authorized_by_other.startsWith('delegate:')
        ? 'representative'
        : 'organisation';
    return {
      at: r.timestamp,
      kind,
      by,
      attributes: d.attributes ?? [],
      expiresAt: d.expiresAt ?? null,
      revisionId: r.id,
      serializedHash: r.serialized_hash,
    };
  });
}

export function buildReceipt(input: {
  publicUrl: string;
  jwksUrl: string;
  signer: Signer;
  item: CitizenRecord;
  revisions: RevisionRow[];
}): Record<string, unknown> {
  const { item, publicUrl } = input;
  const { record, agreement, policy, service } = item;
  const latest = input.revisions[input.revisions.length - 1];
  const facts = agreement.attributes.filter((a) => record.attributes.includes(a.id));
  const body = {
    '@context': {
      dpv: 'https://w3id.org/dpv#',
      pd: 'https://w3id.org/dpv/pd#',
      dct: 'http://purl.org/dc/terms/',
      schema: 'https://schema.org/',
      'eu-gdpr': 'https://w3id.org/dpv/legal/eu/gdpr#',
      loc: 'https://w3id.org/dpv/loc#',
    },
    '@id': `${publicUrl}/your-data/permissions/${record.id}/receipt.json`,
    '@type': 'dpv:ConsentReceipt',
    'dct:identifier': `receipt-${latest.id}`,
    'dct:conformsTo': 'https://w3id.org/dpv/schema/dpv-27560#receipt-record',
    'dct:created': new Date().toISOString(),
    'dct:publisher': { '@id': agreement.controller_url || publicUrl, 'schema:name': agreement.controller_name },
    'schema:recipient': 'dpv:DataSubject',
    'dpv:hasRecordOfActivity': {
      '@type': 'dpv:ConsentRecord',
      'dct:identifier': record.id,
      'dct:conformsTo': 'https://w3id.org/dpv/schema/dpv-27560#record',
      'dct:created': new Date(record.created_at).toISOString(),
      'dct:modified': new Date(record.updated_at).toISOString(),
      'dpv:hasDataSubject': { '@id': `urn:cityscape:consent:individual:${record.individual_id}`, '@type': 'dpv:DataSubject' },
      'dpv:hasDataController': { '@id': agreement.controller_url || publicUrl, 'schema:name': agreement.controller_name },
      'dpv:hasJurisdiction': ['loc:GB'],
      'dpv:hasApplicableLaw': 'UK GDPR and the Data Protection Act 2018',
      'dpv:hasLegalBasis': BASIS[agreement.lawful_basis] ?? agreement.lawful_basis,
      'dpv:hasNotice': {
        '@id': `urn:cityscape:consent:data-agreement:${agreement.id}:revision:${record.agreement_revision_id}`,
        'dct:title': agreement.purpose,
        'dct:hasVersion': agreement.version,
        'dpv:hasSerializedHash': record.agreement_revision_hash,
        ...(policy ? { 'dct:references': { '@id': policy.url, 'dct:title': policy.name, 'dct:hasVersion': policy.version } } : {}),
      },
      'dpv:hasProcess': {
        '@type': 'dpv:Process',
        'dpv:hasService': service ? { '@id': `${publicUrl}/services/${service.slug}`, 'schema:name': service.name } : record.service_id,
        'dpv:hasPurpose': { '@type': agreement.dpv_purpose, 'dct:description': agreement.purpose_description || agreement.purpose },
        'dpv:hasPersonalData': facts.map((f) => ({
          '@id': `urn:cityscape:attribute:${f.id}`,
          'schema:name': f.name,
          ...(f.category ? { '@type': f.category } : {}),
          ...(f.providerName ? { 'dpv:hasDataSource': { 'schema:name': f.providerName } } : {}),
          ...(f.sensitivity ? { 'dpv:hasSensitivity': 'dpv:SensitivePersonalData' } : {}),
        })),
        'dpv:hasProcessing': ['dpv:Obtain', 'dpv:Use'],
        'dpv:hasRecipient': [{ 'schema:name': service?.name ?? agreement.controller_name }],
      },
      'dpv:hasDuration': record.expires_at
        ? { '@type': 'dpv:EndDate', 'dpv:hasValue': new Date(record.expires_at).toISOString() }
        : { '@type': 'dpv:UntilRevokedDuration' },
      'dpv:hasConsentStatus': STATUS[item.state],
      'dpv:isIndicatedBy': record.delegation_id ? 'dpv:Representative' : 'dpv:DataSubject',
      ...(record.given_at ? { 'dpv:isIndicatedAtTime': new Date(record.given_at).toISOString() } : {}),
      'dpv:hasEvent': eventsOf(input.revisions).map((e) => ({
        '@type': `dpv:Consent${{ given: 'Given', declined: 'Refused', withdrawn: 'Withdrawn', limited: 'Given', renewed: 'Given' }[e.kind]}`,
        'schema:description': e.kind,
        'dct:date': e.at,
        'dpv:isIndicatedBy':
          e.by === 'individual' ? 'dpv:DataSubject' : e.by === 'representative' ? 'dpv:Representative' : 'dpv:DataController',
        'dpv:hasPersonalData': e.attributes.map((a) => `urn:cityscape:attribute:${a}`),
        'dct:identifier': e.revisionId,
        'dpv:hasSerializedHash': e.serializedHash,
      })),
      'dpv:hasRevision': {
        'dct:identifier': latest.id,
        'dpv:hasSerializedHash': latest.serialized_hash,
        'dpv:hasSignature': latest.signature,
      },
    },
    verificationMethod: `${input.jwksUrl}#${input.signer.kid}`,
  };
  return { ...body, signature: input.signer.sign(canonical(body), RECEIPT_TYP) };
}

/** Whether a receipt is as the platform signed it (its JWS covers the canonical JSON of the rest). */
export function verifyReceipt(signer: Signer, receipt: Record<string, unknown>): boolean {
  const { signature, ...rest } = receipt;
  if (typeof signature !== 'string') return false;
  const r = signer.verify(signature);
  return !!r && r.typ === RECEIPT_TYP && r.payload === canonical(rest);
}

/** A plain, readable PDF of a receipt's main facts (lines already in the citizen's language). */
export async function receiptPdf(title: string, lines: Array<[string, string]>, footer: string[]): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts, rgb } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  // Standard fonts cover Windows-1252 only: anything else (e.g. Welsh ŵ, ŷ) is transliterated.
  const safe = (s: string) =>
    s
      .replace(/[ŵŴ]/g, (c) => (c === 'ŵ' ? 'w' : 'W'))
      .replace(/[ŷŶ]/g, (c) => (c === 'ŷ' ? 'y' : 'Y'))
      .replace(/[‘’]/g, "'")
      .replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
  let page = doc.addPage([595, 842]);
  let y = 790;
  const write = (text: string, f = font, size = 11) => {
    const words = safe(text).split(/\s+/);
    let line = '';
    for (const w of words) {
      const next = line ? `${line} ${w}` : w;
      if (f.widthOfTextAtSize(next, size) > 495 && line) {
        page.drawText(line, { x: 50, y, size, font: f, color: rgb(0.04, 0.05, 0.05) });
        y -= size + 5;
        line = w;
      } else line = next;
      if (y < 60) {
        page = doc.addPage([595, 842]);
        y = 790;
      }
    }
    if (line) page.drawText(line, { x: 50, y, size, font: f, color: rgb(0.04, 0.05, 0.05) });
    y -= size + 7;
  };
  write(title, bold, 18);
  y -= 8;
  for (const [k, v] of lines) {
    write(k, bold, 11);
    write(v, font, 11);
    y -= 4;
  }
  y -= 8;
  for (const f of footer) write(f, font, 8);
  return doc.save();
}
