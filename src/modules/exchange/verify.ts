// `cityscape exchange verify-log`: recompute the whole tree from the stored entries and check
// it against every signed tree head. Reports a changed entry (its leaf hash no longer matches
// the one recorded when it was appended, or a tree head's root), a removed one (a gap in the
// indices), a reordered one (roots differ), columns that disagree with the hashed entry, and
// tree heads whose signature does not verify with the node's key.
import type { KeyObject } from 'node:crypto';
import type { Db } from '../../kernel/db.js';
import { canonicalJson } from './canonical.js';
import { foldRange, leafHash, nodeHash } from './merkle.js';
import { verifySth, type Sth } from './log.js';

export interface VerifyReport {
  ok: boolean;
  entries: number;
  treeHeads: number;
  problems: string[];
  seconds: number;
}

const BATCH = 10_000;

export async function verifyLog(
  db: Db,
  opts: { sths: Sth[]; keyFor: (kid: string) => KeyObject | null; onProgress?: (n: number) => void },
): Promise<VerifyReport> {
  const t0 = Date.now();
  const problems: string[] = [];
  const report = (p: string) => {
    if (problems.length < 100) problems.push(p);
  };
  const heads = [...opts.sths].sort((a, b) => a.tree_size - b.tree_size);
  for (const h of heads) {
    const key = opts.keyFor(h.key_id);
    if (!key || !verifySth(h, key))
      report(`Tree head at size ${h.tree_size}: the signature does not verify with the node's key ${h.key_id}`);
  }
  let headAt = 0;
  const stack: Array<{ level: number; hash: Buffer }> = [];
  const root = () => foldRange(stack.map((s) => s.hash));
  const checkHeads = (n: number) => {
    while (headAt < heads.length && heads[headAt].tree_size <= n) {
      const h = heads[headAt++];
      if (h.tree_size < n) continue; // only reachable when entries are missing; reported below
      if (root().toString('base64') !== h.root_hash)
        report(
          `Tree head at size ${h.tree_size} (signed ${new Date(h.timestamp).toISOString()}): the entries no longer give its root hash`,
        );
    }
  };
  checkHeads(0);
  let expected = 0;
  for (;;) {
    const { rows } = await db.query<{
      leaf_index: number;
      leaf_hash: Buffer;
      entry: string;
      subject: string | null;
      client: string;
      service: string;
      outcome: string;
      x_road_id: string;
      orig: Buffer | null;
    }>(
      `SELECT e.leaf_index, e.leaf_hash, e.entry, e.subject, e.client, e.service, e.outcome, e.x_road_id, n.hash AS orig
         FROM exchange.log_entries e LEFT JOIN exchange.log_nodes n ON n.level = 0 AND n.idx = e.leaf_index
        WHERE e.leaf_index >= $1 ORDER BY e.leaf_index LIMIT ${BATCH}`,
      [expected],
    );
    if (!rows.length) break;
    for (const r of rows) {
      const i = Number(r.leaf_index);
      if (i !== expected) {
        report(`Entries ${expected}–${i - 1} are missing (removed from the log)`);
        expected = i; // carry on so later problems are found too; roots after this will not match
      }
      const leaf = leafHash(r.entry);
      let parsed: any = null;
      try {
        parsed = JSON.parse(r.entry);
      } catch {
        /* reported below */
      }
      if (!parsed || canonicalJson(parsed) !== r.entry) report(`Entry ${i}: the stored entry is not canonical JSON`);
      else if (
        (parsed.subject ?? null) !== r.subject ||
        parsed.client !== r.client ||
        parsed.service !== r.service ||
        parsed.outcome !== r.outcome ||
        parsed.x_road_id !== r.x_road_id
      )
        report(`Entry ${i}: its columns were changed (they no longer match the hashed entry)`);
      if (!leaf.equals(Buffer.from(r.leaf_hash)) || (r.orig && !leaf.equals(Buffer.from(r.orig))))
        report(`Entry ${i}: changed since it was appended (its leaf hash no longer matches)`);
      let top = { level: 0, hash: leaf };
      while (stack.length && stack[stack.length - 1].level === top.level)
        top = { level: top.level + 1, hash: nodeHash(stack.pop()!.hash, top.hash) };
      stack.push(top);
      expected = i + 1;
      checkHeads(expected);
    }
    opts.onProgress?.(expected);
  }
  for (; headAt < heads.length; headAt++)
    report(`Tree head at size ${heads[headAt].tree_size}: the log has only ${expected} entries (entries were removed)`);
  return { ok: problems.length === 0, entries: expected, treeHeads: heads.length, problems, seconds: (Date.now() - t0) / 1000 };
}
