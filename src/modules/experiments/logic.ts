// JsonLogic with flagd's operators (fractional, sem_ver, starts_with, ends_with), compiled once
// per flag into plain closures so an evaluation is a few function calls (the in-process budget
// is 20 µs). Semantics follow json-logic-js, which flagd's providers use; `fractional` buckets
// exactly as flagd does: murmur3_32(bucketBy) × total weight >> 32 against the running sum.
import { murmur3 } from './murmur.js';

/** Per-evaluation state the operators report through. */
export interface EvalState {
  flagKey: string;
  /** A `fractional` chose the result (reason SPLIT). */
  split: boolean;
  /** A `fractional` needed the targeting key and the context had none. */
  keyMissing: boolean;
}
export type Data = Record<string, unknown>;
export type Compiled = (data: unknown, s: EvalState) => unknown;

export const truthy = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : !!v);

function getVar(data: unknown, path: unknown, fallback: unknown): unknown {
  if (path === undefined || path === null || path === '') return data;
  const parts = String(path).split('.');
  let cur: any = data;
  for (const p of parts) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return fallback;
    if (!Object.prototype.hasOwnProperty.call(cur, p)) return fallback;
    cur = cur[p];
  }
  return cur === undefined ? fallback : cur;
}

const num = (v: unknown) => Number(v);

/** Semantic version precedence (semver.org §11); null when either is not a version. */
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}
export function parseSemVer(v: unknown): SemVer | null {
  if (typeof v !== 'string') return null;
  const m = SEMVER.exec(v.trim());
  return m ? { major: +m[1], minor: +m[2], patch: +m[3], pre: m[4] ? m[4].split('.') : [] } : null;
}
export function compareSemVer(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (!a.pre.length || !b.pre.length) return a.pre.length === b.pre.length ? 0 : a.pre.length ? -1 : 1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      if (+x !== +y) return +x < +y ? -1 : 1;
    } else if (xn !== yn) return xn ? -1 : 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
function semVer(a: unknown, op: unknown, b: unknown): boolean | null {
  const x = parseSemVer(a);
  const y = parseSemVer(b);
  if (!x || !y) return null;
  const c = compareSemVer(x, y);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '^':
      return x.major === y.major;
    case '~':
      return x.major === y.major && x.minor === y.minor;
  }
  return null;
}

/** flagd's fractional: [bucketBy?, [variant, weight?], …] → the chosen variant or null. */
export function fractional(args: unknown[], data: unknown, s: EvalState): unknown {
  if (!args.length) return null;
  let bucketBy: string;
  let buckets: unknown[];
  if (typeof args[0] === 'string') {
    bucketBy = args[0];
    buckets = args.slice(1);
  } else {
    const key = (data as Data | null)?.targetingKey;
    if (key === undefined || key === null || key === '') {
      s.keyMissing = true;
      return null;
    }
    bucketBy = `${s.flagKey}${String(key)}`;
    buckets = args;
  }
  let total = 0;
  const weights: number[] = [];
  for (const b of buckets) {
    if (!Array.isArray(b) || b.length === 0 || b.length > 2) return null;
    let w = 1;
    if (b.length === 2) {
      if (typeof b[1] !== 'number' || !Number.isInteger(b[1])) return null;
      w = Math.max(0, b[1]);
    }
    weights.push(w);
    total += w;
  }
  if (total === 0 || total > 2147483647) return null;
  // (hash × total) >> 32 without losing precision: hash < 2^32 and total < 2^31 need 63 bits.
  const bucket = Number((BigInt(murmur3(bucketBy)) * BigInt(total)) >> 32n);
  let sum = 0;
  for (let i = 0; i < buckets.length; i++) {
    sum += weights[i];
    if (sum > bucket) {
      s.split = true;
      const v = (buckets[i] as unknown[])[0];
      return v === undefined ? null : v;
    }
  }
  return null;
}

function looseEq(a: unknown, b: unknown): boolean {
  return a == (b as any);
}

type Op = (args: Compiled[], data: unknown, s: EvalState) => unknown;
const all = (args: Compiled[], data: unknown, s: EvalState) => args.map((a) => a(data, s));

/** Array operators evaluate their logic against each element (var is relative to it). */
function arrayOp(kind: 'map' | 'filter' | 'all' | 'none' | 'some'): Op {
  return (args, data, s) => {
    const arr = args[0]?.(data, s);
    if (!Array.isArray(arr)) return kind === 'map' || kind === 'filter' ? [] : kind === 'none';
    const f = args[1];
    if (!f) return null;
    switch (kind) {
      case 'map':
        return arr.map((x) => f(x, s));
      case 'filter':
        return arr.filter((x) => truthy(f(x, s)));
      case 'all':
        return arr.length > 0 && arr.every((x) => truthy(f(x, s)));
      case 'none':
        return !arr.some((x) => truthy(f(x, s)));
      case 'some':
        return arr.some((x) => truthy(f(x, s)));
    }
  };
}

