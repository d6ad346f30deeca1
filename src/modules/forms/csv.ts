// Submissions as CSV for the console's export: one row per submission, one column per
// question (repeated items numbered), spreadsheet-safe through the kernel's CSV cells.
import { cell } from '../../kernel/csv.js';
import type { SubmissionRow } from './store.js';

export function toCsv(rows: SubmissionRow[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  const keyed = rows.map((r) => {
    const m = new Map<string, string>();
    for (const a of r.answers) {
      const k = a.item ? `${a.label} (${a.item})` : a.label;
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
      m.set(k, a.text);
    }
    return m;
  });
  const head = ['reference', 'submitted_at', 'form_version', 'language', 'fee_pence', 'payment_id', ...columns];
  const lines = [head.map(cell).join(',')];
  rows.forEach((r, i) =>
    lines.push(
      [
        r.reference,
        new Date(r.created_at).toISOString(),
        r.version,
        r.language,
        r.fee ?? '',
        r.payment_id ?? '',
        ...columns.map((c) => keyed[i].get(c) ?? ''),
      ]
        .map(cell)
        .join(','),
    ),
  );
  return lines.join('\r\n') + '\r\n';
}
