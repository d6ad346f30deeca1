// Pol.is's open data export, read and written exactly (the layout of compdemocracy/openData):
//   comments.csv            timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body
//   votes.csv               timestamp,datetime,comment-id,voter-id,vote      (1 agree, -1 disagree, 0 pass)
//   participants-votes.csv  participant,group-id,n-comments,n-votes,n-agree,n-disagree,<comment-id>…
// `moderated` is 1 accepted, 0 not yet moderated, -1 rejected. Timestamps are milliseconds in
// older exports and seconds in newer ones; a participant who voted twice on a statement keeps
// their latest vote. Pure functions: no I/O.

export interface PolisComment {
  tid: number;
  authorPid: number;
  body: string;
  moderated: -1 | 0 | 1;
  at: Date;
}
export interface PolisVote {
  tid: number;
  pid: number;
  vote: -1 | 0 | 1;
  at: Date;
}
export interface PolisConversation {
  comments: PolisComment[];
  votes: PolisVote[];
  /** Participant ids seen anywhere (authors and voters), ascending. */
  participants: number[];
}

export class PolisFormatError extends Error {
  constructor(
    public file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** RFC 4180 CSV: quoted fields with doubled quotes, CRLF or LF, a byte-order mark, no final newline. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let any = false;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"') {
      quoted = true;
      any = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      any = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      any = false;
    } else {
      field += ch;
      any = true;
    }
  }
  if (quoted) throw new PolisFormatError('csv', 'a quoted field is not closed');
  if (any || field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const needsQuotes = /[",\r\n]/;
export function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return needsQuotes.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export const csvLine = (fields: Array<string | number | null | undefined>) => fields.map(csvField).join(',') + '\n';

const COMMENTS_HEADER = ['timestamp', 'datetime', 'comment-id', 'author-id', 'agrees', 'disagrees', 'moderated', 'comment-body'];
const VOTES_HEADER = ['timestamp', 'datetime', 'comment-id', 'voter-id', 'vote'];
const PV_FIXED = ['participant', 'group-id', 'n-comments', 'n-votes', 'n-agree', 'n-disagree'];

/** Column positions by name; every one of `need` must be there. */
function columns(file: string, header: string[] | undefined, need: string[]): Record<string, number> {
  if (!header) throw new PolisFormatError(file, 'the file is empty');
  const at: Record<string, number> = {};
  header.forEach((h, i) => (at[h.trim()] = i));
  const missing = need.filter((n) => !(n in at));
  if (missing.length) throw new PolisFormatError(file, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return at;
}

function int(file: string, line: number, name: string, v: string | undefined): number {
  const s = (v ?? '').trim();
  if (!/^-?\d{1,15}$/.test(s)) throw new PolisFormatError(file, `line ${line}: ${name} must be a whole number, not "${s.slice(0, 20)}"`);
  return Number(s);
}

/** Seconds or milliseconds since 1970 (Pol.is has written both) → a date. */
function when(file: string, line: number, v: string | undefined): Date {
  const n = int(file, line, 'timestamp', v);
  return new Date(n > 1e11 ? n : n * 1000);
}

function vote(file: string, line: number, v: string | undefined): -1 | 0 | 1 {
  const n = int(file, line, 'vote', v);
  if (n !== -1 && n !== 0 && n !== 1) throw new PolisFormatError(file, `line ${line}: a vote is 1, 0 or -1, not ${n}`);
  return n;
}

/** Reads an export. votes.csv is preferred; without it, votes come from participants-votes.csv (no times). */
export function parsePolisExport(files: { comments: string; votes?: string | null; participantsVotes?: string | null }): PolisConversation {
  const c = parseCsv(files.comments);
  const ci = columns('comments.csv', c[0], COMMENTS_HEADER);
  const comments: PolisComment[] = [];
  const seenTid = new Set<number>();
  for (let r = 1; r < c.length; r++) {
    const row = c[r];
    if (row.length === 1 && row[0] === '') continue;
    const line = r + 1;
    const tid = int('comments.csv', line, 'comment-id', row[ci['comment-id']]);
    if (seenTid.has(tid)) throw new PolisFormatError('comments.csv', `line ${line}: comment-id ${tid} appears twice`);
    seenTid.add(tid);
    const mod = int('comments.csv', line, 'moderated', row[ci.moderated]);
    if (mod !== -1 && mod !== 0 && mod !== 1) throw new PolisFormatError('comments.csv', `line ${line}: moderated is 1, 0 or -1`);
    comments.push({
      tid,
      authorPid: int('comments.csv', line, 'author-id', row[ci['author-id']]),
      body: (row[ci['comment-body']] ?? '').trim(),
      moderated: mod,
      at: when('comments.csv', line, row[ci.timestamp]),
    });
  }
  comments.sort((a, b) => a.tid - b.tid);

  const latest = new Map<string, PolisVote>();
  if (files.votes && files.votes.trim()) {
    const v = parseCsv(files.votes);
    const vi = columns('votes.csv', v[0], VOTES_HEADER);
    for (let r = 1; r < v.length; r++) {
      const row = v[r];
      if (row.length === 1 && row[0] === '') continue;
      const line = r + 1;
      const tid = int('votes.csv', line, 'comment-id', row[vi['comment-id']]);
      if (!seenTid.has(tid)) continue; // a vote on a comment the export leaves out
      const entry: PolisVote = {
        tid,
        pid: int('votes.csv', line, 'voter-id', row[vi['voter-id']]),
        vote: vote('votes.csv', line, row[vi.vote]),
        at: when('votes.csv', line, row[vi.timestamp]),
      };
      const key = `${entry.pid}:${tid}`;
      const prev = latest.get(key);
      if (!prev || prev.at.getTime() <= entry.at.getTime()) latest.set(key, entry);
    }
  } else if (files.participantsVotes && files.participantsVotes.trim()) {
    const p = parseCsv(files.participantsVotes);
    const pi = columns('participants-votes.csv', p[0], PV_FIXED);
    const header = p[0];
    const tidCols = header.map((h, i) => ({ i, tid: /^\d+$/.test(h.trim()) ? Number(h) : NaN })).filter((x) => !Number.isNaN(x.tid));
    for (let r = 1; r < p.length; r++) {
      const row = p[r];
      if (row.length === 1 && row[0] === '') continue;
      const line = r + 1;
      const pid = int('participants-votes.csv', line, 'participant', row[pi.participant]);
      for (const { i, tid } of tidCols) {
        const cell = (row[i] ?? '').trim();
        if (cell === '' || !seenTid.has(tid)) continue;
        latest.set(`${pid}:${tid}`, { tid, pid, vote: vote('participants-votes.csv', line, cell), at: new Date(0) });
      }
    }
  }
  const votes = [...latest.values()].sort((a, b) => a.tid - b.tid || a.pid - b.pid);
  const participants = [...new Set([...comments.map((x) => x.authorPid), ...votes.map((x) => x.pid)])].sort((a, b) => a - b);
  return { comments, votes, participants };
}

/** Pol.is's datetime column: the JavaScript Date string, in UTC. */
const datetime = (d: Date) =>
  d.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1 $3 $2 $4 $5 GMT+0000 (Coordinated Universal Time)');

export function commentsCsv(
  rows: Array<{ tid: number; authorPid: number; agrees: number; disagrees: number; moderated: number; body: string; at: Date }>,
) {
  let out = COMMENTS_HEADER.join(',') + '\n';
  for (const r of rows)
    out += csvLine([Math.floor(r.at.getTime() / 1000), datetime(r.at), r.tid, r.authorPid, r.agrees, r.disagrees, r.moderated, r.body]);
  return out;
}

export function votesCsv(rows: Array<{ tid: number; pid: number; vote: number; at: Date }>) {
  let out = VOTES_HEADER.join(',') + '\n';
  for (const r of rows) out += csvLine([Math.floor(r.at.getTime() / 1000), datetime(r.at), r.tid, r.pid, r.vote]);
  return out;
}

/** One row per participant: their group (blank if not placed), counts, then their vote on every comment (blank: unseen). */
export function participantsVotesCsv(
  tids: number[],
  rows: Array<{ pid: number; group: number | null; comments: number; votes: Map<number, number> }>,
) {
  let out = [...PV_FIXED, ...tids.map(String)].join(',') + '\n';
  for (const r of rows) {
    let agree = 0,
      disagree = 0;
    for (const v of r.votes.values()) {
      if (v === 1) agree++;
      else if (v === -1) disagree++;
    }
    out += csvLine([r.pid, r.group ?? '', r.comments, r.votes.size, agree, disagree, ...tids.map((t) => r.votes.get(t) ?? '')]);
  }
  return out;
}
