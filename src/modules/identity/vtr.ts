// Vectors of trust as GOV.UK One Login reads them: `vtr` is a JSON array of vectors such as
// ["Cl.Cm.P2"]; each vector has a credential level (Cl: password; Cl.Cm: password and a
// second factor) and at most one identity level (P0 none, P1 low, P2 medium). Identity
// levels above P0 need Cl.Cm; identity and non-identity vectors cannot be mixed. No vtr
// means ["Cl.Cm"]. A bad vtr is `invalid_request`.

export type CredentialLevel = 'Cl' | 'Cl.Cm';
export type IdentityLevel = 'P0' | 'P1' | 'P2';
export interface Vector {
  cl: CredentialLevel;
  loc: IdentityLevel;
  text: string;
}

export const DEFAULT_VTR = '["Cl.Cm"]';
const LOC_RANK: Record<IdentityLevel, number> = { P0: 0, P1: 1, P2: 2 };
const CL_RANK: Record<CredentialLevel, number> = { Cl: 0, 'Cl.Cm': 1 };

export class InvalidVtr extends Error {}

function parseVector(raw: unknown): Vector {
  if (typeof raw !== 'string' || !raw || raw.length > 40) throw new InvalidVtr('each vector must be a string');
  const parts = raw.split('.');
  const creds = parts.filter((p) => p.startsWith('C')).sort();
  const locs = parts.filter((p) => p.startsWith('P'));
  if (parts.some((p) => !p.startsWith('C') && !p.startsWith('P'))) throw new InvalidVtr(`unknown component in ${raw}`);
  const cl = creds.join('.');
  if (cl !== 'Cl' && cl !== 'Cl.Cm') throw new InvalidVtr(`unsupported credential trust in ${raw}`);
  if (locs.length > 1) throw new InvalidVtr('a vector has at most one identity level');
  const loc = (locs[0] ?? 'P0') as IdentityLevel;
  if (!(loc in LOC_RANK)) throw new InvalidVtr(`unsupported level of confidence ${loc}`);
  if (loc !== 'P0' && cl !== 'Cl.Cm') throw new InvalidVtr('identity levels above P0 need Cl.Cm');
  return { cl, loc, text: loc === 'P0' ? cl : `${cl}.${loc}` };
}

/** Parses and checks a vtr parameter (undefined → the default). Throws InvalidVtr. */
export function parseVtr(vtr: string | undefined): Vector[] {
  let list: unknown;
  try {
    list = JSON.parse(vtr ?? DEFAULT_VTR);
  } catch {
    throw new InvalidVtr('vtr must be a JSON array');
  }
  if (!Array.isArray(list)) throw new InvalidVtr('vtr must be a JSON array');
  if (list.length === 0) list = JSON.parse(DEFAULT_VTR);
  if ((list as unknown[]).length > 5) throw new InvalidVtr('too many vectors');
  const vectors = (list as unknown[]).map(parseVector);
  const identity = vectors.filter((v) => v.loc !== 'P0');
  if (identity.length && identity.length < vectors.length) throw new InvalidVtr('identity and non-identity vectors cannot be mixed');
  return vectors;
}

export const clAtLeast = (have: string | undefined, want: CredentialLevel) =>
  have === 'Cl' || have === 'Cl.Cm' ? CL_RANK[have] >= CL_RANK[want] : false;
export const locAtLeast = (have: IdentityLevel, want: IdentityLevel) => LOC_RANK[have] >= LOC_RANK[want];

/** The first vector this sign-in (credential level) and account (identity level) satisfy. */
export function satisfied(vectors: Vector[], cl: string | undefined, loc: IdentityLevel): Vector | undefined {
  return vectors.find((v) => clAtLeast(cl, v.cl) && locAtLeast(loc, v.loc));
}

/** The easiest vector to reach: what an interaction asks the user for. */
export function easiest(vectors: Vector[]): Vector {
  return [...vectors].sort((a, b) => LOC_RANK[a.loc] - LOC_RANK[b.loc] || CL_RANK[a.cl] - CL_RANK[b.cl])[0];
}
