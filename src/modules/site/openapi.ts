// The OpenAPI document (/openapi.json) as something a page can show: one API per tag, its
// operations in document order, and every schema flattened into rows of fields
// (`billing_address.line1`, `results[].DPA.UPRN`) with type, whether required, constraints
// and description. Pure: no HTTP, no templates; the wording of types comes from `t`.

type Json = Record<string, any>;
type T = (key: string, params?: Record<string, string | number>) => string;

export interface FieldRow {
  name: string;
  depth: number;
  type: string;
  required: boolean;
  description: string; // as the API's authors wrote it (English)
  constraints: string[]; // in the page's language
}
export interface ParameterRow extends FieldRow {
  location: string;
}
/** Responses alike in everything but status are shown once (Pay's seven error statuses share one shape). */
export interface ResponseView {
  statuses: string[];
  description: string;
  fields: FieldRow[] | null; // null: no JSON body
  example: string | null; // a non-object body (e.g. a PDF) is described by its media type
}
export interface OperationView {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  needsKey: boolean;
  parameters: ParameterRow[];
  requestBody: FieldRow[] | null;
  responses: ResponseView[];
}
export interface ApiView {
  tag: string;
  operations: OperationView[];
  basePath: string;
  needsKey: boolean;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const MAX_DEPTH = 6;

/** `#/components/schemas/X` and friends, inside the one document; a cycle stops at its second visit. */
function deref(doc: Json, s: Json | undefined, seen: Set<string>): Json | undefined {
  let out = s;
  while (out && typeof out.$ref === 'string') {
    if (seen.has(out.$ref)) return { type: 'object', description: out.$ref.split('/').pop() };
    seen.add(out.$ref);
    out = out.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: any, part: string) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return out;
}

/** Literal alternatives (TypeBox's unions of literals) become one enum. */
function literals(s: Json): unknown[] | null {
  const alts = s.anyOf ?? s.oneOf;
  if (!Array.isArray(alts) || alts.length === 0) return null;
  const values: unknown[] = [];
  for (const a of alts) {
    if (Array.isArray(a.enum) && a.enum.length === 1) values.push(a.enum[0]);
    else if ('const' in a) values.push(a.const);
    else return null;
  }
  return values;
}

function typeOf(doc: Json, s: Json | undefined, t: T, seen: Set<string>): string {
  s = deref(doc, s, new Set(seen));
  if (!s) return '';
  const lit = literals(s) ?? (Array.isArray(s.enum) ? s.enum : null);
  let base: string;
  if (lit) base = t('site.docs.oneOf', { values: lit.map((v) => JSON.stringify(v)).join(', ') });
  else if (s.anyOf || s.oneOf) {
    const alts = (s.anyOf ?? s.oneOf) as Json[];
    const nonNull = alts.filter((a) => a.type !== 'null');
    base = nonNull.map((a) => typeOf(doc, a, t, seen)).join(' | ');
    if (nonNull.length < alts.length) base += ` ${t('site.docs.nullable')}`;
  } else if (s.type === 'array') base = t('site.docs.arrayOf', { type: typeOf(doc, s.items, t, seen) || 'any' });
  else if (Array.isArray(s.type)) base = s.type.join(' | ');
  else base = s.type ?? (s.properties ? 'object' : s.allOf ? 'object' : 'any');
  if (s.nullable) base += ` ${t('site.docs.nullable')}`;
  return base;
}

function constraints(s: Json, t: T): string[] {
  const out: string[] = [];
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'format', 'pattern', 'default'] as const) {
    if (s[k] !== undefined) out.push(t(`site.docs.constraints.${k}`, { value: typeof s[k] === 'string' ? s[k] : JSON.stringify(s[k]) }));
  }
  return out;
}

/** The object's own properties, with allOf (TypeBox intersections) merged in. */
function properties(doc: Json, s: Json, seen: Set<string>): { props: Record<string, Json>; required: Set<string> } {
  const props: Record<string, Json> = {};
  const required = new Set<string>();
  const visit = (node: Json | undefined) => {
    node = deref(doc, node, seen);
    if (!node) return;
    for (const part of node.allOf ?? []) visit(part);
    Object.assign(props, node.properties ?? {});
    for (const r of node.required ?? []) required.add(r);
  };
  visit(s);
  return { props, required };
}

