// Pairwise subjects in reverse: which account a `sub` that identity gave a catalogue service
// stands for, so the exchange can take `Exchange-Subject: pairwise:{sub}` from that service.
// A `sub` is an HMAC (provider.ts) and cannot be undone, so each one is remembered when it is
// first issued (once a process per service and account). A `sub` issued before that was kept
// is found by recomputing it over the accounts, only while there are few enough to do so
// quickly, and then remembered; a miss is remembered for a minute so a stream of made-up
// subjects costs one scan, not one each.
import type { Db } from '../../kernel/db.js';
import type { Config } from '../../config.js';
import { pairwiseSubject } from './provider.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUB = /^[A-Za-z0-9_-]{43}$/; // base64url of a SHA-256 HMAC
/** Accounts up to which an unknown `sub` is looked for by recomputing (a few hundred ms). */
export const SCAN_LIMIT = 200_000;
const MISS_MS = 60_000;

export function createPairwise(db: Db, config: Config) {
  const remembered = new Set<string>();
  const misses = new Map<string, number>();

  async function remember(serviceId: string, accountId: string, sub: string): Promise<void> {
    const k = `${serviceId}:${accountId}`;
    if (remembered.has(k)) return;
    await db.query(`INSERT INTO identity.pairwise_subjects (service_id, sub, account_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      serviceId,
      sub,
      accountId,
    ]);
    if (remembered.size > 100_000) remembered.clear();
    remembered.add(k);
  }

  return {
    /** The `sub` of an account at a service, remembered for the way back. */
    async subject(serviceId: string, accountId: string): Promise<string> {
      const sub = pairwiseSubject(config, serviceId, accountId);
      if (UUID.test(serviceId) && UUID.test(accountId)) await remember(serviceId, accountId, sub);
      return sub;
    },

    /** The account id a service's pairwise `sub` stands for, or null (unknown, or not this service's). */
    async resolve(serviceId: string, sub: string): Promise<string | null> {
      if (typeof serviceId !== 'string' || !UUID.test(serviceId) || typeof sub !== 'string' || !SUB.test(sub)) return null;
      const { rows } = await db.query<{ account_id: string }>(
        'SELECT account_id::text FROM identity.pairwise_subjects WHERE service_id = $1 AND sub = $2',
        [serviceId, sub],
      );
      if (rows[0]) return rows[0].account_id;
      const k = `${serviceId}:${sub}`;
      if ((misses.get(k) ?? 0) > Date.now()) return null;
      const { rows: n } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM identity.accounts');
      if (n[0].n <= SCAN_LIMIT) {
        let after = '00000000-0000-0000-0000-000000000000';
        for (;;) {
          const { rows: page } = await db.query<{ id: string }>(
            'SELECT id::text FROM identity.accounts WHERE id > $1 ORDER BY id LIMIT 5000',
            [after],
          );
          if (!page.length) break;
          for (const a of page) {
            if (pairwiseSubject(config, serviceId, a.id) === sub) {
              await remember(serviceId, a.id, sub);
              return a.id;
            }
          }
          after = page[page.length - 1].id;
        }
      }
      if (misses.size > 10_000) misses.clear();
      misses.set(k, Date.now() + MISS_MS);
      return null;
    },
  };
}
export type Pairwise = ReturnType<typeof createPairwise>;
