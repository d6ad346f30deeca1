// RFC 8785 JSON Canonicalization Scheme (JCS): object keys sorted by UTF-16 code units,
// no whitespace, numbers as ECMAScript serialises them, strings as JSON.stringify escapes
// them. The access log's leaf hashes are SHA-256 over 0x00 ‖ this text, so anyone can
// recompute them from an entry with any conformant JCS implementation.

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JCS cannot represent NaN or Infinity');
    return JSON.stringify(value); // ECMAScript Number.prototype.toString is what RFC 8785 specifies
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); // JS string comparison is by UTF-16 code units
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`JCS cannot represent a ${typeof value}`);
}
