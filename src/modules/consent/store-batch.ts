// Group commit for new consent records (the API's hot path): up to WRITERS statements are in
// flight; records that arrive while they all are wait and are written together by the next —
// every record, its first revision and its outbox event in one statement and one commit, then
// one NOTIFY statement for the lot. Under load that is one round trip and one WAL flush for
// many records; alone, a record is written at once. If a batch fails, its records are written
// one by one, so one bad record fails alone.
import type { Db, Queryable } from '../../kernel/db.js';
import { EVENTS_CHANNEL } from '../../kernel/events.js';
import { recordStore, SUBJECT_CHANNEL, type NewRecord, type RecordEvent } from './store-records.js';
import { revisionValues, type RevisionRow } from './revisions.js';

const MAX_BATCH = 100;
const WRITERS = 4; // statements in flight at once (the pool has 10 connections)

interface Item {
  r: NewRecord;
  rev: RevisionRow;
  event: RecordEvent;
  resolve(v: { individual: boolean; created: boolean; accountId: string | null }): void;
  reject(e: unknown): void;
}
type Result = { individual: boolean; created: boolean; accountId: string | null };

/** Writes many new records (no signatures) in one statement; one result per item, in order. */
async function createMany(q: Queryable, items: Array<Pick<Item, 'r' | 'rev' | 'event'>>): Promise<Result[]> {
  const col = <T>(f: (i: (typeof items)[number]) => T) => items.map(f);
  const revs = items.map((i) => revisionValues(i.rev));
  const params = [
    col((i) => i.r.id),
    col((i) => i.r.organisation_id),
    col((i) => i.r.agreement_id),
    col((i) => i.r.individual_id),
    col((i) => i.r.service_id),
    col((i) => i.r.agreement_revision_id),
    col((i) => i.r.agreement_revision_hash),
    col((i) => i.r.opt_in),
    col((i) => i.r.status),
    col((i) => i.r.state),
    col((i) => JSON.stringify(i.r.attributes)),
    col((i) => i.r.given_at),
    col((i) => i.r.expires_at),
    col((i) => i.r.delegation_id),
    col((i) => i.r.via),
    col((i) => i.r.revision_id),
    ...Array.from({ length: 13 }, (_, k) => revs.map((v) => v[k])),
    col((i) => i.event.type),
    col((i) => JSON.stringify(i.event.payload)),
  ];
  const { rows } = await q.query<{ ord: number; individual: boolean; created: boolean; account_id: string | null }>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::boolean[], $9::text[],
                            $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::uuid[], $15::text[], $16::uuid[],
                            $17::uuid[], $18::uuid[], $19::text[], $20::uuid[], $21::int[], $22::text[], $23::uuid[], $24::text[],
                            $25::text[], $26::text[], $27::text[], $28::text[], $29::text[], $30::text[], $31::text[])
         WITH ORDINALITY AS t(id, organisation_id, agreement_id, individual_id, service_id, agreement_revision_id, agreement_revision_hash,
                              opt_in, status, state, attributes, given_at, expires_at, delegation_id, via, revision_id,
                              rev_id, rev_org, schema_name, object_id, seq, ts, by_individual, by_other, snapshot, hash, pred_hash, pred_sig, sig,
                              event_type, event_payload, ord)),
     ind AS (
       SELECT input.ord, i.account_id FROM input
         JOIN consent.individuals i ON i.id = input.individual_id AND i.organisation_id = input.organisation_id AND i.deleted_at IS NULL),
     rec AS (
       INSERT INTO consent.records (id, organisation_id, agreement_id, individual_id, account_id, service_id, agreement_revision_id,
                                    agreement_revision_hash, opt_in, status, state, attributes, given_at, expires_at, delegation_id, via, revision_id)
       SELECT input.id, input.organisation_id, input.agreement_id, input.individual_id, ind.account_id, input.service_id, input.agreement_revision_id,
              input.agreement_revision_hash, input.opt_in, input.status, input.state,
              ARRAY(SELECT jsonb_array_elements_text(input.attributes::jsonb)), input.given_at, input.expires_at, input.delegation_id, input.via, input.revision_id
         FROM input JOIN ind ON ind.ord = input.ord ORDER BY input.ord
       ON CONFLICT (agreement_id, individual_id) DO NOTHING RETURNING id, account_id),
     rev AS (
       INSERT INTO consent.revisions (id, organisation_id, schema_name, object_id, seq, timestamp, authorized_by_individual, authorized_by_other,
                                      serialized_snapshot, serialized_hash, predecessor_hash, predecessor_signature, signature)
       SELECT rev_id, rev_org, schema_name, object_id, seq, ts, by_individual, by_other, snapshot, hash, pred_hash, pred_sig, sig
         FROM input JOIN rec ON rec.id = input.id ORDER BY input.ord RETURNING id),
     ev AS (
       INSERT INTO kernel.events (stream, type, payload)
       SELECT 'consent.record:' || input.id, input.event_type, input.event_payload::jsonb FROM input JOIN rec ON rec.id = input.id ORDER BY input.ord
       RETURNING id)
     SELECT input.ord::int AS ord, ind.ord IS NOT NULL AS individual, rec.id IS NOT NULL AS created, rec.account_id
       FROM input LEFT JOIN ind ON ind.ord = input.ord LEFT JOIN rec ON rec.id = input.id ORDER BY input.ord`,
    params,
  );
  return rows.map((row) => ({ individual: row.individual, created: row.created, accountId: row.account_id }));
}

export function createRecordWriter(db: Db) {
  const queue: Item[] = [];
  let writing = 0;

  async function notifyAfter(results: Result[]) {
    const accounts = [...new Set(results.filter((r) => r.created && r.accountId).map((r) => r.accountId!))];
    if (!results.some((r) => r.created)) return;
    await db.query(
      `SELECT pg_notify('${EVENTS_CHANNEL}', '')${accounts.map((_, i) => `, pg_notify('${SUBJECT_CHANNEL}', $${i + 1})`).join('')}`,
      accounts,
    );
  }

  async function flush(): Promise<void> {
    writing++;
    try {
      while (queue.length) {
        const batch = queue.splice(0, MAX_BATCH);
        try {
          const results = await createMany(db, batch);
          await notifyAfter(results).catch(() => {}); // the outbox polls; a lost notify delays, never loses
          batch.forEach((item, k) => item.resolve(results[k]));
        } catch {
          // One by one, so that only the record at fault fails.
          for (const item of batch) {
            try {
              const [result] = await createMany(db, [item]);
              await notifyAfter([result]).catch(() => {});
              item.resolve(result);
            } catch (err) {
              item.reject(err);
            }
          }
        }
      }
    } finally {
      writing--;
    }
  }

  return {
    /** A new record with its first revision and event; resolves once committed. */
    write(r: NewRecord, rev: RevisionRow, event: RecordEvent): Promise<Result> {
      return new Promise((resolve, reject) => {
        queue.push({ r, rev, event, resolve, reject });
        if (writing < WRITERS) void flush();
      });
    },
    /** With a signature (the citizen's pages): on its own, in one statement. */
    writeSigned: recordStore.create,
  };
}
export type RecordWriter = ReturnType<typeof createRecordWriter>;
