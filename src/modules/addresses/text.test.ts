// Free-text normalisation and scoring: postcodes, abbreviations, flat forms and typos.
import { describe, expect, it } from 'vitest';
import { parsePostcode, parsePostcodeQuery, scoreAddress, splitQuery, words } from './text.js';
import { wordRuns } from './service.js';

describe('postcodes', () => {
  it('parses full postcodes with or without the space, in any case', () => {
    expect(parsePostcode('so16 0as')).toEqual({ outward: 'SO16', inward: '0AS' });
    expect(parsePostcode('SW1A2AA')).toEqual({ outward: 'SW1A', inward: '2AA' });
    expect(parsePostcode('SO16')).toBeNull();
    expect(parsePostcodeQuery('SO16 0')).toEqual({ kind: 'partial', outward: 'SO16', inwardPrefix: '0' });
    expect(parsePostcodeQuery('hello')).toBeNull();
  });
  it('finds a postcode inside free text', () => {
    expect(splitQuery('10 High St, Bath BA11AA')).toEqual({
      postcode: { outward: 'BA1', inward: '1AA' },
      words: ['10', 'HIGH', 'STREET', 'BATH'],
    });
  });
});

describe('words', () => {
  it('expands abbreviations and flat forms, drops punctuation', () => {
    expect(words('Flat 2, 10 High St.')).toEqual(['FLAT', '2', '10', 'HIGH', 'STREET']);
    expect(words('2/10 High Street')).toEqual(['FLAT', '2', '10', 'HIGH', 'STREET']);
    expect(words("Apt 3, St Mary's Rd")).toEqual(['FLAT', '3', 'STREET', 'MARYS', 'ROAD']);
    expect(words('10 a Mill Ave')).toEqual(['10A', 'MILL', 'AVENUE']);
  });
  it('scores the exact address highest, then its neighbours; tolerates a typo', () => {
    const q = splitQuery('10 High Stret Bath');
    const exact = scoreAddress(q, { words: ['10', 'HIGH', 'STREET', 'BATH'], postcode: 'BA1 1AA' });
    const flat = scoreAddress(q, { words: ['FLAT', '1', '10', 'HIGH', 'STREET', 'BATH'], postcode: 'BA1 1AA' });
    const other = scoreAddress(q, { words: ['12', 'HIGH', 'STREET', 'BATH'], postcode: 'BA1 1AA' });
    expect(exact).toBeGreaterThan(flat);
    expect(flat).toBeGreaterThan(other);
    expect(scoreAddress(splitQuery('10 High Street Bath'), { words: ['10', 'HIGH', 'STREET', 'BATH'], postcode: null })).toBe(1);
  });
});

describe('street names in a query', () => {
  it('lists every run of consecutive words, the ways a street may be named', () => {
    expect(wordRuns(['HIGH', 'STREET', 'BATH'])).toEqual(['HIGH', 'HIGH STREET', 'HIGH STREET BATH', 'STREET', 'STREET BATH', 'BATH']);
    expect(wordRuns(Array.from({ length: 20 }, (_, i) => `W${i}`))).toHaveLength(78); // at most 12 words
  });
});
