// The evaluator against flagd itself: MurmurHash3 on published test vectors, `fractional`
// bucketing compared with @openfeature/flagd-core (flagd's own JavaScript evaluator, installed
// only for tests) over thousands of keys, the other flagd operators, $evaluators, and schema
// errors reported at the right JSON pointer.
import { describe, expect, it } from 'vitest';
import { FlagdCore } from '@openfeature/flagd-core';
import { murmur3 } from './murmur.js';
import { parseDocument, resolveFlag, type FlagDocument } from './flagd.js';

const compiled = (doc: FlagDocument) => {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.set;
};
const evalFlag = (doc: FlagDocument, key: string, ctx: Record<string, unknown>) => resolveFlag(compiled(doc).flags.get(key)!, ctx);

describe('murmur3 (x86, 32-bit, seed 0)', () => {
  it('matches the published test vectors', () => {
    // Vectors from the reference implementation's SMHasher verification set (and widely quoted).
    expect(murmur3('')).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
    expect(murmur3('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3('abc', 0x9747b28c)).toBe(0xc84a62dd);
  });
});

describe('fractional: the same variant as flagd for the same context', () => {
  const doc: FlagDocument = {
    flags: {
      'headline-test': {
        state: 'ENABLED',
        variants: { control: 'Apply online', short: 'Apply', long: 'Apply for a blue badge online' },
        defaultVariant: 'control',
        targeting: {
          fractional: [
            ['control', 50],
            ['short', 30],
            ['long', 20],
          ],
        },
      },
      'by-email': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { fractional: [{ var: 'email' }, ['on', 1], ['off', 3]] },
      },
    },
  };
  const flagd = new FlagdCore();
  flagd.setConfigurations(JSON.stringify(doc));

  it('agrees with flagd-core on 5,000 targeting keys, and splits near the weights', () => {
    const counts: Record<string, number> = { control: 0, short: 0, long: 0 };
    for (let i = 0; i < 5000; i++) {
      const targetingKey = `user-${i}-${(i * 7919) % 104729}`;
      const ours = evalFlag(doc, 'headline-test', { targetingKey });
      const theirs = flagd.resolveStringEvaluation('headline-test', 'x', { targetingKey });
      expect(ours.variant, targetingKey).toBe(theirs.variant);
      expect(ours.reason).toBe('SPLIT');
      counts[ours.variant!]++;
    }
    expect(counts.control / 5000).toBeGreaterThan(0.47);
    expect(counts.control / 5000).toBeLessThan(0.53);
    expect(counts.long / 5000).toBeGreaterThan(0.17);
  });

  it('buckets by an explicit expression the same way', () => {
    for (let i = 0; i < 1000; i++) {
      const email = `person${i}@example.org`;
      const ours = evalFlag(doc, 'by-email', { targetingKey: 'k', email });
      const theirs = flagd.resolveBooleanEvaluation('by-email', false, { targetingKey: 'k', email });
      expect(ours.variant).toBe(theirs.variant);
    }
  });

  it('says TARGETING_KEY_MISSING when a split needs a key and none was sent', () => {
    expect(evalFlag(doc, 'headline-test', {})).toMatchObject({ reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
  });
});

describe('flagd operators and reasons', () => {
  const doc: FlagDocument = {
    $evaluators: { staff: { ends_with: [{ var: 'email' }, '@example.gov.uk'] } },
    metadata: { team: 'blue-badge' },
    flags: {
      banner: {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { if: [{ $ref: 'staff' }, 'on', null] },
        metadata: { owner: 'ana' },
      },
      'new-app': {
        state: 'ENABLED',
        variants: { yes: true, no: false },
        defaultVariant: 'no',
        targeting: { if: [{ sem_ver: [{ var: 'version' }, '>=', '2.1.0'] }, 'yes', 'no'] },
      },
      pilot: {
        state: 'ENABLED',
        variants: { in: 'pilot', out: 'normal' },
        defaultVariant: 'out',
        targeting: {
          if: [
            { starts_with: [{ var: 'postcode' }, 'CF'] },
            'in',
            { if: [{ in: [{ var: 'council' }, ['cardiff', 'newport']] }, 'in', null] },
          ],
        },
      },
      colour: { state: 'ENABLED', variants: { red: '#d4351c', blue: '#1d70b8' }, defaultVariant: 'blue' },
      'old-thing': { state: 'DISABLED', variants: { a: 1, b: 2 }, defaultVariant: 'b' },
      config: {
        state: 'ENABLED',
        variants: { small: { size: 1 }, big: { size: 2 } },
        defaultVariant: 'small',
        targeting: { if: [true, 'huge', null] },
      },
      'flag-key': {
        state: 'ENABLED',
        variants: { yes: true, no: false },
        defaultVariant: 'no',
        targeting: { if: [{ '==': [{ var: '$flagd.flagKey' }, 'flag-key'] }, 'yes', 'no'] },
      },
    },
  };
  it('evaluates $ref, ends_with, sem_ver, starts_with, in and if as flagd does', () => {
    expect(evalFlag(doc, 'banner', { email: 'ana@example.gov.uk' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      metadata: { team: 'blue-badge', owner: 'ana' },
    });
    expect(evalFlag(doc, 'banner', { email: 'ana@example.org' })).toMatchObject({ value: false, reason: 'DEFAULT' });
    expect(evalFlag(doc, 'new-app', { version: '2.1.0' }).value).toBe(true);
    expect(evalFlag(doc, 'new-app', { version: '2.1.0-rc.1' }).value).toBe(false);
    expect(evalFlag(doc, 'new-app', { version: '10.0.0' }).value).toBe(true);
    expect(evalFlag(doc, 'new-app', { version: 'nonsense' }).value).toBe(false);
    expect(evalFlag(doc, 'pilot', { postcode: 'CF10 1EP' }).value).toBe('pilot');
    expect(evalFlag(doc, 'pilot', { council: 'newport' }).value).toBe('pilot');
    expect(evalFlag(doc, 'pilot', { council: 'bristol' })).toMatchObject({ value: 'normal', reason: 'DEFAULT' });
    expect(evalFlag(doc, 'colour', {})).toMatchObject({ value: '#1d70b8', reason: 'STATIC', variant: 'blue' });
    expect(evalFlag(doc, 'old-thing', {})).toMatchObject({ value: 2, reason: 'DISABLED' });
    expect(evalFlag(doc, 'config', {})).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(evalFlag(doc, 'flag-key', {}).value).toBe(true);
  });

  it('agrees with flagd-core on every flag and context here', () => {
    const flagd = new FlagdCore();
    flagd.setConfigurations(JSON.stringify(doc));
    const contexts: Array<Record<string, string>> = [
      { email: 'ana@example.gov.uk' },
      { version: '2.1.0' },
      { version: '1.9.9' },
      { postcode: 'CF10' },
      { council: 'cardiff' },
      {},
    ];
    const booleans = ['banner', 'new-app', 'flag-key'];
    for (const key of ['banner', 'new-app', 'pilot', 'colour', 'flag-key'])
      for (const ctx of contexts) {
        const ours = evalFlag(doc, key, ctx);
        const theirs = booleans.includes(key)
          ? flagd.resolveBooleanEvaluation(key, false, ctx)
          : flagd.resolveStringEvaluation(key, '', ctx);
        expect([key, ours.value, ours.variant], JSON.stringify(ctx)).toEqual([key, theirs.value, theirs.variant]);
      }
  });
});

describe('validation says where a document is wrong', () => {
  const problems = (doc: unknown) => {
    const r = parseDocument(doc);
    return r.ok ? [] : r.problems;
  };
  it('accepts a good document', () => {
    expect(problems({ flags: { a: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' } } })).toEqual([]);
  });
  it('names the field at fault', () => {
    expect(problems({ flags: { a: { state: 'ON', variants: { on: true }, defaultVariant: 'on' } } })[0]).toMatchObject({
      path: '/flags/a/state',
      message: expect.stringContaining('ENABLED'),
    });
    expect(problems({ flags: { a: { state: 'ENABLED', variants: { on: true } } } })[0]).toMatchObject({
      path: '/flags/a',
      message: expect.stringContaining('defaultVariant'),
    });
    expect(problems({ flags: { a: { state: 'ENABLED', variants: { on: true, off: 'no' }, defaultVariant: 'on' } } })[0].path).toMatch(
      /^\/flags\/a\/variants/,
    );
    expect(problems({ flags: { a: { state: 'ENABLED', variants: { on: true }, defaultVariant: 'maybe' } } })[0]).toMatchObject({
      path: '/flags/a/defaultVariant',
    });
    expect(
      problems({
        flags: {
          a: {
            state: 'ENABLED',
            variants: { on: true },
            defaultVariant: 'on',
            targeting: {
              fractional: [
                ['on', 50],
                ['of', 50],
              ],
            },
          },
        },
      })[0],
    ).toMatchObject({ path: '/flags/a/targeting/fractional/1/0', message: expect.stringContaining('"of"') });
    expect(
      problems({ flags: { a: { state: 'ENABLED', variants: { on: true }, defaultVariant: 'on', targeting: { $ref: 'nope' } } } })[0],
    ).toMatchObject({ path: '/flags/a/targeting/$ref' });
    expect(
      problems({
        flags: { a: { state: 'ENABLED', variants: { on: true }, defaultVariant: 'on', targeting: { sem_ver: ['1.0', '>>', '2.0.0'] } } },
      })[0].path,
    ).toMatch(/^\/flags\/a\/targeting/);
    expect(problems({ flags: [] })[0].path).toBe('/flags');
    expect(problems('nope')[0].path).toBe('/');
  });
});
