// Rows → the GovStack Consent API's bodies. Each object carries the spec's fields (Policy,
// DataAgreement, Revision, ConsentRecord, Signature, Individual, Webhook) and the flat ids the
// reference implementation returns (dataAgreementId, individualId, successorId, …), so tools
// built against either read what they expect. Cityscape's additions (serviceId, dpvPurpose,
// attributes agreed, expiry) are extra fields, which the spec's schemas allow.
import type { AgreementRow, IndividualRow, PolicyRow } from './store.js';
import type { RecordRow, SignatureRow } from './store-records.js';
import type { RevisionRow } from './revisions.js';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export function policyJson(p: PolicyRow) {
  return {
    id: p.id,
    name: p.name,
    version: p.version,
    url: p.url,
    jurisdiction: p.jurisdiction,
    industrySector: p.industry_sector,
    dataRetentionPeriodDays: p.data_retention_period_days,
    geographicRestriction: p.geographic_restriction,
    storageLocation: p.storage_location,
  };
}
export type PolicyJson = ReturnType<typeof policyJson>;

const LIFECYCLE = { draft: 'Draft', complete: 'Complete' } as const;

/** What a revision of a data agreement records: everything a citizen is shown and agrees to. */
export function agreementSnapshot(a: AgreementRow, policy: PolicyRow | null) {
  return {
    id: a.id,
    version: a.version,
    controller: { id: a.controller_id || a.organisation_id, name: a.controller_name, url: a.controller_url },
    controllerId: a.controller_id || a.organisation_id,
    controllerName: a.controller_name,
    controllerUrl: a.controller_url,
    ...(policy ? { policy: policyJson(policy) } : {}),
    purpose: a.purpose,
    purposeDescription: a.purpose_description,
    lawfulBasis: a.lawful_basis,
    dataUse: a.data_use,
    methodOfUse: a.data_use,
    dpia: a.dpia,
    dpiaDate: a.dpia_date,
    dpiaSummaryUrl: a.dpia_summary_url,
    active: a.active,
    forgettable: a.forgettable,
    compatibleWithVersionId: a.compatible_with_version_id,
    lifecycle: { id: a.lifecycle, name: LIFECYCLE[a.lifecycle] },
    dataAttributes: a.attributes.map((x) => ({
      id: x.id,
      name: x.name,
      description: x.description,
      sensitivity: x.sensitivity,
      category: x.category,
      ...(x.provider ? { provider: x.provider, providerName: x.providerName ?? x.provider } : {}),
      ...(x.nameCy ? { nameCy: x.nameCy } : {}),
    })),
    // Cityscape: which service asks, the DPV purpose, Welsh copy, how long a consent lasts.
    serviceId: a.service_id,
    dpvPurpose: a.dpv_purpose,
    purposeCy: a.purpose_cy,
    purposeDescriptionCy: a.purpose_description_cy,
    partialAllowed: a.partial_allowed,
    durationDays: a.duration_days,
  };
}

export function agreementJson(a: AgreementRow, policy: PolicyRow | null) {
  return {
    ...agreementSnapshot(a, policy),
    approval: a.approval,
    revisionId: a.revision_id,
    createdAt: iso(a.created_at),
    updatedAt: iso(a.updated_at),
  };
}

export function revisionJson(r: RevisionRow) {
  return {
    id: r.id,
    schemaName: r.schema_name,
    objectId: r.object_id,
    signedWithoutObjectId: false,
    serializedSnapshot: r.serialized_snapshot,
    serializedHash: r.serialized_hash,
    timestamp: r.timestamp,
    ...(r.authorized_by_individual ? { authorizedByIndividual: { id: r.authorized_by_individual } } : {}),
    authorizedByIndividualId: r.authorized_by_individual ?? '',
    authorizedByOther: r.authorized_by_other,
    successorId: r.successor_id ?? '',
    predecessorHash: r.predecessor_hash,
    predecessorSignature: r.predecessor_signature,
    // Cityscape: the platform's JWS over this link of the chain (keys at /consent/.well-known/jwks.json).
    signature: r.signature,
  };
}

export function individualJson(i: IndividualRow) {
  return {
    id: i.id,
    externalId: i.external_id,
    externalIdType: i.external_id_type,
    identityProviderId: i.identity_provider_id,
  };
}

export function recordJson(r: RecordRow) {
  return {
    id: r.id,
    dataAgreementId: r.agreement_id,
    dataAgreementRevisionId: r.agreement_revision_id,
    dataAgreementRevisionHash: r.agreement_revision_hash,
    individualId: r.individual_id,
    individual: { id: r.individual_id },
    optIn: r.opt_in,
    state: r.state,
    signatureId: r.signature_id ?? '',
    // Cityscape: what the individual last said, the facts agreed to, when it ends, who gave it.
    status: r.status,
    attributes: r.attributes,
    givenAt: iso(r.given_at),
    expiresAt: iso(r.expires_at),
    withdrawnAt: iso(r.withdrawn_at),
    givenByDelegate: r.delegation_id !== null,
    timestamp: iso(r.updated_at),
  };
}

export function signatureJson(s: SignatureRow | (Omit<SignatureRow, 'id'> & { id?: string })) {
  return {
    ...(s.id ? { id: s.id } : {}),
    payload: s.payload,
    signature: s.signature,
    verificationMethod: s.verification_method,
    verificationPayload: s.verification_payload,
    verificationPayloadHash: s.verification_payload_hash,
    verificationArtifact: s.verification_artifact,
    verificationSignedBy: s.verification_signed_by,
    verificationSignedAs: s.verification_signed_as,
    verificationJwsHeader: s.verification_jws_header,
    timestamp: s.timestamp,
    signedWithoutObjectReference: s.signed_without_object_reference,
    objectType: s.object_type,
    objectReference: s.object_reference,
  };
}

/** The reference implementation's pagination block, from offset and limit. */
export function paginationJson(total: number, offset: number, limit: number) {
  const totalPages = Math.max(1, Math.ceil(total / limit));
  const currentPage = Math.min(totalPages, Math.floor(offset / limit) + 1);
  return { currentPage, totalItems: total, totalPages, limit, hasPrevious: offset > 0, hasNext: offset + limit < total };
}
