// What the citizen's view reads: every use of my data (released, refused, failed) from the
// access log, newest first, filtered, with covert uses hidden until their release date, each
// explained from the directory (organisation, service page, provider, basis and citation,
// attributes' names) — and its inclusion proof against the current signed tree head.
import type { Db } from '../../kernel/db.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Directory } from './directory.js';
import type { AccessLog } from './log.js';
import type { LogEntry } from './log.js';

export interface UseFilter {
  organisation?: string; // a member id, e.g. UK/LA/RIVERSIDE
  service?: string; // a provider service id
  from?: string; // YYYY-MM-DD
  to?: string;
}

export interface UseView {
  index: number;
  leaf: string;
  at: string;
  entry: LogEntry;
  organisation: string;
  clientName: string;
  servicePage: { name: string; href: string } | null;
  serviceTitle: string;
  provider: string;
  purpose: string;
  basis: { id: string; title: string; citation: string | null; objection: boolean };
  attributes: string[];
  objectable: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function usesOf(
  db: Db,
  subject: string,
  f: UseFilter,
  limit = 500,
): Promise<Array<{ index: number; leaf: string; entry: LogEntry }>> {
  const where = ['subject = $1', '(visible_from IS NULL OR visible_from <= now())'];
  const params: unknown[] = [subject];
  if (f.organisation) {
    params.push(`${f.organisation}/%`);
    where.push(`client LIKE $${params.length}`);
  }
  if (f.service) {
    params.push(f.service);
    where.push(`service = $${params.length}`);
  }
  if (f.from && DATE.test(f.from)) {
    params.push(f.from);
    where.push(`at >= $${params.length}::date`);
  }
  if (f.to && DATE.test(f.to)) {
    params.push(f.to);
    where.push(`at < $${params.length}::date + 1`);
  }
  const { rows } = await db.query<{ leaf_index: number; leaf_hash: Buffer; entry: string }>(
    `SELECT leaf_index, leaf_hash, entry FROM exchange.log_entries WHERE ${where.join(' AND ')} ORDER BY leaf_index DESC LIMIT ${limit}`,
    params,
  );
  return rows.map((r) => ({ index: Number(r.leaf_index), leaf: Buffer.from(r.leaf_hash).toString('base64'), entry: JSON.parse(r.entry) }));
}

export async function explain(
  d: Directory,
  catalogue: CatalogueService,
  u: { index: number; leaf: string; entry: LogEntry },
  lang: 'en' | 'cy',
  t: (k: string, p?: Record<string, string | number>) => string,
): Promise<UseView> {
  const e = u.entry;
  const clientSub = d.subsystems.get(e.client);
  const clientMember = d.members.get(e.client.split('/').slice(0, 3).join('/'));
  const service = d.services.get(e.service);
  const catalogueService = clientSub?.row.service_id ? await catalogue.getServiceById(clientSub.row.service_id).catch(() => null) : null;
  const basisId = e.basis?.startsWith('consent:') ? 'consent' : (e.basis ?? '');
  const basis = d.bases.get(basisId);
  const attr = (name: string) => {
    const a = service?.attributes.find((x) => x.name === name);
    return a ? (lang === 'cy' && a.title_cy ? a.title_cy : a.title) : name;
  };
  const purposeKey = `exchange.purposes.${(e.purpose ?? '').replace(/^dpv:/, '')}`;
  const purpose = t(purposeKey);
  return {
    index: u.index,
    leaf: u.leaf,
    at: e.at,
    entry: e,
    organisation: clientMember?.row.name ?? e.client.split('/').slice(0, 3).join('/'),
    clientName: clientSub?.row.name ?? e.client,
    servicePage: catalogueService
      ? {
          name: lang === 'cy' && catalogueService.name_cy ? catalogueService.name_cy : catalogueService.name,
          href: `/services/${catalogueService.slug}`,
        }
      : null,
    serviceTitle: service ? (lang === 'cy' && service.row.title_cy ? service.row.title_cy : service.row.title) : e.service,
    provider: service?.subsystem.member.row.name ?? e.service.split('/').slice(0, 3).join('/'),
    purpose: purpose === purposeKey ? (e.purpose ?? '') : purpose,
    basis:
      basisId === 'consent'
        ? { id: 'consent', title: t('exchange.yourData.consent'), citation: null, objection: false }
        : {
            id: basisId,
            title: basis ? (lang === 'cy' && basis.title_cy ? basis.title_cy : basis.title) : basisId,
            citation: basis?.citation ?? null,
            objection: !!basis?.objection,
          },
    attributes: e.attributes.map(attr),
    objectable: !!basis?.objection && !!service && e.outcome === 'released',
  };
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function csv(rows: string[][]): string {
  const cell = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export async function proofFor(log: AccessLog, index: number) {
  const sth = await log.sth();
  if (index >= sth.tree_size) return null;
  return { sth, path: (await log.inclusion(index, sth.tree_size)).map((b) => b.toString('base64')) };
}
