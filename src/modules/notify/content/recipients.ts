// Recipients as Notify checks them: email addresses, UK mobile numbers (international ones only
// when the service allows), and postal addresses for windowed envelopes (3 to 7 lines, a real
// UK postcode or, when allowed, a country on the last line). Messages are Notify's own.

export class InvalidRecipient extends Error {}

const EMAIL_LOCAL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+$/;
const HOST_PART = /^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$/i;

/** The address, trimmed, or throws "Not a valid email address". */
export function validateEmail(raw: string): string {
  const email = raw.trim().replace(/^mailto:/i, '');
  const fail = () => {
    throw new InvalidRecipient('Not a valid email address');
  };
  if (email.length > 320 || /\s/.test(email) || email.includes('..')) fail();
  const at = email.lastIndexOf('@');
  if (at < 1) fail();
  const local = email.slice(0, at);
  const host = email.slice(at + 1).toLowerCase();
  if (!EMAIL_LOCAL.test(local) || local.length > 64) fail();
  const parts = host.split('.');
  if (parts.length < 2 || host.length > 253) fail();
  for (const p of parts) if (!p || p.length > 63 || !HOST_PART.test(p)) fail();
  if (/^\d+$/.test(parts[parts.length - 1]) || parts[parts.length - 1].length < 2) fail();
  return email;
}

export interface Phone {
  normalised: string;
  international: boolean;
  country: string;
}

const CROWN_DEPENDENCY = /^44(7781|7839|7911|7509|7797|7937|7700|7829|7624|7524|7924)/;

/** A phone number normalised without + (447700900123), or throws Notify's message for it. */
export function validatePhone(raw: string, opts: { international: boolean }): Phone {
  const cleaned = raw.trim().replace(/[\s().\-\u00A0]/g, '');
  if (!/^\+?\d+$/.test(cleaned)) throw new InvalidRecipient('Must not contain letters or symbols');
  let digits = cleaned.replace(/^\+/, '');
  const explicit = cleaned.startsWith('+') || digits.startsWith('00');
  if (digits.startsWith('00')) digits = digits.slice(2);
  if (explicit && !digits.startsWith('44')) {
    if (!opts.international) throw new InvalidRecipient('Cannot send to international mobile numbers');
    if (digits.length < 8) throw new InvalidRecipient('Not enough digits');
    if (digits.length > 15) throw new InvalidRecipient('Too many digits');
    return { normalised: digits, international: true, country: digits.slice(0, 3) };
  }
  if (digits.startsWith('44')) digits = digits.slice(2);
  if (digits.startsWith('0')) digits = digits.slice(1);
  if (digits.length < 10) throw new InvalidRecipient('Not enough digits');
  if (digits.length > 10) throw new InvalidRecipient('Too many digits');
  if (!digits.startsWith('7')) throw new InvalidRecipient('Not a UK mobile number');
  const normalised = `44${digits}`;
  return { normalised, international: false, country: CROWN_DEPENDENCY.test(normalised) ? 'crown-dependency' : 'GB' };
}

export const normaliseEmail = (e: string) => e.trim().toLowerCase();
export function normalisePhoneLoose(p: string): string {
  try {
    return validatePhone(p, { international: true }).normalised;
  } catch {
    return p.replace(/\D/g, '');
  }
}

// Postal addresses.
const POSTCODE = /^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$/;
const BFPO = /^BFPO\s*(C\/O\s*)?\d{1,4}$/i;
const BAD_START = /^[@()=[\]”\\/,<>]/;
const EUROPE = new Set([
  'albania',
  'andorra',
  'austria',
  'belgium',
  'bosnia and herzegovina',
  'bulgaria',
  'croatia',
  'cyprus',
  'czechia',
  'czech republic',
  'denmark',
  'estonia',
  'finland',
  'france',
  'germany',
  'greece',
  'hungary',
  'iceland',
  'ireland',
  'italy',
  'latvia',
  'liechtenstein',
  'lithuania',
  'luxembourg',
  'malta',
  'monaco',
  'montenegro',
  'netherlands',
  'north macedonia',
  'norway',
  'poland',
  'portugal',
  'romania',
  'san marino',
  'serbia',
  'slovakia',
  'slovenia',
  'spain',
  'sweden',
  'switzerland',
  'turkey',
  'ukraine',
]);
const UK_NAMES = new Set(['uk', 'united kingdom', 'great britain', 'gb', 'england', 'scotland', 'wales', 'northern ireland']);

/** "SW1A1AA" or "sw1a 1aa" → "SW1A 1AA"; null when it is not a UK postcode. */
export function normalisePostcode(s: string): string | null {
  const compact = s.toUpperCase().replace(/[\s\u00A0]+/g, '');
  const m = POSTCODE.exec(compact);
  return m ? `${m[1]} ${m[2]}` : null;
}

export interface PostalAddress {
  lines: string[];
  postcode: string | null;
  country: string | null;
  postage: 'europe' | 'rest-of-world' | null;
}

export const ADDRESS_KEYS = [
  'address_line_1',
  'address_line_2',
  'address_line_3',
  'address_line_4',
  'address_line_5',
  'address_line_6',
  'address_line_7',
];

/** Address lines from letter personalisation (address_line_1…7, and the older `postcode`). */
export function addressLines(values: Map<string, unknown>): string[] {
  const lines: string[] = [];
  for (const k of ADDRESS_KEYS) {
    const v = values.get(k.replace(/_/g, ''));
    if (v !== undefined && String(v).trim()) lines.push(String(v).replace(/\s+/g, ' ').trim());
  }
  const pc = values.get('postcode');
  if (pc !== undefined && String(pc).trim()) lines.push(String(pc).trim());
  return lines;
}

/** Validates a letter address as Notify does, or throws its message. */
export function validateAddress(lines: string[], opts: { international: boolean }): PostalAddress {
  if (lines.length < 3) throw new InvalidRecipient('Address must be at least 3 lines');
  if (lines.length > 7) throw new InvalidRecipient('Address must be no more than 7 lines');
  const last = lines[lines.length - 1];
  const postcode = normalisePostcode(last);
  let country: string | null = null;
  let postage: PostalAddress['postage'] = null;
  if (!postcode && !BFPO.test(last)) {
    const name = last.trim().toLowerCase();
    if (!opts.international || UK_NAMES.has(name) || /\d/.test(name)) {
      throw new InvalidRecipient(
        opts.international ? 'Last line of address must be a real UK postcode or another country' : 'Must be a real UK postcode',
      );
    }
    country = last.trim();
    postage = EUROPE.has(name) ? 'europe' : 'rest-of-world';
  }
  if (lines.some((l) => BAD_START.test(l))) {
    throw new InvalidRecipient('Address lines must not start with any of the following characters: @ ( ) = [ ] ” \\ / , < >');
  }
  const shown = postcode ? [...lines.slice(0, -1), postcode] : lines;
  return { lines: shown, postcode, country, postage };
}
