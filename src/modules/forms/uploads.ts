// File uploads on a form page: size- and type-checked against the question, kept with the
// person's progress (forms.files) and attached to the submission when it is made.
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { store } from './store.js';
import type { FormBody } from '../../kernel/forms.js';
import type { Page } from './definition.js';
import type { FileAnswer } from './engine.js';
import type { Current } from './pages.js';
import type { RunnerDeps } from './runner.js';

/** The largest upload accepted at all (a question may allow less). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const DEFAULT_ACCEPT = ['application/pdf', 'image/jpeg', 'image/png'];

export interface Upload {
  filename: string;
  mimetype: string;
  data: Buffer;
  truncated: boolean;
}

/** What sniffing the first bytes says a file is (so a renamed .exe is not a PDF). */
function sniff(b: Buffer): string | null {
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (b.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004') return 'application/zip';
  const head = b.subarray(0, 512);
  if (head.length && !head.includes(0)) return 'text/plain';
  return null;
}

export async function readUploads(
  req: FastifyRequest,
  page: Page,
  c: Current,
  d: Pick<RunnerDeps, 'k'>,
): Promise<{ body: FormBody; files: Record<string, FileAnswer | { error: string } | undefined> }> {
  const raw = (req.body ?? {}) as Record<string, unknown>;
  const body: FormBody = {};
  const uploads: Record<string, Upload> = {};
  for (const [key, v] of Object.entries(raw)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && 'data' in (v as object)) uploads[key] = v as Upload;
    else if (typeof v === 'string' || Array.isArray(v)) body[key] = v as string | string[];
  }
  const files: Record<string, FileAnswer | { error: string } | undefined> = {};
  for (const q of page.questions) {
    if (q.type !== 'file') continue;
    const u = uploads[q.id];
    if (!u || (!u.filename && !u.data.length)) continue;
    const max = Math.min(q.validation?.maxBytes ?? MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES);
    const accept = q.validation?.accept ?? DEFAULT_ACCEPT;
    const kind = sniff(u.data);
    if (u.truncated || u.data.length > max) files[q.id] = { error: 'fileTooBig' };
    else if (!u.data.length) files[q.id] = { error: 'fileEmpty' };
    else if (!kind || !accept.includes(kind) || (u.mimetype && u.mimetype !== kind && kind !== 'text/plain'))
      files[q.id] = { error: 'fileType' };
    else {
      const id = randomUUID();
      const name = u.filename.replace(/[\\/\u0000-\u001f]/g, '_').slice(0, 200) || 'upload';
      const sha = createHash('sha256').update(u.data).digest('hex');
      await store.insertFile(d.k.db, {
        id,
        service_id: c.p.service_id,
        progress_id: c.p.id,
        question: q.id,
        name,
        type: kind,
        size: u.data.length,
        sha256: sha,
        data: u.data,
      });
      files[q.id] = { id, name, type: kind, size: u.data.length };
    }
  }
  return { body, files };
}
