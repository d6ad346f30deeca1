// Files sent by email as a link (Notify's "send a file by email"): a personalisation value
// {file, filename, confirm_email_before_download, retention_period} becomes an unguessable link;
// the file is kept until its retention period ends; only a hash of the link's key is stored,
// and, when asked, the recipient must confirm their email address before downloading.
import { randomBytes, randomUUID } from 'node:crypto';
import { sha256 } from '../../kernel/crypto.js';
import { badRequest } from './errors.js';
import { normaliseEmail } from './content/recipients.js';

export interface PendingDocument {
  row: {
    id: string;
    service_id: string;
    filename: string | null;
    mime_type: string;
    content: Buffer;
    key_hash: string;
    confirm_email: boolean;
    recipient_hash: string | null;
    retention_days: number;
  };
}

const MAX_BYTES = 2 * 1024 * 1024;
const TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  csv: 'text/csv',
  txt: 'text/plain',
  json: 'application/json',
  rtf: 'application/rtf',
  odt: 'application/vnd.oasis.opendocument.text',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
};
const SUPPORTED = `'.csv', '.jpeg', '.jpg', '.json', '.odt', '.pdf', '.png', '.rtf', '.txt', '.doc', '.docx', '.xlsx'`;

const isFileValue = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && 'file' in (v as object);

function sniff(bytes: Buffer, filename: string | null): string {
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (ext) {
    if (!TYPES[ext]) throw badRequest(`Unsupported file type '.${ext}'. Supported types are: ${SUPPORTED}`);
    return TYPES[ext];
  }
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return TYPES.pdf;
  if (bytes[0] === 0x89 && bytes.subarray(1, 4).toString('latin1') === 'PNG') return TYPES.png;
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return TYPES.jpg;
  if (!bytes.subarray(0, 4096).includes(0)) return TYPES.txt;
  throw badRequest(`Unsupported file type. Supported types are: ${SUPPORTED}`);
}

function retentionDays(v: unknown): number {
  if (v === undefined || v === null) return 26 * 7;
  const m = typeof v === 'string' ? /^(\d{1,2}) weeks?$/.exec(v.trim()) : null;
  const weeks = m ? Number(m[1]) : NaN;
  if (!(weeks >= 1 && weeks <= 78))
    throw badRequest(`Unsupported value for retention_period '${String(v)}'. Supported periods are from 1 to 78 weeks.`);
  return weeks * 7;
}

/** Replaces file values with their links; the documents are written with the notification. */
export function prepareDocuments(
  values: Record<string, unknown>,
  ctx: { serviceId: string; recipient: string; base: string; channel: 'email' },
): { values: Record<string, unknown>; pending: PendingDocument[] } {
  const pending: PendingDocument[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(values)) {
    if (!isFileValue(v)) {
      out[name] = v;
      continue;
    }
    if (typeof v.file !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(v.file))
      throw badRequest('File could not be decoded: it must be base64 encoded');
    const content = Buffer.from(v.file, 'base64');
    if (!content.length) throw badRequest('File is empty');
    if (content.length > MAX_BYTES) throw badRequest('File is larger than 2MB');
    const filename = typeof v.filename === 'string' && v.filename.trim() ? v.filename.trim().slice(0, 200) : null;
    const confirm = v.confirm_email_before_download;
    if (confirm !== undefined && confirm !== null && typeof confirm !== 'boolean') {
      throw badRequest(`Unsupported value for confirm_email_before_download: ${String(confirm)}. Use a boolean true or false value.`);
    }
    const mime = v.is_csv === true ? TYPES.csv : sniff(content, filename);
    const id = randomUUID();
    const key = randomBytes(24).toString('base64url');
    pending.push({
      row: {
        id,
        service_id: ctx.serviceId,
        filename,
        mime_type: mime,
        content,
        key_hash: sha256(key),
        confirm_email: confirm !== false,
        recipient_hash: sha256(normaliseEmail(ctx.recipient)),
        retention_days: retentionDays(v.retention_period),
      },
    });
    out[name] = `${ctx.base}/d/${ctx.serviceId}/${id}?key=${key}`;
  }
  return { values: out, pending };
}