/** Every field of a schema, depth first, named by its path. */
export function fieldRows(doc: Json, schema: Json | undefined, t: T, prefix = '', depth = 0, seen = new Set<string>()): FieldRow[] {
  const s = deref(doc, schema, seen);
  if (!s || depth > MAX_DEPTH) return [];
  if (s.type === 'array' || (s.items && !s.properties)) {
    const items = deref(doc, s.items, new Set(seen));
    return items ? fieldRows(doc, items, t, `${prefix}[]`, depth, seen) : [];
  }
  const nonNull = (s.anyOf ?? s.oneOf ?? []).filter((a: Json) => a.type !== 'null');
  if (!s.properties && !s.allOf && nonNull.length === 1) return fieldRows(doc, nonNull[0], t, prefix, depth, seen);
  const { props, required } = properties(doc, s, new Set(seen));
  const rows: FieldRow[] = [];
  for (const [name, raw] of Object.entries(props)) {
    const p = deref(doc, raw, new Set(seen)) ?? {};
    const path = prefix ? `${prefix}.${name}` : name;
    rows.push({
      name: path,
      depth,
      type: typeOf(doc, p, t, seen),
      required: required.has(name),
      description: p.description ?? '',
      constraints: constraints(p, t),
    });
    rows.push(...fieldRows(doc, p, t, path, depth + 1, new Set(seen)));
  }
  return rows;
}

function jsonSchemaOf(content: Json | undefined): { schema?: Json; type?: string } {
  if (!content) return {};
  const type = Object.keys(content).find((k) => k.includes('json')) ?? Object.keys(content)[0];
  return { schema: type ? content[type]?.schema : undefined, type };
}

/** A stable anchor for an operation: `post-pay-v1-payments-paymentid-refunds`. */
export const operationId = (method: string, path: string) =>
  `${method}-${path}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function operationView(doc: Json, method: string, path: string, op: Json, shared: Json[], t: T): OperationView {
  const params = [...shared, ...(op.parameters ?? [])].map((p) => deref(doc, p, new Set()) ?? {});
  const body = op.requestBody ? deref(doc, op.requestBody, new Set()) : undefined;
  const { schema: bodySchema } = jsonSchemaOf(body?.content);
  return {
    id: operationId(method, path),
    method: method.toUpperCase(),
    path,
    summary: op.summary ?? '',
    description: op.description ?? '',
    needsKey: Array.isArray(op.security) ? op.security.length > 0 : Array.isArray(doc.security) && doc.security.length > 0,
    parameters: params.map((p) => ({
      name: p.name,
      depth: 0,
      location: t(`site.docs.locations.${p.in}`),
      type: typeOf(doc, p.schema, t, new Set()),
      required: Boolean(p.required),
      description: p.description ?? p.schema?.description ?? '',
      constraints: constraints(p.schema ?? {}, t),
    })),
    requestBody: bodySchema ? fieldRows(doc, bodySchema, t) : null,
    responses: groupResponses(
      Object.entries<Json>(op.responses ?? {}).map(([status, r]) => {
        const res = deref(doc, r, new Set()) ?? {};
        const { schema, type } = jsonSchemaOf(res.content);
        const s = deref(doc, schema, new Set());
        const structured = s && (s.properties || s.allOf || s.items || s.anyOf || s.oneOf);
        return {
          statuses: [status],
          description: res.description && res.description !== 'Default Response' ? res.description : '',
          fields: structured ? fieldRows(doc, s, t) : null,
          example: !structured && type ? `${type}${s?.type ? ` (${s.type})` : ''}` : null,
        };
      }),
    ),
  };
}

function groupResponses(responses: ResponseView[]): ResponseView[] {
  const groups = new Map<string, ResponseView>();
  for (const r of responses) {
    const key = JSON.stringify([r.description, r.fields, r.example]);
    const g = groups.get(key);
    if (g) g.statuses.push(...r.statuses);
    else groups.set(key, { ...r, statuses: [...r.statuses] });
  }
  return [...groups.values()];
}

/** The APIs of the document, one per tag, in the order the tags first appear. */
export function apisOf(doc: Json, t: T): ApiView[] {
  const byTag = new Map<string, OperationView[]>();
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const tag of op.tags ?? ['other']) {
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag)!.push(operationView(doc, method, path, op, item.parameters ?? [], t));
      }
    }
  }
  return [...byTag].map(([tag, operations]) => ({
    tag,
    operations,
    basePath: commonPrefix(operations.map((o) => o.path)),
    needsKey: operations.some((o) => o.needsKey),
  }));
}

/** The longest run of whole path segments every path starts with. */
function commonPrefix(paths: string[]): string {
  if (paths.length === 0) return '/';
  const split = paths.map((p) => p.split('/'));
  const out: string[] = [];
  for (let i = 0; i < split[0].length; i++) {
    const seg = split[0][i];
    if (seg.startsWith('{') || !split.every((s) => s[i] === seg)) break;
    out.push(seg);
  }
  return out.join('/') || '/';
}
