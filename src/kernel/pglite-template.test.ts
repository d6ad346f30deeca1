// A new embedded data directory starts as a copy of the initialised template; an existing
// database is never overwritten; the copy is a working database of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgliteDb, preparePgliteTemplate } from './db.js';
import { migrate, schemaKey } from './migrations.js';
import { initialiseFromTemplate, isUninitialised, schemaTarball, schemaTemplateDir, templateDir } from './pglite-template.js';

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
    expect(await initialiseFromTemplate(join(root, 'd'), async () => {})).toBe('bare');
    rmSync(join(root, 'd'), { recursive: true });
  }, 120_000);

  it('holds the schema when built for it, and is used only while the migrations are exactly those', async () => {
    const migrations = join(root, 'migrations');
    mkdirSync(join(migrations, 'kernel'), { recursive: true });
    mkdirSync(join(migrations, 'things'), { recursive: true });
    writeFileSync(join(migrations, 'kernel', '001_kernel.sql'), 'CREATE TABLE kernel.notes (x int);');
    writeFileSync(join(migrations, 'things', '001_things.sql'), 'CREATE TABLE things.items (id int PRIMARY KEY, name text);');
    const sources = [
      { module: 'kernel', dir: join(migrations, 'kernel') },
      { module: 'things', dir: join(migrations, 'things') },
    ];
    const key = schemaKey(sources);
    expect((await preparePgliteTemplate(sources)).made).toBe(true);
    expect((await preparePgliteTemplate(sources)).made).toBe(false);

    // A new data directory starts with the schema and no rows; migrating it applies nothing.
    expect(await initialiseFromTemplate(join(root, 'with-schema'), async () => {}, key)).toBe('schema');
    const db = await createPgliteDb(join(root, 'with-schema'));
    try {
      expect(await migrate(db, sources)).toEqual([]);
      expect((await db.query('SELECT count(*)::int AS n FROM things.items')).rows[0]).toEqual({ n: 0 });
      await db.query(`INSERT INTO things.items VALUES (1, 'mine')`);
    } finally {
      await db.close();
    }
    // Another copy does not see that row: the template was untouched.
    const other = await createPgliteDb(join(root, 'with-schema-2'), { schema: sources });
    try {
      expect((await other.query('SELECT count(*)::int AS n FROM things.items')).rows[0]).toEqual({ n: 0 });
    } finally {
      await other.close();
    }

    // A database in memory starts from the schema's tarball (made beside the cluster), with no
    // rows, and what one writes no other sees.
    expect(existsSync(schemaTarball(key))).toBe(true);
    for (const row of [1, 2]) {
      const mem = await createPgliteDb('memory://', { schema: sources });
      try {
        expect(await migrate(mem, sources)).toEqual([]);
        expect((await mem.query('SELECT count(*)::int AS n FROM things.items')).rows[0]).toEqual({ n: 0 });
        await mem.query(`INSERT INTO things.items VALUES ($1, 'mine')`, [row]);
      } finally {
        await mem.close();
      }
    }

    // A changed migration names another schema: the bare cluster is copied and migrated as before.
    writeFileSync(join(migrations, 'things', '002_more.sql'), 'ALTER TABLE things.items ADD COLUMN size int;');
    expect(schemaKey(sources)).not.toBe(key);
    const changed = await createPgliteDb(join(root, 'changed'), { schema: sources });
    try {
      expect((await changed.query(`SELECT to_regclass('things.items')::text AS t`)).rows[0].t).toBeNull();
      expect(await migrate(changed, sources)).toEqual(['kernel/001_kernel.sql', 'things/001_things.sql', 'things/002_more.sql']);
    } finally {
      await changed.close();
    }
    // Building the new schema's template removes the old one.
    expect((await preparePgliteTemplate(sources)).made).toBe(true);
    expect(existsSync(schemaTemplateDir(schemaKey(sources)))).toBe(true);
    expect(existsSync(schemaTemplateDir(key))).toBe(false);
    expect(existsSync(schemaTarball(schemaKey(sources)))).toBe(true);
    expect(existsSync(schemaTarball(key))).toBe(false);
  }, 180_000);

  it('never writes over a folder that holds anything', async () => {
    const dir = join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(isUninitialised(dir)).toBe(false);
    expect(await initialiseFromTemplate(dir, async () => {})).toBe(false);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});
