// The staff console's data agreement form: what a service team fills in (purpose in English
// and Welsh, DPV purpose, lawful basis, the facts — chosen from the exchange's catalogue of
// attributes when the exchange is there, typed in otherwise — how long, the privacy notice,
// the DPIA) and its checks, with GOV.UK error messages.
import { list, str, type FormBody } from '../../kernel/forms.js';
import type { Lang } from '../../kernel/views.js';
import type { ExchangeAttribute } from './exchange.js';
import type { AgreementInput } from './service-agreements.js';
import type { AgreementAttribute, AgreementRow, PolicyRow } from './store.js';
import type { T } from './web.js';

export const DPV_PURPOSES = [
  'dpv:ServiceProvision',
  'dpv:IdentityVerification',
  'dpv:FraudPreventionAndDetection',
  'dpv:CommunicationForCustomerCare',
  'dpv:ResearchAndDevelopment',
];
export const BASES = ['consent', 'public_task', 'legal_obligation', 'contract', 'vital_interest', 'legitimate_interest'];

export type FormValues = Record<string, string | string[]>;

/** The form's values for an existing agreement (or its pending change). */
export function valuesOf(a: AgreementRow, policy: PolicyRow | null): FormValues {
  const f = (a.pending ?? a) as AgreementRow;
  return {
    purpose: f.purpose,
    purposeCy: f.purpose_cy ?? '',
    description: f.purpose_description,
    descriptionCy: f.purpose_description_cy ?? '',
    dpvPurpose: f.dpv_purpose,
    lawfulBasis: f.lawful_basis,
    attributes: f.attributes.filter((x) => x.provider).map((x) => x.id),
    extra: f.attributes
      .filter((x) => !x.provider)
      .map((x) => `${x.id} | ${x.name}`)
      .join('\n'),
    durationDays: f.duration_days === null ? '' : String(f.duration_days),
    partial: f.partial_allowed ? 'yes' : '',
    policyName: policy?.name ?? '',
    policyUrl: policy?.url ?? '',
    dpia: f.dpia,
  };
}

/** Parses the form; returns the input and any errors (field → message key). */
export function parseForm(body: FormBody | undefined, catalogue: ExchangeAttribute[], t: T) {
  const v: FormValues = {
    purpose: str(body, 'purpose', 600),
    purposeCy: str(body, 'purposeCy', 600),
    description: str(body, 'description', 5000),
    descriptionCy: str(body, 'descriptionCy', 5000),
    dpvPurpose: str(body, 'dpvPurpose', 100),
    lawfulBasis: str(body, 'lawfulBasis', 40),
    attributes: list(body, 'attributes').filter(Boolean).slice(0, 100),
    extra: str(body, 'extra', 20_000),
    durationDays: str(body, 'durationDays', 10),
    partial: str(body, 'partial', 5),
    policyName: str(body, 'policyName', 300),
    policyUrl: str(body, 'policyUrl', 2000),
    dpia: str(body, 'dpia', 5000),
  };
  const errors: Array<{ field: string; message: string }> = [];
  const err = (field: string, key: string) => errors.push({ field, message: t(`consent.admin.form.errors.${key}`) });
  if (!v.purpose) err('purpose', 'purpose');
  else if ((v.purpose as string).length > 500) err('purpose', 'purposeLong');
  if (!DPV_PURPOSES.includes(v.dpvPurpose as string)) err('dpvPurpose', 'dpvPurpose');
  if (!BASES.includes(v.lawfulBasis as string)) err('lawfulBasis', 'lawfulBasis');
  const byId = new Map(catalogue.map((a) => [a.id, a]));
  const chosen: AgreementAttribute[] = [];
  for (const id of v.attributes as string[]) {
    const a = byId.get(id);
    if (!a) {
      err('attributes', 'attributes');
      break;
    }
    chosen.push({
      id: a.id,
      name: a.name,
      nameCy: a.nameCy,
      description: '',
      sensitivity: a.sensitivity === 'special',
      category: a.dpvCategory,
      provider: a.provider,
      providerName: a.providerName,
    });
  }
  for (const line of (v.extra as string)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [left, right] = line.includes('|') ? line.split('|').map((s) => s.trim()) : [null, line];
    const name = right ?? '';
    const id =
      left ||
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
    if (!name || !/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/.test(id) || name.length > 200) {
      err('extra', 'extra');
      break;
    }
    chosen.push({ id, name, description: '', sensitivity: false, category: '' });
  }
  if (new Set(chosen.map((c) => c.id)).size !== chosen.length) err('extra', 'duplicate');
  if (!chosen.length && v.lawfulBasis === 'consent') err(catalogue.length ? 'attributes' : 'extra', 'none');
  let duration: number | null = null;
  if (v.durationDays) {
    if (!/^\d{1,5}$/.test(v.durationDays as string) || Number(v.durationDays) < 1 || Number(v.durationDays) > 36500)
      err('durationDays', 'duration');
    else duration = Number(v.durationDays);
  }
  if ((v.policyName || v.policyUrl) && (!v.policyName || !/^https?:\/\/\S+$/.test(v.policyUrl as string))) err('policyUrl', 'policy');
  const input: AgreementInput = {
    purpose: v.purpose as string,
    purpose_cy: (v.purposeCy as string) || null,
    purpose_description: v.description as string,
    purpose_description_cy: (v.descriptionCy as string) || null,
    dpv_purpose: v.dpvPurpose as string,
    lawful_basis: v.lawfulBasis as string,
    attributes: chosen,
    duration_days: duration,
    partial_allowed: v.partial === 'yes',
    dpia: v.dpia as string,
    policy: v.policyName ? { name: v.policyName as string, url: v.policyUrl as string, version: '1' } : undefined,
  };
  return { values: v, input, errors };
}

/** Select, radio and checkbox items for the form template. */
export function formItems(v: FormValues, catalogue: ExchangeAttribute[], t: T, lang: Lang) {
  const checked = new Set(v.attributes as string[]);
  return {
    purposeItems: DPV_PURPOSES.map((p) => ({ value: p, text: t(`consent.purposes.${p.slice(4)}`), selected: v.dpvPurpose === p })),
    basisItems: BASES.map((b) => ({ value: b, text: t(`consent.admin.bases.${b}`), checked: v.lawfulBasis === b })),
    attributeItems: catalogue.map((a) => ({
      value: a.id,
      text: lang === 'cy' && a.nameCy ? a.nameCy : a.name,
      hint: { text: `${a.providerName} · ${a.id}${a.sensitivity === 'special' ? ` · ${t('consent.admin.form.special')}` : ''}` },
      checked: checked.has(a.id),
    })),
  };
}
