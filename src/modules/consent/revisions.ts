// The spec's Revision objects: a locked snapshot of a row, chained and signed. Each revision
// keeps `serializedSnapshot` (canonical JSON: sorted keys, as RFC 8785), `serializedHash`
// (SHA-1 of the snapshot, as the spec says), `predecessorHash` (the previous revision's hash)
// and `predecessorSignature` (the previous revision's signature). Its own `signature` is a JWS
// by the platform key over the link {schemaName, objectId, seq, serializedHash, snapshotSha256,
// predecessorHash}: SHA-256 covers the snapshot too, so the chain does not rest on SHA-1.
// Changing any past revision breaks its hash, the next link, or a signature (verifyChain).
import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';
import type { Signer } from './keys.js';

export type SchemaName = 'Policy' | 'DataAgreement' | 'ConsentRecord' | 'Individual';
export const REVISION_TYP = 'consent-revision+jws';

export interface RevisionRow {
  id: string;
  organisation_id: string;
  schema_name: SchemaName;
  object_id: string;
  seq: number;
  timestamp: string;
  authorized_by_individual: string | null;
  authorized_by_other: string;
  serialized_snapshot: string;
  serialized_hash: string;
  predecessor_hash: string;
  predecessor_signature: string;
  signature: string;
  successor_id: string | null;
}
export type Predecessor = Pick<RevisionRow, 'id' | 'seq' | 'serialized_hash' | 'signature'>;

/** JSON with object keys sorted at every level (RFC 8785 for the values we store). */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
    .join(',')}}`;
}

export const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');
export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

const link = (r: Pick<RevisionRow, 'schema_name' | 'object_id' | 'seq' | 'serialized_hash' | 'serialized_snapshot' | 'predecessor_hash'>) =>
  canonical({
    schemaName: r.schema_name,
    objectId: r.object_id,
    seq: r.seq,
    serializedHash: r.serialized_hash,
    snapshotSha256: sha256(r.serialized_snapshot),
    predecessorHash: r.predecessor_hash,
  });

/** A new revision of `objectData` after `predecessor` (null for the first), signed. Not yet stored. */
export function buildRevision(
  signer: Signer,
  input: {
    organisationId: string;
    schemaName: SchemaName;
    objectId: string;
    objectData: Record<string, unknown>;
    authorizedByIndividual?: string | null;
    authorizedByOther?: string;
    predecessor: Predecessor | null;
    at?: Date;
  },
): RevisionRow {
  const timestamp = (input.at ?? new Date()).toISOString();
  const authorizedByIndividual = input.authorizedByIndividual ?? null;
  const authorizedByOther = input.authorizedByOther ?? '';
  const serialized_snapshot = canonical({
    schemaName: input.schemaName,
    objectId: input.objectId,
    signedWithoutObjectId: false,
    timestamp,
    authorizedByIndividual: authorizedByIndividual ? { id: authorizedByIndividual } : null,
    authorizedByOther,
    objectData: input.objectData,
  });
  const row: RevisionRow = {
    id: randomUUID(),
    organisation_id: input.organisationId,
    schema_name: input.schemaName,
    object_id: input.objectId,
    seq: input.predecessor ? input.predecessor.seq + 1 : 1,
    timestamp,
    authorized_by_individual: authorizedByIndividual,
    authorized_by_other: authorizedByOther,
    serialized_snapshot,
    serialized_hash: sha1(serialized_snapshot),
    predecessor_hash: input.predecessor?.serialized_hash ?? '',
    predecessor_signature: input.predecessor?.signature ?? '',
    signature: '',
    successor_id: null,
  };
  row.signature = signer.sign(link(row), REVISION_TYP);
  return row;
}

export const REVISION_COLUMNS =
  'id, organisation_id, schema_name, object_id, seq, timestamp, authorized_by_individual, authorized_by_other, serialized_snapshot, serialized_hash, predecessor_hash, predecessor_signature, signature';

/** The 13 values of REVISION_COLUMNS, in order. */
export const revisionValues = (r: RevisionRow) => [
  r.id,
  r.organisation_id,
  r.schema_name,
  r.object_id,
  r.seq,
  r.timestamp,
  r.authorized_by_individual,
  r.authorized_by_other,
  r.serialized_snapshot,
  r.serialized_hash,
  r.predecessor_hash,
  r.predecessor_signature,
  r.signature,
];

/** Stores a revision and points its predecessor at it, in the caller's transaction. */
export async function insertRevision(tx: Queryable, r: RevisionRow, predecessorId: string | null): Promise<void> {
  await tx.query(
    `INSERT INTO consent.revisions (${REVISION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
    revisionValues(r),
  );
  if (predecessorId) await tx.query('UPDATE consent.revisions SET successor_id = $2 WHERE id = $1', [predecessorId, r.id]);
}

