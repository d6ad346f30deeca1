// Evidence that someone may act for another person: a lasting power of attorney (checked with
// the Office of the Public Guardian) or a parental link (checked with the register office's
// births register). Both are third parties Cityscape cannot reach here, so the default
// adapter is a small demo register, marked as such, behind the contract a real checker
// implements (the registries module's births register can replace the parental half).

export interface EvidenceCheck {
  type: 'lpa' | 'parental_link';
  reference: string;
  /** The person acted for and the one acting, as far as known (proven names, birth dates). */
  grantor: { name: string | null; birthDate: string | null };
  delegate: { name: string | null; birthDate: string | null };
}
export interface EvidenceChecker {
  check(input: EvidenceCheck): Promise<{ ok: boolean; detail: string }>;
}

/** LPA references look like OPG's: M-XXXX-XXXX-XXXX (modernised) or a 7000-… case number. */
export const LPA_REFERENCE = /^(M(-[0-9A-Z]{4}){3}|7\d{3}-?\d{4}-?\d{4})$/;
/** Birth registration: district-entry reference as the GRO index gives it, e.g. RIV-2014-00123. */
export const BIRTH_REFERENCE = /^[A-Z]{3}-\d{4}-\d{5}$/;

interface DemoLpa {
  reference: string;
  kind: string;
  registered: string;
  status: 'registered' | 'cancelled';
}
interface DemoBirth {
  reference: string;
  registered: string;
}

/** Fictional entries for demos and tests (no real person). */
export const DEMO_LPAS: DemoLpa[] = [
  { reference: 'M-DEMO-0000-0001', kind: 'property and financial affairs', registered: '2021-03-14', status: 'registered' },
  { reference: 'M-DEMO-0000-0002', kind: 'health and welfare', registered: '2019-11-02', status: 'registered' },
  { reference: 'M-DEMO-0000-0009', kind: 'property and financial affairs', registered: '2015-06-30', status: 'cancelled' },
];
export const DEMO_BIRTHS: DemoBirth[] = [
  { reference: 'RIV-2012-00417', registered: '2012-05-09' },
  { reference: 'RIV-2016-01022', registered: '2016-09-21' },
];

export function demoEvidence(): EvidenceChecker {
  return {
    async check(input) {
      const ref = input.reference.trim().toUpperCase();
      if (input.type === 'lpa') {
        const lpa = DEMO_LPAS.find((l) => l.reference === ref);
        if (!lpa) return { ok: false, detail: 'No registered lasting power of attorney has this reference' };
        if (lpa.status !== 'registered') return { ok: false, detail: 'This lasting power of attorney has been cancelled' };
        return { ok: true, detail: `Lasting power of attorney for ${lpa.kind}, registered ${lpa.registered} (demo register)` };
      }
      const birth = DEMO_BIRTHS.find((b) => b.reference === ref);
      if (!birth) return { ok: false, detail: 'No birth registration has this reference' };
      return { ok: true, detail: `Birth registered ${birth.registered}, parent named on the entry (demo register)` };
    },
  };
}
