// A new embedded data directory starts as a copy of the initialised template; an existing
// database is never overwritten; the copy is a working database of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgliteDb, preparePgliteTemplate } from './db.js';
import { initialiseFromTemplate, isUninitialised, templateDir } from './pglite-template.js';

const root = mkdtempSync(join(tmpdir(), 'cityscape-template-test-'));
const saved = process.env.CITYSCAPE_TEMPLATE_DIR;
process.env.CITYSCAPE_TEMPLATE_DIR = join(root, 'template');

afterAll(() => {
  if (saved === undefined) delete process.env.CITYSCAPE_TEMPLATE_DIR;
  else process.env.CITYSCAPE_TEMPLATE_DIR = saved;
  rmSync(root, { recursive: true, force: true });
});

describe('embedded database template', () => {
  it('is made once, then new data directories are copies that work on their own', async () => {
    expect(templateDir()).toBe(join(root, 'template'));
    expect((await preparePgliteTemplate()).made).toBe(true);
    expect((await preparePgliteTemplate()).made).toBe(false);
    expect(existsSync(join(root, 'template', 'PG_VERSION'))).toBe(true);

    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(b); // an empty folder counts as new, as an absent one does
    const dbA = await createPgliteDb(a);
    const dbB = await createPgliteDb(b);
    try {
      await dbA.exec('CREATE TABLE only_in_a (x int); INSERT INTO only_in_a VALUES (1)');
      expect((await dbA.query<{ x: number }>('SELECT x FROM only_in_a')).rows).toEqual([{ x: 1 }]);
      const inB = await dbB.query<{ t: string | null }>(`SELECT to_regclass('public.only_in_a')::text AS t`);
      expect(inB.rows[0].t).toBeNull();
    } finally {
      await dbA.close();
      await dbB.close();
    }
    // The template itself is untouched by what was done in the copies.
    const again = await createPgliteDb(join(root, 'c'));
    try {
      expect((await again.query<{ t: string | null }>(`SELECT to_regclass('public.only_in_a')::text AS t`)).rows[0].t).toBeNull();
    } finally {
      await again.close();
    }
    // No half-made folders left beside the data directories or the template.
    expect(readdirSync(root).sort()).toEqual(['a', 'b', 'c', 'template']);
  }, 120_000);

  it('never writes over a folder that holds anything', async () => {
    const dir = join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(isUninitialised(dir)).toBe(false);
    expect(await initialiseFromTemplate(dir, async () => {})).toBe(false);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});
