// Text message length and fragments. GSM 03.38 messages fit 160 characters in one fragment
// and 153 per fragment when split (extension characters count twice); anything needing Unicode
// fits 70, then 67 per fragment. Typographic characters are first downgraded to their GSM
// equivalents, as Notify does, so a curly quote does not double the cost of a message.

const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

export const SMS_CHAR_COUNT_LIMIT = 918;

const DOWNGRADE: Array<[RegExp, string]> = [
  [/[‘’‚‛′`]/g, "'"],
  [/[“”„‟″]/g, '"'],
  [/[–—―‐‑]/g, '-'],
  [/…/g, '...'],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000\t]/g, ' '],
  [/[\u200B-\u200D\u2060\uFEFF]/g, ''],
];

/** The body as it will be sent: downgraded typography, trimmed, no runs of blank lines. */
export function smsBody(text: string): string {
  let s = text;
  for (const [re, to] of DOWNGRADE) s = s.replace(re, to);
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/[ ]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function isGsm(text: string): boolean {
  for (const ch of text) if (!GSM_BASIC.has(ch) && !GSM_EXTENDED.has(ch)) return false;
  return true;
}

export interface SmsCount {
  encoding: 'gsm' | 'unicode';
  characters: number;
  fragments: number;
}

/** Characters (as billed) and fragments of a message. */
export function smsCount(text: string): SmsCount {
  if (isGsm(text)) {
    let n = 0;
    for (const ch of text) n += GSM_EXTENDED.has(ch) ? 2 : 1;
    return { encoding: 'gsm', characters: n, fragments: n === 0 ? 0 : n <= 160 ? 1 : Math.ceil(n / 153) };
  }
  const n = [...text].length;
  return { encoding: 'unicode', characters: n, fragments: n === 0 ? 0 : n <= 70 ? 1 : Math.ceil(n / 67) };
}

/** Notify's limit is on characters as written (without any service name prefix). */
export const smsLength = (text: string) => [...text].length;
