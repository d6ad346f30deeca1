// X-Road identifiers: members {instance}/{class}/{code}, subsystems …/{subsystem}, services
// …/{subsystem}/{service}. Parts are percent-encoded UTF-8 on the wire (PR-REST §4.2) and
// strictly validated here: bounded length, no control characters, no separators inside a part.

export interface MemberId {
  instance: string;
  memberClass: string;
  memberCode: string;
}
export interface SubsystemId extends MemberId {
  subsystem: string;
}
export interface ServiceRef extends SubsystemId {
  service: string;
}

/** One identifier part: 1–64 characters, no '/', no control characters, no surrounding spaces. */
export const PART = /^[^/\s\p{Cc}\p{Cs}][^/\p{Cc}\p{Cs}]{0,62}(?<!\s)$|^[^/\s\p{Cc}\p{Cs}]$/u;
export const isPart = (s: unknown): s is string => typeof s === 'string' && PART.test(s) && !s.includes('\uFFFD');

const enc = (s: string) => encodeURIComponent(s);
export const memberKey = (m: MemberId) => `${m.instance}/${m.memberClass}/${m.memberCode}`;
export const subsystemKey = (s: SubsystemId) => `${memberKey(s)}/${s.subsystem}`;
export const serviceKey = (s: ServiceRef) => `${subsystemKey(s)}/${s.service}`;
/** The percent-encoded form used in URLs and the X-Road-Client header. */
export const encodeId = (parts: string[]) => parts.map(enc).join('/');

function decodeParts(raw: string): string[] | null {
  try {
    return raw.split('/').map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
}

/** Parses `INSTANCE/CLASS/MEMBER[/SUBSYSTEM]` (percent-encoded parts); null when malformed. */
export function parseClient(raw: string | undefined): (MemberId & { subsystem?: string }) | null {
  if (!raw || raw.length > 400) return null;
  const parts = decodeParts(raw.trim());
  if (!parts || (parts.length !== 3 && parts.length !== 4) || !parts.every(isPart)) return null;
  const [instance, memberClass, memberCode, subsystem] = parts;
  return { instance, memberClass, memberCode, ...(subsystem ? { subsystem } : {}) };
}

export function parseSubsystem(raw: string): SubsystemId | null {
  const c = parseClient(raw);
  return c?.subsystem ? (c as SubsystemId) : null;
}

export function parseService(raw: string): ServiceRef | null {
  const parts = decodeParts(raw);
  if (!parts || parts.length !== 5 || !parts.every(isPart)) return null;
  const [instance, memberClass, memberCode, subsystem, service] = parts;
  return { instance, memberClass, memberCode, subsystem, service };
}

/** The attribute id of docs/CONTRACTS.md: `{member code, lower case}/{subsystem}.{attribute}`. */
export const attributeId = (memberCode: string, subsystem: string, name: string) => `${memberCode.toLowerCase()}/${subsystem}.${name}`;
