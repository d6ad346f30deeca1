// Pure parts: TOTP against the RFC 6238 test vectors, vectors of trust as One Login reads them,
// password rules and phone numbers.
import { describe, expect, it } from 'vitest';
import { base32Encode, hotp, totp, verifyTotp } from './totp.js';
import { parseVtr, satisfied, easiest, InvalidVtr } from './vtr.js';
import { normalisePhone, passwordProblems } from './accounts.js';

describe('TOTP (RFC 6238)', () => {
  const secret = base32Encode(Buffer.from('12345678901234567890'));
  it('matches the RFC test vectors (SHA-1, 6 digits)', () => {
    // Appendix B gives 8 digits; the last 6 are the 6-digit codes.
    for (const [seconds, code] of [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
    ] as const) {
      expect(totp(secret, seconds * 1000)).toBe(code.slice(2));
    }
    expect(hotp(Buffer.from('12345678901234567890'), 0)).toBe('755224'); // RFC 4226 appendix D
  });
  it('accepts one step of drift and reports the step matched', () => {
    const at = 1_700_000_000_000;
    expect(verifyTotp(secret, totp(secret, at - 30_000), at)).toBe(Math.floor(at / 30_000) - 1);
    expect(verifyTotp(secret, totp(secret, at + 30_000), at)).toBe(Math.floor(at / 30_000) + 1);
    expect(verifyTotp(secret, totp(secret, at + 90_000), at)).toBeNull();
    expect(verifyTotp(secret, 'abcdef', at)).toBeNull();
  });
});

describe('vectors of trust', () => {
  it('reads One Login vectors', () => {
    expect(parseVtr(undefined)).toEqual([{ cl: 'Cl.Cm', loc: 'P0', text: 'Cl.Cm' }]);
    expect(parseVtr('[]')[0].text).toBe('Cl.Cm');
    expect(parseVtr('["Cl.Cm.P2"]')).toEqual([{ cl: 'Cl.Cm', loc: 'P2', text: 'Cl.Cm.P2' }]);
    expect(parseVtr('["P2.Cm.Cl"]')[0].text).toBe('Cl.Cm.P2');
    expect(parseVtr('["Cl"]')[0]).toMatchObject({ cl: 'Cl', loc: 'P0' });
    expect(parseVtr('["Cl.P0"]')[0].text).toBe('Cl');
    for (const bad of [
      '["Cl.P2"]',
      '["Cl.P1"]',
      '["Cm"]',
      '["Cl.Cm.P3"]',
      '["Cl.Cm.P1.P2"]',
      '["Cl.Cm.P2","Cl.Cm"]',
      '"Cl"',
      '[1]',
      'x',
      '["Cl.Xy"]',
    ]) {
      expect(() => parseVtr(bad), bad).toThrow(InvalidVtr);
    }
  });
  it('finds the vector a sign-in satisfies, and the easiest to reach', () => {
    const v = parseVtr('["Cl.Cm.P2","Cl.Cm.P1"]');
    expect(satisfied(v, 'Cl.Cm', 'P1')?.text).toBe('Cl.Cm.P1');
    expect(satisfied(v, 'Cl.Cm', 'P2')?.text).toBe('Cl.Cm.P2');
    expect(satisfied(v, 'Cl', 'P2')).toBeUndefined();
    expect(easiest(v).text).toBe('Cl.Cm.P1');
    expect(satisfied(parseVtr('["Cl"]'), 'Cl.Cm', 'P0')?.text).toBe('Cl');
  });
});

describe('account rules', () => {
  it('checks passwords', () => {
    expect(passwordProblems('')).toEqual(['passwordMissing']);
    expect(passwordProblems('abc1')).toEqual(['passwordShort']);
    expect(passwordProblems('abcdefgh')).toEqual(['passwordMix']);
    expect(passwordProblems('password1')).toEqual(['passwordCommon']);
    expect(passwordProblems('me1@example.org', 'me1@example.org')).toEqual(['passwordCommon']);
    expect(passwordProblems('long enough 1')).toEqual([]);
  });
  it('normalises phone numbers', () => {
    expect(normalisePhone('07700 900 982')).toBe('+447700900982');
    expect(normalisePhone('+44 7700 900982')).toBe('+447700900982');
    expect(normalisePhone('0044 7700 900982')).toBe('+447700900982');
    expect(normalisePhone('+33 6 12 34 56 78')).toBe('+33612345678');
    expect(normalisePhone('12345')).toBeNull();
  });
});

describe('locale files', () => {
  it('have the same keys in English and Welsh, and every key the code names', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const dir = new URL('.', import.meta.url).pathname;
    const flat = (o: Record<string, unknown>, p = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? flat(v as Record<string, unknown>, `${p}${k}.`) : [`${p}${k}`]));
    const en = new Set(flat(JSON.parse(readFileSync(`${dir}locales/en.json`, 'utf8'))));
    const cy = new Set(flat(JSON.parse(readFileSync(`${dir}locales/cy.json`, 'utf8'))));
    expect([...en].filter((k) => !cy.has(k))).toEqual([]);
    expect([...cy].filter((k) => !en.has(k))).toEqual([]);
    const files = [
      ...readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')),
      ...readdirSync(`${dir}views`).map((f) => `views/${f}`),
    ];
    const used = new Set(
      files.flatMap((f) => [...readFileSync(`${dir}${f}`, 'utf8').matchAll(/['"]identity\.([a-zA-Z.]+[a-zA-Z])['"]/g)].map((m) => m[1])),
    );
    const events = /^((account|client)\.(created|create|disable|identity_proved)|accounts|clients)$/; // event, audit and cache names, not copy
    expect([...used].filter((k) => !en.has(k) && !events.test(k))).toEqual([]);
  });
});
