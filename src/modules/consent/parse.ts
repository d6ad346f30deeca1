// Request bodies → use-case inputs. The API accepts both the spec's shapes (controller {id,
// name, url}, lifecycle {id, name}, nested policy) and the reference implementation's flat
// ones (controllerName, lifecycle "complete", dataAttributes, top-level optIn, form-encoded
// bodies). Anything of the wrong type is a 400 naming the field; nothing is guessed.
import type { AgreementInput } from './service-agreements.js';
import { fillPolicy } from './service-agreements.js';
import type { AgreementAttribute, PolicyFields, IndividualRow } from './store.js';
import { badRequest } from './errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function objectField(body: unknown, name: string): Obj {
  if (!isObj(body) || !isObj(body[name])) throw badRequest(`${name} is required: send {"${name}": {…}}`, name);
  return body[name] as Obj;
}

function s(o: Obj, key: string, field = key): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw badRequest(`${field} must be a string`, field);
  return v;
}
export function bool(o: Obj, key: string, field = key): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw badRequest(`${field} must be true or false`, field);
}
function int(o: Obj, key: string, field = key): number | null | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (v === null) return null;
  const n = typeof v === 'string' && /^-?\d{1,9}$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw badRequest(`${field} must be a whole number`, field);
  return n;
}

export function parsePolicy(p: Obj): Partial<PolicyFields> & { id?: string } {
  const out: Partial<PolicyFields> & { id?: string } = {
    id: s(p, 'id', 'policy.id') || undefined,
    name: s(p, 'name', 'policy.name'),
    version: s(p, 'version', 'policy.version'),
    url: s(p, 'url', 'policy.url'),
    jurisdiction: s(p, 'jurisdiction', 'policy.jurisdiction'),
    industry_sector: s(p, 'industrySector', 'policy.industrySector'),
    geographic_restriction: s(p, 'geographicRestriction', 'policy.geographicRestriction'),
    storage_location: s(p, 'storageLocation', 'policy.storageLocation'),
  };
  const days = int(p, 'dataRetentionPeriodDays', 'policy.dataRetentionPeriodDays');
  if (days !== undefined && days !== null) out.data_retention_period_days = days;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** A whole policy for create/update (the spec's Policy: name, version and url required). */
export function policyFields(body: unknown): PolicyFields {
  // GovStack's own test suite posts the Policy itself ({ name, jurisdiction, version, url }).
  const flat = isObj(body) && body.policy === undefined && typeof body.name === 'string';
  const p = flat ? (body as Obj) : objectField(body, 'policy');
  const parsed = parsePolicy(p);
  for (const k of ['name', 'url'] as const) if (!parsed[k]) throw badRequest(`policy.${k} is required`, `policy.${k}`);
  return fillPolicy(parsed);
}

function lifecycle(v: unknown): 'draft' | 'complete' | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const name = isObj(v) ? (v.name ?? v.id) : v;
  if (typeof name === 'string' && /^(draft|complete)$/i.test(name.trim())) return name.trim().toLowerCase() as 'draft' | 'complete';
  throw badRequest('lifecycle must be "draft" or "complete" (or {"name": "Complete"})', 'lifecycle');
}

function attributes(v: unknown): AgreementAttribute[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badRequest('dataAttributes must be a list', 'dataAttributes');
  if (v.length > 100) throw badRequest('An agreement can name at most 100 attributes', 'dataAttributes');
  return v.map((a, i) => {
    if (!isObj(a)) throw badRequest(`dataAttributes[${i}] must be an object`, 'dataAttributes');
    const name = s(a, 'name', `dataAttributes[${i}].name`) ?? '';
    const sens = a.sensitivity;
    const sensitivity =
      typeof sens === 'boolean' ? sens : typeof sens === 'string' ? !/^(|false|none|normal|low)$/i.test(sens.trim()) : false;
    return {
      id: s(a, 'id', `dataAttributes[${i}].id`) || slug(name) || `attribute-${i + 1}`,
      name,
      nameCy: s(a, 'nameCy', `dataAttributes[${i}].nameCy`) ?? null,
      description: s(a, 'description', `dataAttributes[${i}].description`) ?? '',
      sensitivity,
      category: s(a, 'category', `dataAttributes[${i}].category`) ?? '',
      ...(s(a, 'provider') ? { provider: s(a, 'provider'), providerName: s(a, 'providerName') ?? s(a, 'provider') } : {}),
    };
  });
}
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 100);

const BASES: Record<string, string> = {
  legal_obligation: 'legal_obligation',
  legalobligation: 'legal_obligation',
  vital_interests: 'vital_interest',
  public_interest: 'public_task',
  legitimate_interests: 'legitimate_interest',
};

