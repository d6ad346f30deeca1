// flagd flag documents: validated against flagd's own JSON schema (specs/flagd/flags.json and
// targeting.json, vendored), then checked for what the schema cannot say (the default variant
// exists, fractional buckets name real variants, …), then compiled for evaluation. Every
// problem is reported with the JSON pointer of the part that is wrong.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SRC_DIR } from '../../kernel/views.js';
import { compile, LogicError, type Compiled, type EvalState } from './logic.js';

export interface FlagDefinition {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, unknown>;
  defaultVariant: string;
  targeting?: Record<string, unknown>;
  metadata?: Record<string, string | number | boolean>;
}
export interface FlagDocument {
  $schema?: string;
  flags: Record<string, FlagDefinition>;
  $evaluators?: Record<string, unknown>;
  metadata?: Record<string, string | number | boolean>;
}
export interface Problem {
  path: string; // JSON pointer into the document
  message: string;
}

export const SCHEMA_URL = 'https://flagd.dev/schema/v0/flags.json';
const MAX_FLAGS = 1000;

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  const dir = join(SRC_DIR, '..', 'specs', 'flagd');
  const flags = JSON.parse(readFileSync(join(dir, 'flags.json'), 'utf8'));
  const targeting = JSON.parse(readFileSync(join(dir, 'targeting.json'), 'utf8'));
  // strict: false: the flagd schemas use draft-07 tuple forms that Ajv's strict mode warns about.
  const ajv = new Ajv({ strict: false, allErrors: false });
  ajv.addSchema(targeting);
  validator = ajv.compile(flags);
  return validator;
}

const escape = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** Replace {"$ref": "name"} with the shared evaluator of that name, anywhere in a rule. */
function resolveRefs(rule: unknown, evaluators: Record<string, unknown>, path: string, problems: Problem[], seen: string[] = []): unknown {
  if (Array.isArray(rule)) return rule.map((r, i) => resolveRefs(r, evaluators, `${path}/${i}`, problems, seen));
  if (rule && typeof rule === 'object') {
    const keys = Object.keys(rule);
    if (keys.length === 1 && keys[0] === '$ref') {
      const name = (rule as { $ref: unknown }).$ref;
      if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(evaluators, name)) {
        problems.push({ path: `${path}/$ref`, message: `refers to ${JSON.stringify(name)}, which is not in $evaluators` });
        return null;
      }
      if (seen.includes(name)) {
        problems.push({ path: `${path}/$ref`, message: `"${name}" refers to itself through ${seen.join(' → ')}` });
        return null;
      }
      return resolveRefs(evaluators[name], evaluators, `/$evaluators/${escape(name)}`, problems, [...seen, name]);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = resolveRefs((rule as Record<string, unknown>)[k], evaluators, `${path}/${escape(k)}`, problems, seen);
    return out;
  }
  return rule;
}

/** The most specific schema error: the deepest path, preferring concrete keywords over "must match a schema in anyOf". */
function bestError(errors: ErrorObject[]): Problem {
  const score = (e: ErrorObject) => e.instancePath.split('/').length * 10 + (['anyOf', 'oneOf', 'if'].includes(e.keyword) ? 0 : 1);
  const e = [...errors].sort((a, b) => score(b) - score(a))[0];
  let message = e.message ?? 'is not valid';
  if (e.keyword === 'enum') message += `: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'additionalProperties') message += `: "${e.params.additionalProperty}"`;
  if (e.keyword === 'required') message = `must have "${e.params.missingProperty}"`;
  return { path: e.instancePath || '/', message };
}

/** Walk a resolved rule for fractional buckets naming variants the flag does not have. */
function checkRule(rule: unknown, variants: Record<string, unknown>, path: string, problems: Problem[]) {
  if (Array.isArray(rule)) return rule.forEach((r, i) => checkRule(r, variants, `${path}/${i}`, problems));
  if (!rule || typeof rule !== 'object') return;
  for (const [k, v] of Object.entries(rule)) {
    if (k === 'fractional' && Array.isArray(v)) {
      let total = 0;
      v.forEach((b, i) => {
        if (!Array.isArray(b)) return;
        if (typeof b[0] === 'string' && !Object.prototype.hasOwnProperty.call(variants, b[0]))
          problems.push({ path: `${path}/fractional/${i}/0`, message: `"${b[0]}" is not one of this flag's variants` });
        if (b.length === 2 && (typeof b[1] !== 'number' || !Number.isInteger(b[1]) || b[1] < 0))
          problems.push({ path: `${path}/fractional/${i}/1`, message: 'a weight must be a whole number, 0 or more' });
        else total += b.length === 2 ? (b[1] as number) : 1;
      });
      if (total <= 0) problems.push({ path: `${path}/fractional`, message: 'the weights add up to nothing' });
    }
    checkRule(v, variants, `${path}/${escape(k)}`, problems);
  }
}

