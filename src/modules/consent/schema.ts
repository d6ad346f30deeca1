// TypeBox schemas of the GovStack Consent API's objects (specs/govstack-consent/consent-openapi.yaml),
// for the OpenAPI document and response serialisation. Objects allow further properties: the
// API returns the reference implementation's flat ids and Cityscape's additions beside the
// spec's fields. Request bodies are read by parse.ts, which accepts both shapes.
import { Type, type TSchema } from '@sinclair/typebox';

const open = <T extends Record<string, TSchema>>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: true, ...(description ? { description } : {}) });
const Str = Type.String();
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Opt = Type.Optional;

export const Policy = open(
  {
    id: Str,
    name: Str,
    version: Str,
    url: Str,
    jurisdiction: Opt(Str),
    industrySector: Opt(Str),
    dataRetentionPeriodDays: Opt(Type.Integer()),
    geographicRestriction: Opt(Str),
    storageLocation: Opt(Str),
  },
  'A policy governs data agreements in the realm of an organisation (the data controller).',
);

export const Revision = open(
  {
    id: Str,
    schemaName: Str,
    objectId: Str,
    signedWithoutObjectId: Opt(Type.Boolean()),
    serializedSnapshot: Str,
    serializedHash: Type.String({ description: 'SHA-1 (hex) of serializedSnapshot' }),
    timestamp: Str,
    authorizedByIndividual: Opt(open({ id: Str })),
    authorizedByIndividualId: Opt(Str),
    authorizedByOther: Opt(Str),
    successorId: Opt(Str),
    predecessorHash: Opt(Str),
    predecessorSignature: Opt(Str),
    signature: Opt(
      Type.String({
        description: 'Cityscape: the platform JWS (EdDSA) over this link of the chain; keys at /consent/.well-known/jwks.json',
      }),
    ),
  },
  'A locked, signed snapshot of one object; revisions of an object form a hash chain.',
);

const Attribute = open({ id: Str, name: Str, description: Opt(Str), sensitivity: Opt(Type.Boolean()), category: Opt(Str) });

export const DataAgreement = open(
  {
    id: Str,
    version: Str,
    controller: Opt(open({ id: Str, name: Str, url: Str })),
    controllerId: Opt(Str),
    controllerName: Opt(Str),
    controllerUrl: Opt(Str),
    policy: Opt(Policy),
    purpose: Str,
    purposeDescription: Opt(Str),
    lawfulBasis: Str,
    dataUse: Opt(Str),
    methodOfUse: Opt(Str),
    dpia: Str,
    dpiaDate: Opt(Str),
    dpiaSummaryUrl: Opt(Str),
    active: Opt(Type.Boolean()),
    forgettable: Opt(Type.Boolean()),
    compatibleWithVersionId: Opt(Str),
    lifecycle: Opt(open({ id: Str, name: Str })),
    dataAttributes: Opt(Type.Array(Attribute)),
    serviceId: Opt(Type.String({ description: 'Cityscape: the catalogue service that asks for consent' })),
    dpvPurpose: Opt(Type.String({ description: 'Cityscape: the DPV purpose, e.g. dpv:ServiceProvision' })),
    purposeCy: Opt(Nullable(Str)),
    purposeDescriptionCy: Opt(Nullable(Str)),
    partialAllowed: Opt(Type.Boolean()),
    durationDays: Opt(Nullable(Type.Integer())),
    approval: Opt(Str),
    revisionId: Opt(Nullable(Str)),
    createdAt: Opt(Nullable(Str)),
    updatedAt: Opt(Nullable(Str)),
  },
  'A data agreement: one purpose a citizen can consent to.',
);

export const Individual = open({ id: Str, externalId: Opt(Str), externalIdType: Opt(Str), identityProviderId: Opt(Str) });

export const Signature = open({
  id: Opt(Str),
  payload: Str,
  signature: Str,
  verificationMethod: Str,
  verificationPayload: Str,
  verificationPayloadHash: Str,
  verificationArtifact: Opt(Str),
  verificationSignedBy: Str,
  verificationSignedAs: Opt(Str),
  verificationJwsHeader: Opt(Str),
  timestamp: Str,
  signedWithoutObjectReference: Opt(Type.Boolean()),
  objectType: Opt(Str),
  objectReference: Opt(Str),
});

export const ConsentRecord = open({
  id: Opt(Str),
  dataAgreementId: Str,
  dataAgreementRevisionId: Str,
  dataAgreementRevisionHash: Str,
  individualId: Str,
  individual: Opt(open({ id: Str })),
  optIn: Type.Boolean(),
  state: Str,
  signatureId: Opt(Str),
  status: Opt(Type.String({ description: 'Cityscape: given, declined or withdrawn' })),
  attributes: Opt(Type.Array(Str, { description: 'Cityscape: the attribute ids agreed to' })),
  givenAt: Opt(Nullable(Str)),
  expiresAt: Opt(Nullable(Str)),
  withdrawnAt: Opt(Nullable(Str)),
  givenByDelegate: Opt(Type.Boolean()),
  timestamp: Opt(Nullable(Str)),
});

export const Webhook = open({
  id: Str,
  payloadUrl: Str,
  contentType: Str,
  subscribedEvents: Type.Array(Str),
  disabled: Type.Boolean(),
  secretKey: Type.String({ description: 'Shown whole when created; masked afterwards (send it back unchanged to keep it)' }),
  skipSslVerification: Opt(Type.Boolean()),
});

export const Pagination = open({
  currentPage: Type.Integer(),
  totalItems: Type.Integer(),
  totalPages: Type.Integer(),
  limit: Type.Integer(),
  hasPrevious: Type.Boolean(),
  hasNext: Type.Boolean(),
});

export const ErrorBody = Type.Object({
  errorCode: Type.Integer(),
  errorDescription: Str,
  errors: Opt(Type.Array(open({ field: Str, message: Str }))),
});

export const Paging = Type.Object({
  offset: Opt(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Index of the first item' })),
  limit: Opt(Type.Integer({ minimum: 1, maximum: 1000, description: 'Items per page (default 10)' })),
});

export const body = (name: string, schema: TSchema) => open({ [name]: schema });
export const Anything = Type.Unknown({ description: 'A JSON object (see the schemas in the description)' });
