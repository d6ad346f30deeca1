// Streaming reader of AddressBase Premium CSV: every record type in one file, one record a
// line, text quoted with "" for a quote, CRLF or LF. Yields checked records with their line
// numbers and collects problems (wrong field count, bad numbers or dates, unknown record
// types, a trailer whose count disagrees) so a malformed file is reported in one go.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  AbpFormatError,
  checkValue,
  HEADER_COLS,
  METADATA_COLS,
  missingKey,
  RECORDS,
  TRAILER_COLS,
  type AbpRecord,
  type ChangeType,
} from './abp.js';

export interface FileInfo {
  custodianName?: string;
  processDate?: string;
  fileType?: string;
  records: number;
}

/** Splits one CSV line; returns null when a quote is left open. Empty fields → null. */
export function splitCsv(line: string): Array<string | null> | null {
  const out: Array<string | null> = [];
  let i = 0;
  const n = line.length;
  while (true) {
    if (i < n && line.charCodeAt(i) === 34) {
      // quoted
      let v = '';
      i++;
      while (true) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        v += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v === '' ? null : v);
      if (i >= n) return out;
      if (line.charCodeAt(i) !== 44) return null;
      i++;
    } else {
      const c = line.indexOf(',', i);
      const v = c < 0 ? line.slice(i) : line.slice(i, c);
      out.push(v === '' ? null : v.trim() === '' ? null : v);
      if (c < 0) return out;
      i = c + 1;
    }
  }
}

const MAX_PROBLEMS = 50;

/**
 * Reads a CSV supply, calling `onRecord` for each data record (11–32) in file order, and
 * `onBytes` as the file is read. Throws AbpFormatError listing the problems found.
 */
export async function readAbpCsv(
  source: string | Readable,
  name: string,
  onRecord: (r: AbpRecord) => Promise<void> | void,
  onBytes?: (bytes: number) => void,
): Promise<FileInfo> {
  const stream = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  if (onBytes) stream.on('data', (chunk: Buffer | string) => onBytes(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const problems: Array<{ line: number; message: string }> = [];
  const problem = (line: number, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line, message });
  };
  const info: FileInfo = { records: 0 };
  let lineNo = 0,
    total = 0,
    trailerCount: number | null = null,
    trailerLine = 0,
    sawHeader = false;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (line.trim() === '') continue;
    total++;
    const f = splitCsv(line);
    if (!f) {
      problem(lineNo, 'a quoted field is not closed');
      continue;
    }
    const type = Number(f[0]);
    if (type === 10) {
      if (f.length !== HEADER_COLS.length) {
        problem(lineNo, `header record has ${f.length} fields, expected ${HEADER_COLS.length}`);
        continue;
      }
      sawHeader = true;
      info.custodianName = f[1] ?? undefined;
      info.processDate = f[3] ?? undefined;
      info.fileType = f[8] ?? undefined;
      continue;
    }
    if (type === 29) {
      if (f.length !== METADATA_COLS.length) problem(lineNo, `metadata record has ${f.length} fields, expected ${METADATA_COLS.length}`);
      continue;
    }
    if (type === 99) {
      if (f.length !== TRAILER_COLS.length) {
        problem(lineNo, `trailer record has ${f.length} fields, expected ${TRAILER_COLS.length}`);
        continue;
      }
      trailerCount = Number(f[2]);
      trailerLine = lineNo;
      continue;
    }
    const def = RECORDS[type];
    if (!def) {
      problem(lineNo, `unknown record type "${(f[0] ?? '').slice(0, 10)}"`);
      continue;
    }
    if (f.length !== def.cols.length + 3) {
      problem(lineNo, `${def.name} record (type ${type}) has ${f.length} fields, expected ${def.cols.length + 3}`);
      continue;
    }
    const change = f[1] as ChangeType;
    if (change !== 'I' && change !== 'U' && change !== 'D') {
      problem(lineNo, `CHANGE_TYPE "${f[1] ?? ''}" is not I, U or D`);
      continue;
    }
    const values = f.slice(3);
    let bad = false;
    for (let i = 0; i < def.cols.length; i++) {
      const msg = checkValue(def.cols[i], values[i]);
      if (msg) {
        problem(lineNo, msg);
        bad = true;
        break;
      }
    }
    const missing = bad ? null : missingKey(def, values);
    if (missing) {
      problem(lineNo, missing);
      bad = true;
    }
    if (bad) continue;
    info.records++;
    if (problems.length === 0) await onRecord({ type, change, values, line: lineNo });
  }
  if (!sawHeader && total > 0 && problems.length === 0) problem(1, 'the file has no header record (type 10)');
  if (total === 0) problem(1, 'the file is empty');
  else if (trailerCount === null && problems.length === 0) problem(lineNo, 'the file has no trailer record (type 99); it may be truncated');
  // The trailer counts the records in the file (with or without header, metadata and trailer).
  if (
    problems.length === 0 &&
    trailerCount !== null &&
    trailerCount !== info.records &&
    trailerCount !== total &&
    trailerCount !== total - 1
  ) {
    problem(trailerLine, `trailer says ${trailerCount} records but the file has ${info.records}; it may be truncated`);
  }
  if (problems.length) throw new AbpFormatError(name, problems);
  return info;
}
