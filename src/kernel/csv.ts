// Shared by every module that offers CSV downloads (performance, engagement, …).
// CSV as RFC 4180 writes it, safe to open in a spreadsheet: text that a spreadsheet would run as a
// formula (starting =, +, -, @, tab or carriage return) is prefixed with an apostrophe. Control
// characters other than tab and line breaks (NUL, escape, …) are dropped first, so none can hide
// a formula from that check or upset the program reading the file.
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(rows: unknown[][]): string {
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
