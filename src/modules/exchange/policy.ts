// The one policy decision before anything is forwarded: an access right exists for this
// client and service; the purpose is granted; the legal basis holds (consent: the consent
// module says so now; a statute or public task: registered and granted to this client);
// the person has not objected where the basis lets them; and which attributes may pass back.
import { attributeId } from './ids.js';
import type { RightRow } from './store.js';
import type { Directory, Service } from './directory.js';

/** docs/CONTRACTS.md's consent.decide, taken as an optional dependency. */
export interface ConsentDecider {
  decide(input: { subject: string; consumerServiceId: string; purpose: string; attributes: string[]; at?: Date }): Promise<{
    allow: boolean;
    basis: 'consent' | null;
    recordId: string | null;
    allowedAttributes: string[];
    expiresAt: string | null;
    reason?: string;
  }>;
}

export const BASIS = /^(consent):([A-Za-z0-9._:-]{1,100})$|^(statute|public-task):([a-z0-9][a-z0-9-]{0,80})$/;
export const PURPOSE = /^[A-Za-z][A-Za-z0-9-]{0,30}:[A-Za-z][A-Za-z0-9_-]{0,80}$/;

export type Decision =
  | { allow: true; attributes: string[]; visibleFrom: string | null; right: RightRow }
  | { allow: false; message: string; attributes: string[] };

export async function decide(
  d: Directory,
  deps: { consent?: ConsentDecider; objected(subject: string, client: string, serviceId: string): Promise<boolean> },
  input: {
    client: string;
    consumerServiceId: string | null;
    service: Service;
    purpose: string;
    basis: string;
    subject: string;
    requested?: string[];
  },
): Promise<Decision> {
  const { client, service, purpose, basis, subject } = input;
  const { consent } = deps;
  const none = (message: string): Decision => ({ allow: false, message, attributes: [] });
  const rights = d.rights.get(`${client}|${service.row.id}`) ?? [];
  if (!rights.length) return none(`No access right lets ${client} call ${service.key}`);
  const forPurpose = rights.filter((r) => r.purposes.includes(purpose));
  if (!forPurpose.length) return none(`${client} may not call ${service.key} for the purpose ${purpose}`);
  const m = BASIS.exec(basis);
  if (!m) return none(`The legal basis "${basis}" is not one of consent:{recordId}, statute:{id} or public-task:{id}`);
  const basisKey = m[1] ? 'consent' : basis;
  const granted = forPurpose.filter((r) => r.bases.includes(basisKey));
  if (!granted.length) return none(`${client} may not call ${service.key} for ${purpose} on the basis ${basisKey}`);
  let attributes = [...new Set(granted.flatMap((r) => r.attributes))].filter((a) => service.attributes.some((x) => x.name === a));
  if (input.requested?.length) attributes = attributes.filter((a) => input.requested!.includes(a));
  let visibleFrom: string | null = null;
  if (basisKey === 'consent') {
    if (!consent) return none('Consent cannot be checked: the consent module is not available on this node');
    if (!input.consumerServiceId) return none('Consent is decided where the client is registered; use a statutory basis across nodes');
    const ids = attributes.map((a) => attributeId(service.ref.memberCode, service.ref.subsystem, a));
    const r = await consent.decide({ subject, consumerServiceId: input.consumerServiceId, purpose, attributes: ids });
    if (!r.allow) return none(`The person's consent does not allow this (${r.reason ?? 'declined'})`);
    if (r.recordId && r.recordId !== m[2]) return none(`Consent record ${m[2]} is not the record that allows this use`);
    attributes = attributes.filter((a) => r.allowedAttributes.includes(attributeId(service.ref.memberCode, service.ref.subsystem, a)));
  } else {
    const b = d.bases.get(basisKey);
    if (!b) return none(`The legal basis ${basisKey} is not registered on this exchange`);
    if (b.objection && (await deps.objected(subject, client, service.row.id)))
      return none(`The person has objected to ${client} using ${service.key}, as ${b.citation} allows`);
    const covert = granted.find((r) => r.covert_days);
    if (b.covert && covert) visibleFrom = new Date(Date.now() + covert.covert_days! * 86_400_000).toISOString();
  }
  if (!attributes.length) return none(`None of the attributes asked for may be released to ${client}`);
  return { allow: true, attributes, visibleFrom, right: granted[0] };
}