/** A data agreement from a request body ({"dataAgreement": {…}}), in either the spec's or the reference's shape. */
export function agreementInput(body: unknown): AgreementInput {
  const d = objectField(body, 'dataAgreement');
  const controller = isObj(d.controller) ? d.controller : {};
  const policy = d.policy === undefined ? undefined : d.policy === null ? null : isObj(d.policy) ? parsePolicy(d.policy) : undefined;
  if (d.policy !== undefined && d.policy !== null && !isObj(d.policy)) throw badRequest('policy must be an object', 'policy');
  const basis = s(d, 'lawfulBasis')
    ?.trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  const compatible = isObj(d.compatibleWithVersion) ? s(d.compatibleWithVersion, 'id', 'compatibleWithVersion.id') : undefined;
  const out: AgreementInput = {
    service_id: s(d, 'serviceId'),
    version: s(d, 'version'),
    controller_id: s(controller, 'id', 'controller.id') ?? s(d, 'controllerId'),
    controller_name: s(controller, 'name', 'controller.name') ?? s(d, 'controllerName'),
    controller_url: s(controller, 'url', 'controller.url') ?? s(d, 'controllerUrl'),
    purpose: s(d, 'purpose'),
    purpose_cy: s(d, 'purposeCy'),
    purpose_description: s(d, 'purposeDescription'),
    purpose_description_cy: s(d, 'purposeDescriptionCy'),
    dpv_purpose: s(d, 'dpvPurpose'),
    lawful_basis: basis ? (BASES[basis] ?? basis) : undefined,
    data_use: s(d, 'dataUse') ?? s(d, 'methodOfUse'),
    dpia: s(d, 'dpia'),
    dpia_date: s(d, 'dpiaDate'),
    dpia_summary_url: s(d, 'dpiaSummaryUrl'),
    active: bool(d, 'active'),
    forgettable: bool(d, 'forgettable'),
    lifecycle: lifecycle(d.lifecycle),
    attributes: attributes(d.dataAttributes ?? d.attributes),
    partial_allowed: bool(d, 'partialAllowed'),
    duration_days: int(d, 'durationDays'),
    compatible_with_version_id: compatible ?? s(d, 'compatibleWithVersionId'),
    policy,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as AgreementInput;
}

export function individualInput(body: unknown): Pick<IndividualRow, 'external_id' | 'external_id_type' | 'identity_provider_id'> {
  const i = objectField(body, 'individual');
  const f = {
    external_id: s(i, 'externalId', 'individual.externalId') ?? '',
    external_id_type: s(i, 'externalIdType', 'individual.externalIdType') ?? '',
    identity_provider_id: s(i, 'identityProviderId', 'individual.identityProviderId') ?? '',
  };
  for (const [k, v] of Object.entries(f)) if (v.length > 500) throw badRequest(`individual.${k} must be 500 characters or fewer`, k);
  return f;
}

/** optIn (and optionally the facts and an end date) from {consentRecord: {…}} or the top level. */
export function recordChange(body: unknown): { optIn?: boolean; attributes?: string[]; expiresAt?: Date | null } {
  const top: Obj = isObj(body) ? body : {};
  const r: Obj = isObj(top.consentRecord) ? top.consentRecord : top;
  const optIn = bool(r, 'optIn', 'optIn');
  let attrs: string[] | undefined;
  if (r.attributes !== undefined) {
    if (!Array.isArray(r.attributes) || r.attributes.some((a) => typeof a !== 'string' || a.length > 200) || r.attributes.length > 100)
      throw badRequest('attributes must be a list of attribute ids', 'attributes');
    attrs = r.attributes as string[];
  }
  let expiresAt: Date | null | undefined;
  if (r.expiresAt !== undefined && r.expiresAt !== null) {
    const t = typeof r.expiresAt === 'string' && r.expiresAt.length <= 40 ? Date.parse(r.expiresAt) : NaN;
    if (!Number.isFinite(t)) throw badRequest('expiresAt must be a date and time (ISO 8601)', 'expiresAt');
    expiresAt = new Date(t);
  }
  if (optIn === undefined && attrs === undefined && expiresAt === undefined) throw badRequest('optIn is required (true or false)', 'optIn');
  return { optIn, attributes: attrs, expiresAt };
}

/** The fields of a Signature a client may set (the rest the Consent BB works out). */
export function signatureInput(body: unknown): Obj {
  const sig = objectField(body, 'signature');
  const out: Obj = {};
  for (const k of [
    'signature',
    'verificationMethod',
    'verificationSignedBy',
    'verificationSignedAs',
    'verificationArtifact',
    'verificationJwsHeader',
    'payload',
  ]) {
    const v = s(sig, k, `signature.${k}`);
    if (v !== undefined) {
      if (v.length > (k === 'verificationArtifact' ? 200_000 : 20_000)) throw badRequest(`signature.${k} is too long`, `signature.${k}`);
      out[k] = v;
    }
  }
  return out;
}