export interface CompiledFlag {
  key: string;
  def: FlagDefinition;
  kind: 'boolean' | 'string' | 'number' | 'object';
  rule: Compiled | null;
  metadata: Record<string, string | number | boolean>;
}
export interface CompiledSet {
  document: FlagDocument;
  flags: Map<string, CompiledFlag>;
  metadata: Record<string, string | number | boolean>;
}

/** Validate a document; on success, compile it. Problems carry JSON pointers into the document. */
export function parseDocument(input: unknown): { ok: true; set: CompiledSet } | { ok: false; problems: Problem[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, problems: [{ path: '/', message: 'must be a JSON object with "flags"' }] };
  const doc = input as FlagDocument;
  if (!doc.flags || typeof doc.flags !== 'object' || Array.isArray(doc.flags))
    return { ok: false, problems: [{ path: '/flags', message: 'must be an object of flags by key' }] };
  if (Object.keys(doc.flags).length > MAX_FLAGS)
    return { ok: false, problems: [{ path: '/flags', message: `at most ${MAX_FLAGS} flags in one document` }] };
  const problems: Problem[] = [];
  const evaluators = doc.$evaluators && typeof doc.$evaluators === 'object' && !Array.isArray(doc.$evaluators) ? doc.$evaluators : {};
  // flagd substitutes $ref before it validates; so do we, keeping the paths of the original.
  const resolved: FlagDocument = { ...doc, flags: {} };
  for (const [key, flag] of Object.entries(doc.flags)) {
    const f = flag as FlagDefinition;
    resolved.flags[key] =
      f && typeof f === 'object' && f.targeting !== undefined
        ? { ...f, targeting: resolveRefs(f.targeting, evaluators, `/flags/${escape(key)}/targeting`, problems) as Record<string, unknown> }
        : f;
  }
  if (problems.length) return { ok: false, problems };
  const { $evaluators: _e, metadata: _m, $schema: _s, ...rest } = resolved;
  const validate = schemaValidator();
  if (!validate(rest)) return { ok: false, problems: [bestError(validate.errors ?? [])] };
  for (const [name, rule] of Object.entries(evaluators)) {
    if (!rule || typeof rule !== 'object' || Array.isArray(rule))
      problems.push({ path: `/$evaluators/${escape(name)}`, message: 'must be a rule (an object)' });
  }
  const meta = (m: unknown, path: string) => {
    if (m === undefined) return {};
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      problems.push({ path, message: 'must be an object of strings, numbers and booleans' });
      return {};
    }
    for (const [k, v] of Object.entries(m))
      if (!['string', 'number', 'boolean'].includes(typeof v))
        problems.push({ path: `${path}/${escape(k)}`, message: 'must be a string, number or boolean' });
    return m as Record<string, string | number | boolean>;
  };
  const setMeta = meta(doc.metadata, '/metadata');
  const flags = new Map<string, CompiledFlag>();
  for (const [key, f] of Object.entries(resolved.flags)) {
    const p = `/flags/${escape(key)}`;
    if (key.length > 200 || /[\u0000-\u001f]/.test(key))
      problems.push({ path: p, message: 'a flag key is at most 200 characters, without control characters' });
    const variants = f.variants ?? {};
    const names = Object.keys(variants);
    if (!names.length) problems.push({ path: `${p}/variants`, message: 'must have at least one variant' });
    if (!Object.prototype.hasOwnProperty.call(variants, f.defaultVariant))
      problems.push({
        path: `${p}/defaultVariant`,
        message: `"${f.defaultVariant}" is not one of the variants (${names.join(', ') || 'none'})`,
      });
    const kinds = new Set(names.map((n) => (typeof variants[n] === 'object' ? 'object' : typeof variants[n])));
    if (kinds.size > 1) problems.push({ path: `${p}/variants`, message: 'all variants of a flag must have the same type' });
    const flagMeta = meta((f as FlagDefinition).metadata, `${p}/metadata`);
    let rule: Compiled | null = null;
    const t = f.targeting;
    if (t && Object.keys(t).length) {
      checkRule(t, variants, `${p}/targeting`, problems);
      try {
        rule = compile(t);
      } catch (err) {
        problems.push({ path: `${p}/targeting`, message: err instanceof LogicError ? err.message : 'cannot be compiled' });
      }
    }
    flags.set(key, {
      key,
      def: f,
      kind: ([...kinds][0] as CompiledFlag['kind']) ?? 'boolean',
      rule,
      metadata: { ...setMeta, ...flagMeta },
    });
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, set: { document: doc, flags, metadata: setMeta } };
}

