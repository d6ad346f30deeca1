// Monthly partitions of performance.measurements. The current and next months' partitions are
// made ahead of time, so inserts never wait on DDL; a row for any other month lands in the
// default partition and maintenance moves it into a partition of its own month (the way
// pg_partman's partition_data does). Retention drops whole months: instant, no VACUUM.
import type { Db } from '../../kernel/db.js';

const NAME = /^measurements_(\d{4})(\d{2})$/;

export const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const nextMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
const tableName = (m: Date) => `measurements_${m.getUTCFullYear()}${String(m.getUTCMonth() + 1).padStart(2, '0')}`;

export function createPartitions(db: Db) {
  const known = new Set<string>();

  async function existing(): Promise<string[]> {
    const { rows } = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'performance.measurements'::regclass`,
    );
    return rows.map((r) => r.name).filter((n) => NAME.test(n));
  }

  /**
   * Makes the month's partition. If the default partition already holds rows of that month,
   * they are moved into the new table before it is attached, all in one transaction.
   */
  async function ensureMonth(d: Date): Promise<void> {
    const m = monthStart(d);
    const name = tableName(m);
    if (known.has(name)) return;
    const from = m.toISOString();
    const to = nextMonth(m).toISOString();
    await db.transaction(async (tx) => {
      // One process at a time changes the partitions (several may start together).
      await tx.query('SELECT pg_advisory_xact_lock(7311020214)');
      const { rows } = await tx.query(
        `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'performance' AND c.relname = $1`,
        [name],
      );
      if (rows.length) return;
      const strays = await tx.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM performance.measurements_default WHERE at >= $1 AND at < $2',
        [from, to],
      );
      if (strays.rows[0].n === 0) {
        await tx.exec(`CREATE TABLE performance.${name} PARTITION OF performance.measurements FOR VALUES FROM ('${from}') TO ('${to}')`);
        return;
      }
      await tx.exec(`CREATE TABLE performance.${name} (LIKE performance.measurements INCLUDING DEFAULTS)`);
      await tx.query(
        `WITH moved AS (DELETE FROM performance.measurements_default WHERE at >= $1 AND at < $2 RETURNING *)
         INSERT INTO performance.${name} SELECT * FROM moved`,
        [from, to],
      );
      await tx.exec(`ALTER TABLE performance.measurements ATTACH PARTITION performance.${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
    });
    known.add(name);
  }

  return {
    ensureMonth,
    /** This month and the next exist; rows that reached the default partition get their own month. */
    async maintain(now = new Date()): Promise<void> {
      for (const n of await existing()) known.add(n);
      await ensureMonth(now);
      await ensureMonth(nextMonth(now));
      const { rows } = await db.query<{ m: string }>(
        `SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::text AS m FROM performance.measurements_default LIMIT 100`,
      );
      for (const r of rows) await ensureMonth(new Date(`${r.m.slice(0, 10)}T00:00:00Z`));
    },
    /** Drops months wholly older than `months` before this one; returns the tables dropped. */
    async dropOlderThan(months: number, now = new Date()): Promise<string[]> {
      if (!(months > 0)) return [];
      const cutoff = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
      const dropped: string[] = [];
      for (const name of await existing()) {
        const [, y, mo] = NAME.exec(name)!;
        if (Date.UTC(Number(y), Number(mo) - 1, 1) < cutoff.getTime()) {
          await db.exec(`DROP TABLE IF EXISTS performance.${name}`);
          known.delete(name);
          dropped.push(name);
        }
      }
      await db.query('DELETE FROM performance.measurements_default WHERE at < $1', [cutoff.toISOString()]);
      return dropped;
    },
    list: existing,
  };
}
export type Partitions = ReturnType<typeof createPartitions>;
