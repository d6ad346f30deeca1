// COPY … FROM STDIN (PostgreSQL's bulk load, kernel/db.ts copyFrom) and the text format copyText writes.
import { afterAll, describe, expect, it } from 'vitest';
import { copyText } from './db.js';
import { testDb } from '../../test/helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

// Values that need COPY's escapes, and ones that look like them.
const tricky: unknown[][] = [
  [1, 'tab\there', { a: 'line\nbreak', b: 'back\\slash "quoted"' }, [1, 2, 3], 1.5],
  [2, 'carriage\rreturn and \\N', null, [], -0.25],
  [3, '\\', { nested: { emoji: '🏠', welsh: 'Tŷ' } }, [7], null],
  [4, '', { list: [1, 'x'] }, [0], 1e-7],
];

describe('copyText', () => {
  it('escapes backslash, tab and line breaks, writes NULL as \\N and arrays as {…}', () => {
    expect(copyText([['a\tb', null, 'c\\d', 'e\nf\rg', [1, 2], { k: 'v' }, 3]])).toBe(
      'a\\tb\t\\N\tc\\\\d\te\\nf\\rg\t{1,2}\t{"k":"v"}\t3\n',
    );
    expect(copyText([])).toBe('');
  });
});

describe('copyFrom', async () => {
  const { db } = await testDb(cleanups);

  it.runIf(db.kind === 'postgres')('loads rows exactly, in and out of a transaction, and says how many', async () => {
    await db.exec('CREATE TABLE copy_t (id int PRIMARY KEY, t text, j json, a int[], f float8)');
    const sql = 'COPY copy_t (id, t, j, a, f) FROM STDIN';
    expect(await db.copyFrom!(sql, copyText(tricky.slice(0, 2)))).toBe(2);
    expect(await db.transaction((tx) => tx.copyFrom!(sql, copyText(tricky.slice(2))))).toBe(2);
    const { rows } = await db.query<{ id: number; t: string; j: unknown; a: number[]; f: number | null }>(
      'SELECT id, t, j, a, f FROM copy_t ORDER BY id',
    );
    expect(rows.map((r) => [r.id, r.t, r.j, r.a, r.f])).toEqual(tricky);
  });

  it.runIf(db.kind === 'postgres')('rejects bad data with the database error and leaves the connection usable', async () => {
    await db.exec('CREATE TABLE copy_bad (id int PRIMARY KEY)');
    await expect(db.copyFrom!('COPY copy_bad (id) FROM STDIN', 'not a number\n')).rejects.toMatchObject({ code: '22P02' });
    await expect(db.copyFrom!('COPY copy_bad (id) FROM STDIN', '1\n1\n')).rejects.toMatchObject({ code: '23505' });
    await expect(db.copyFrom!('COPY no_such_table (id) FROM STDIN', '1\n')).rejects.toMatchObject({ code: '42P01' });
    // A failed COPY in a transaction rolls it back like any other statement.
    await expect(
      db.transaction(async (tx) => {
        await tx.copyFrom!('COPY copy_bad (id) FROM STDIN', '5\n');
        await tx.copyFrom!('COPY copy_bad (id) FROM STDIN', 'x\n');
      }),
    ).rejects.toMatchObject({ code: '22P02' });
    expect(await db.copyFrom!('COPY copy_bad (id) FROM STDIN', '2\n3\n')).toBe(2);
    expect((await db.query<{ id: number }>('SELECT id FROM copy_bad ORDER BY id')).rows.map((r) => r.id)).toEqual([2, 3]);
  });

  it.runIf(db.kind === 'pglite')('is absent on PGlite, where callers insert instead', () => {
    expect(db.copyFrom).toBeUndefined();
  });
});
