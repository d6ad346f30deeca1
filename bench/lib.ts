// What every bench/*.ts shares: rounds of baseline and subject interleaved (so load from
// elsewhere on the shared machine falls on both alike), ratios, target checks, and one report
// that prints each figure beside its target, says plainly when a --quick figure is not
// comparable with its target, and gives the exit code (1 on any miss). When BENCH_SUMMARY names
// a file (bench/all.ts sets it), each check is also appended to it as a JSON line, for the one
// summary table of `npm run bench:all`.
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export const QUICK = process.argv.includes('--quick');

export interface Check {
  /** What was measured, e.g. "create + get payment (postgres)". */
  metric: string;
  /** The figure, formatted with its unit, e.g. "43.1% of raw". */
  figure: string;
  /** The target, formatted, e.g. "≥ 40%". */
  target: string;
  pass: boolean;
  /** The same-run baseline the figure is a ratio of, when there is one. */
  baseline?: string;
  /**
   * False for a --quick figure that cannot be held to the target (a smaller data set, a shorter
   * run than the target is defined for): reported, marked "n/c", never a miss.
   */
  comparable?: boolean;
}

export type Result = 'PASS' | 'MISS' | 'n/c';
export const resultOf = (c: Check): Result => (c.comparable === false ? 'n/c' : c.pass ? 'PASS' : 'MISS');

export const log = (s: string) => process.stderr.write(s + '\n');
export const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length === 0 ? NaN : a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
/** The p-th percentile (0–100) by nearest rank. */
export const percentile = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const ratio = (subject: number, baseline: number) => (baseline > 0 ? subject / baseline : NaN);
export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
export const pct = (r: number, digits = 1) => (Number.isFinite(r) ? `${(r * 100).toFixed(digits)}%` : '—');
export const load1 = () => Math.round(loadavg()[0] * 100) / 100;

/**
 * Runs the sides in `rounds` alternating rounds, ABBA…: round 0 runs them in the order given,
 * round 1 in reverse, and so on, so neither side always runs first (after a pause) or last.
 * Returns each side's results in round order.
 */
export async function interleave<S extends Record<string, (round: number) => Promise<unknown>>>(
  rounds: number,
  sides: S,
): Promise<{ [K in keyof S]: Awaited<ReturnType<S[K]>>[] }> {
  const names = Object.keys(sides);
  const out: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 === 0 ? names : [...names].reverse()) out[n].push(await sides[n](r));
  }
  return out as { [K in keyof S]: Awaited<ReturnType<S[K]>>[] };
}

/** A check that `value` is at least `target`. */
export function atLeast(metric: string, value: number, target: number, show: (n: number) => string, extra: Partial<Check> = {}): Check {
  return { metric, figure: show(value), target: `≥ ${show(target)}`, pass: value >= target, ...extra };
}

/** A check that `value` is below `target`. */
export function below(metric: string, value: number, target: number, show: (n: number) => string, extra: Partial<Check> = {}): Check {
  return { metric, figure: show(value), target: `< ${show(target)}`, pass: value < target, ...extra };
}

/** A plain text table: the first row is the header; columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].length));
  return rows
    .map((r, ri) => {
      const line = r
        .map((c, i) => pad(c ?? '', widths[i]))
        .join('  ')
        .trimEnd();
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export interface ReportOptions {
  /** Why --quick figures marked comparable: false cannot be held to their targets. */
  notComparable?: string;
  notes?: string[];
  /** Load average when the run started (load1() then). */
  loadAtStart?: number;
}

/**
 * Prints the checks as a table (figure beside target), the notes and the machine's load, and
 * returns the exit code: 1 when a comparable figure missed its target, else 0.
 */
export function report(bench: string, checks: Check[], opts: ReportOptions = {}): number {
  const rows = [
    ['measurement', 'figure', 'baseline (same run)', 'target', 'result'],
    ...checks.map((c) => [c.metric, c.figure, c.baseline ?? '', c.target, resultOf(c)]),
  ];
  const cpu = cpus()[0]?.model ?? 'CPU';
  console.log(
    `\n${bench} benchmark${QUICK ? ' (--quick)' : ''} — node ${process.version}, ${cpus().length} × ${cpu}; load average ${opts.loadAtStart ?? '?'} at the start, ${load1()} at the end\n`,
  );
  console.log(table(rows));
  const nc = checks.filter((c) => c.comparable === false);
  if (nc.length)
    console.log(
      `\nNot comparable: with --quick, ${nc.length === 1 ? 'the figure' : `the ${nc.length} figures`} marked n/c cannot be held to ${nc.length === 1 ? 'its target' : 'their targets'}${opts.notComparable ? ` (${opts.notComparable})` : ''}; they are reported, not judged. Run without --quick for them.`,
    );
  if (opts.notes?.length) console.log(`\nNotes:\n${opts.notes.map((n) => `  - ${n}`).join('\n')}`);
  const missed = checks.filter((c) => resultOf(c) === 'MISS');
  console.log(
    missed.length
      ? `\n${missed.length} of ${checks.length} targets MISSED.`
      : `\nEvery target was met (${checks.length - nc.length} judged).`,
  );
  if (process.env.BENCH_SUMMARY) {
    for (const c of checks)
      appendFileSync(
        process.env.BENCH_SUMMARY,
        JSON.stringify({ bench, metric: c.metric, figure: c.figure, target: c.target, result: resultOf(c) }) + '\n',
      );
  }
  return missed.length ? 1 : 0;
}

/** For a bench's main(): runs it, exits 1 on a miss and 2 when it fails to run. */
export function run(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