export async function latestRevision(q: Queryable, objectId: string): Promise<RevisionRow | null> {
  const { rows } = await q.query<RevisionRow>('SELECT * FROM consent.revisions WHERE object_id = $1 ORDER BY seq DESC LIMIT 1', [objectId]);
  return rows[0] ?? null;
}

export interface ChainProblem {
  revisionId: string;
  objectId: string;
  schemaName: string;
  seq: number;
  problem: string;
}

/** Checks one object's revisions (in seq order): hashes, links, signatures, successors. */
export function verifyChain(signer: Signer, chain: RevisionRow[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const add = (r: RevisionRow, problem: string) =>
    problems.push({ revisionId: r.id, objectId: r.object_id, schemaName: r.schema_name, seq: r.seq, problem });
  chain.forEach((r, i) => {
    const prev = chain[i - 1];
    if (r.seq !== i + 1) add(r, `revision ${i + 1} is missing`);
    if (sha1(r.serialized_snapshot) !== r.serialized_hash) add(r, 'serializedSnapshot does not match serializedHash');
    if (r.predecessor_hash !== (prev?.serialized_hash ?? '')) add(r, 'predecessorHash does not match the previous revision');
    if (r.predecessor_signature !== (prev?.signature ?? '')) add(r, 'predecessorSignature does not match the previous revision');
    if (prev && prev.successor_id !== r.id) add(prev, 'successor does not point at the next revision');
    const checked = signer.verify(r.signature);
    if (!checked || checked.payload !== link(r)) add(r, 'the platform signature does not verify');
    try {
      const snap = JSON.parse(r.serialized_snapshot) as { objectId?: string; schemaName?: string };
      if (snap.objectId !== r.object_id || snap.schemaName !== r.schema_name) add(r, 'the snapshot is of another object');
    } catch {
      add(r, 'serializedSnapshot is not JSON');
    }
  });
  const last = chain[chain.length - 1];
  if (last?.successor_id) add(last, 'the latest revision has a successor that does not exist');
  return problems;
}

/** Every chain (optionally one organisation's), checked in batches of objects. */
export async function verifyAll(
  db: Queryable,
  signer: Signer,
  organisationId?: string,
): Promise<{ objects: number; revisions: number; problems: ChainProblem[] }> {
  const problems: ChainProblem[] = [];
  let objects = 0;
  let revisions = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows: ids } = await db.query<{ object_id: string }>(
      `SELECT DISTINCT object_id FROM consent.revisions WHERE object_id > $1 AND ($2::uuid IS NULL OR organisation_id = $2)
        ORDER BY object_id LIMIT 500`,
      [after, organisationId ?? null],
    );
    if (!ids.length) break;
    const { rows } = await db.query<RevisionRow>(
      'SELECT * FROM consent.revisions WHERE object_id = ANY($1::uuid[]) ORDER BY object_id, seq',
      [ids.map((r) => r.object_id)],
    );
    const byObject = new Map<string, RevisionRow[]>();
    for (const r of rows) (byObject.get(r.object_id) ?? byObject.set(r.object_id, []).get(r.object_id)!).push(r);
    for (const chain of byObject.values()) problems.push(...verifyChain(signer, chain));
    objects += byObject.size;
    revisions += rows.length;
    after = ids[ids.length - 1].object_id;
  }
  return { objects, revisions, problems };
}