export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'DISABLED' | 'ERROR';
export type ErrorCode = 'FLAG_NOT_FOUND' | 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'TYPE_MISMATCH' | 'GENERAL';
export interface Resolution {
  key: string;
  value?: unknown;
  variant?: string;
  reason: Reason;
  errorCode?: ErrorCode;
  errorDetails?: string;
  metadata: Record<string, string | number | boolean>;
}

/** Evaluate one compiled flag for a context (flagd's rules: null → default; booleans name variants "true"/"false"). */
export function resolveFlag(flag: CompiledFlag, context: Record<string, unknown>, now = Date.now()): Resolution {
  const { def, key, metadata } = flag;
  const served = (variant: string, reason: Reason): Resolution => ({ key, value: def.variants[variant], variant, reason, metadata });
  if (def.state === 'DISABLED') return served(def.defaultVariant, 'DISABLED');
  if (!flag.rule) return served(def.defaultVariant, 'STATIC');
  const s: EvalState = { flagKey: key, split: false, keyMissing: false };
  let out: unknown;
  try {
    out = flag.rule({ ...context, $flagd: { flagKey: key, timestamp: Math.floor(now / 1000) } }, s);
  } catch {
    return { key, reason: 'ERROR', errorCode: 'GENERAL', errorDetails: 'The flag’s targeting failed to evaluate', metadata };
  }
  if (out === null || out === undefined) {
    if (s.keyMissing)
      return {
        key,
        reason: 'ERROR',
        errorCode: 'TARGETING_KEY_MISSING',
        errorDetails: 'This flag splits by targetingKey: send one in the context',
        metadata,
      };
    return served(def.defaultVariant, 'DEFAULT');
  }
  const variant = typeof out === 'string' ? out : typeof out === 'boolean' || typeof out === 'number' ? String(out) : null;
  if (variant === null || !Object.prototype.hasOwnProperty.call(def.variants, variant))
    return {
      key,
      reason: 'ERROR',
      errorCode: 'GENERAL',
      errorDetails: `The flag’s targeting chose ${JSON.stringify(out)?.slice(0, 100)}, which is not one of its variants`,
      metadata,
    };
  return served(variant, s.split ? 'SPLIT' : 'TARGETING_MATCH');
}

/** A strong validator of the document's content: the same document always has the same ETag. */
export function etagOf(doc: unknown, version: number): string {
  return `"${createHash('sha256')
    .update(`${version}:${JSON.stringify(doc)}`)
    .digest('base64url')
    .slice(0, 22)}"`;
}
