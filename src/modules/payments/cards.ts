// Card checks done before any gateway sees a card: brand from the number's prefix (the
// names GOV.UK Pay reports), the Luhn check digit, expiry not in the past, security code
// length. Only `maskedCard` output is ever kept: brand, first six, last four.

export interface Brand {
  id: string;
  label: string;
  cvcLength: number;
  lengths: number[];
}

const BRANDS: Array<Brand & { prefix: RegExp }> = [
  { id: 'amex', label: 'American Express', prefix: /^3[47]/, cvcLength: 4, lengths: [15] },
  { id: 'diners-club', label: 'Diners Club', prefix: /^3(0[0-5]|095|[689])/, cvcLength: 3, lengths: [14, 15, 16, 17, 18, 19] },
  { id: 'jcb', label: 'JCB', prefix: /^35(2[89]|[3-8])/, cvcLength: 3, lengths: [16, 17, 18, 19] },
  {
    id: 'maestro',
    label: 'Maestro',
    prefix: /^(5018|5020|5038|5893|6304|6759|676[1-3]|0604|6390)/,
    cvcLength: 3,
    lengths: [12, 13, 14, 15, 16, 17, 18, 19],
  },
  { id: 'discover', label: 'Discover', prefix: /^(6011|64[4-9]|65)/, cvcLength: 3, lengths: [16, 17, 18, 19] },
  { id: 'unionpay', label: 'Union Pay', prefix: /^62/, cvcLength: 3, lengths: [16, 17, 18, 19] },
  { id: 'master-card', label: 'Mastercard', prefix: /^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/, cvcLength: 3, lengths: [16] },
  { id: 'visa', label: 'Visa', prefix: /^4/, cvcLength: 3, lengths: [13, 16, 18, 19] },
];

/** Brands taken unless a service says otherwise (GOV.UK Pay's test accounts refuse Maestro). */
export const ACCEPTED_BRANDS = ['visa', 'master-card', 'amex', 'diners-club', 'discover', 'jcb', 'unionpay'];

export const digitsOnly = (s: string) => s.replace(/[\s-]/g, '');

export function brandOf(number: string): Brand | null {
  const n = digitsOnly(number);
  const b = BRANDS.find((x) => x.prefix.test(n));
  return b ? { id: b.id, label: b.label, cvcLength: b.cvcLength, lengths: b.lengths } : null;
}

export function luhnValid(number: string): boolean {
  const n = digitsOnly(number);
  if (!/^\d{12,19}$/.test(n)) return false;
  let sum = 0;
  for (let i = 0; i < n.length; i++) {
    let d = n.charCodeAt(n.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Month and two- or four-digit year → { month, year (4 digits) }, or null if not a date. */
export function parseExpiry(month: string, year: string): { month: number; year: number } | null {
  if (!/^\d{1,2}$/.test(month.trim()) || !/^(\d{2}|\d{4})$/.test(year.trim())) return null;
  const m = Number(month),
    y = Number(year.trim().length === 2 ? `20${year.trim()}` : year);
  if (m < 1 || m > 12) return null;
  return { month: m, year: y };
}

/** A card is good to the end of its expiry month. */
export function expiryInPast(e: { month: number; year: number }, now = new Date()): boolean {
  return e.year < now.getUTCFullYear() || (e.year === now.getUTCFullYear() && e.month < now.getUTCMonth() + 1);
}

export const expiryText = (e: { month: number; year: number }) =>
  `${String(e.month).padStart(2, '0')}/${String(e.year % 100).padStart(2, '0')}`;

/** What may be stored and shown about a card. */
export function maskedCard(number: string) {
  const n = digitsOnly(number);
  return { first6: n.slice(0, 6), last4: n.slice(-4), brand: brandOf(n) };
}
