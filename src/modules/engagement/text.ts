// What the module checks in anything people write: personal data (email addresses, phone
// numbers, postcodes, National Insurance numbers, card-like numbers), strong language, and
// near-duplicates. These give warnings and flags for moderators; nothing is ever deleted silently.

export type Flag = 'personal_data' | 'profanity' | 'duplicate';

const PERSONAL: RegExp[] = [
  /[^\s@<>"']+@[^\s@<>"']+\.[a-z]{2,}/i, // email
  /(?:\+44\s?|\b0)(?:\d[\s-]?){9,10}\b/, // UK phone
  /\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b/i, // postcode
  /\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b/i, // National Insurance number
  /\b(?:\d[ -]?){13,19}\b/, // card or account number
];

// A short list of strong words (the moderation queue does the rest); matched as whole words.
const STRONG = [
  'fuck',
  'fucking',
  'shit',
  'cunt',
  'bastard',
  'bollocks',
  'wanker',
  'twat',
  'prick',
  'arsehole',
  'asshole',
  'bitch',
  'dickhead',
];
const STRONG_RE = new RegExp(`\\b(?:${STRONG.join('|')})\\b`, 'i');

export function hasPersonalData(text: string): boolean {
  return PERSONAL.some((re) => re.test(text));
}

export function hasProfanity(text: string): boolean {
  return STRONG_RE.test(text.normalize('NFKC'));
}

/** Text reduced for duplicate detection: case, accents, punctuation and spacing ignored. */
export function normalised(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Personal data replaced by a marker (a moderator's redaction of the whole match). */
export function redactPersonalData(text: string): string {
  let out = text;
  for (const re of PERSONAL) out = out.replace(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'), '[redacted]');
  return out;
}

export function flagsOf(text: string): Flag[] {
  const f: Flag[] = [];
  if (hasPersonalData(text)) f.push('personal_data');
  if (hasProfanity(text)) f.push('profanity');
  return f;
}