const OPS: Record<string, Op> = {
  var: (args, data, s) => getVar(data, args[0]?.(data, s), args[1] ? args[1](data, s) : null),
  missing: (args, data, s) => {
    let keys = all(args, data, s);
    if (Array.isArray(keys[0])) keys = keys[0] as unknown[];
    return keys.filter((k) => {
      const v = getVar(data, k, null);
      return v === null || v === '';
    });
  },
  missing_some: (args, data, s) => {
    const need = num(args[0]?.(data, s));
    const keys = (args[1]?.(data, s) as unknown[]) ?? [];
    if (!Array.isArray(keys)) return [];
    const missing = keys.filter((k) => {
      const v = getVar(data, k, null);
      return v === null || v === '';
    });
    return keys.length - missing.length >= need ? [] : missing;
  },
  if: (args, data, s) => {
    let i = 0;
    for (; i < args.length - 1; i += 2) if (truthy(args[i](data, s))) return args[i + 1](data, s);
    return i === args.length - 1 ? args[i](data, s) : null;
  },
  '==': (a, d, s) => looseEq(a[0]?.(d, s), a[1]?.(d, s)),
  '!=': (a, d, s) => !looseEq(a[0]?.(d, s), a[1]?.(d, s)),
  '===': (a, d, s) => a[0]?.(d, s) === a[1]?.(d, s),
  '!==': (a, d, s) => a[0]?.(d, s) !== a[1]?.(d, s),
  '>': (a, d, s) => (a[0]?.(d, s) as any) > (a[1]?.(d, s) as any),
  '>=': (a, d, s) => (a[0]?.(d, s) as any) >= (a[1]?.(d, s) as any),
  '<': (a, d, s) => {
    const [x, y, z] = all(a, d, s) as any[];
    return a.length === 3 ? x < y && y < z : x < y;
  },
  '<=': (a, d, s) => {
    const [x, y, z] = all(a, d, s) as any[];
    return a.length === 3 ? x <= y && y <= z : x <= y;
  },
  '!': (a, d, s) => !truthy(a[0]?.(d, s)),
  '!!': (a, d, s) => truthy(a[0]?.(d, s)),
  or: (a, d, s) => {
    let v: unknown = null;
    for (const f of a) if (truthy((v = f(d, s)))) return v;
    return v;
  },
  and: (a, d, s) => {
    let v: unknown = null;
    for (const f of a) if (!truthy((v = f(d, s)))) return v;
    return v;
  },
  '%': (a, d, s) => num(a[0]?.(d, s)) % num(a[1]?.(d, s)),
  '+': (a, d, s) => all(a, d, s).reduce((t: number, x) => t + num(x), 0),
  '*': (a, d, s) => all(a, d, s).reduce((t: number, x) => t * num(x), 1),
  '-': (a, d, s) => (a.length === 1 ? -num(a[0](d, s)) : num(a[0]?.(d, s)) - num(a[1]?.(d, s))),
  '/': (a, d, s) => num(a[0]?.(d, s)) / num(a[1]?.(d, s)),
  min: (a, d, s) => Math.min(...all(a, d, s).map(num)),
  max: (a, d, s) => Math.max(...all(a, d, s).map(num)),
  cat: (a, d, s) =>
    all(a, d, s)
      .map((x) => (x === null || x === undefined ? '' : String(x)))
      .join(''),
  substr: (a, d, s) => {
    const [str, start, len] = all(a, d, s);
    const t = String(str ?? '');
    const from = num(start);
    if (len === undefined) return t.substr(from);
    const n = num(len);
    return n < 0 ? t.substr(from).slice(0, n) : t.substr(from, n);
  },
  in: (a, d, s) => {
    const [x, list] = all(a, d, s);
    if (Array.isArray(list)) return list.includes(x);
    if (typeof list === 'string') return list.includes(String(x));
    return false;
  },
  merge: (a, d, s) => all(a, d, s).flatMap((x) => (Array.isArray(x) ? x : [x])),
  map: arrayOp('map'),
  filter: arrayOp('filter'),
  all: arrayOp('all'),
  none: arrayOp('none'),
  some: arrayOp('some'),
  reduce: (a, d, s) => {
    const arr = a[0]?.(d, s);
    const init = a[2] ? a[2](d, s) : null;
    if (!Array.isArray(arr) || !a[1]) return init;
    return arr.reduce((acc, current) => a[1]({ current, accumulator: acc }, s), init);
  },
  starts_with: (a, d, s) => {
    const [x, y] = all(a, d, s);
    return typeof x === 'string' && typeof y === 'string' ? x.startsWith(y) : false;
  },
  ends_with: (a, d, s) => {
    const [x, y] = all(a, d, s);
    return typeof x === 'string' && typeof y === 'string' ? x.endsWith(y) : false;
  },
  sem_ver: (a, d, s) => {
    const [x, op, y] = all(a, d, s);
    return semVer(x, op, y);
  },
  fractional: (a, d, s) => fractional(all(a, d, s), d, s),
};
OPS['?:'] = OPS.if;

export const OPERATORS = new Set(Object.keys(OPS));

export class LogicError extends Error {}

/** Compile a JsonLogic rule. Throws LogicError for an unknown operator or a rule nested too deep. */
export function compile(rule: unknown, depth = 0): Compiled {
  if (depth > 64) throw new LogicError('The rule is nested more than 64 levels deep');
  if (Array.isArray(rule)) {
    const items = rule.map((r) => compile(r, depth + 1));
    return (d, s) => items.map((f) => f(d, s));
  }
  if (rule !== null && typeof rule === 'object') {
    const keys = Object.keys(rule);
    if (keys.length !== 1) {
      const constant = rule;
      return () => constant;
    }
    const name = keys[0];
    const op = OPS[name];
    if (!op) throw new LogicError(`Unknown operator "${name}"`);
    const raw = (rule as Record<string, unknown>)[name];
    const args = (Array.isArray(raw) ? raw : [raw]).map((r) => compile(r, depth + 1));
    if (name === 'var' && args.length === 1 && !Array.isArray(raw) && typeof raw === 'string') {
      // The common case: a constant path, split once.
      const parts = raw === '' ? [] : raw.split('.');
      return (d) => {
        let cur: any = d;
        for (const p of parts) {
          if (cur === null || cur === undefined || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, p)) return null;
          cur = cur[p];
        }
        return cur === undefined ? null : cur;
      };
    }
    return (d, s) => op(args, d, s);
  }
  return () => rule;
}
