// `npm run bench:all [-- --quick]`: every benchmark in package.json (`bench` and each
// `bench:<module>`, so a new module's bench is included as soon as its script is added), one
// after another, carrying on after a failure; then ONE summary table of every figure (bench,
// metric, figure, target, result) and the time each took. Exits 1 on any miss or any bench
// that failed to run. Each bench appends its checks to a shared file (bench/lib.ts's report).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load1, table, type Result } from './lib.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// --only=bench:payments,bench:notify runs just those; every other argument goes to each bench.
const only = process.argv
  .slice(2)
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const passOn = process.argv.slice(2).filter((a) => !a.startsWith('--only='));
const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
const benches = Object.keys(scripts).filter((s) => /^bench(:[\w-]+)?$/.test(s) && s !== 'bench:all' && (!only || only.includes(s)));

interface Row {
  bench: string;
  metric: string;
  figure: string;
  target: string;
  result: Result | 'FAIL';
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'cityscape-bench-all-'));
  const summary = join(dir, 'summary.jsonl');
  const rows: Row[] = [];
  const times: string[][] = [['script', 'exit code', 'minutes', 'load at start → end']];
  const started = Date.now();
  try {
    for (const script of benches) {
      const t0 = Date.now();
      const l0 = load1();
      const before = existsSync(summary) ? readFileSync(summary, 'utf8').split('\n').filter(Boolean).length : 0;
      process.stderr.write(`\n===== npm run ${script}${passOn.length ? ` -- ${passOn.join(' ')}` : ''}\n`);
      const code = await new Promise<number>((resolve) => {
        const child = spawn('npm', ['run', '--silent', script, ...(passOn.length ? ['--', ...passOn] : [])], {
          cwd: ROOT,
          env: { ...process.env, BENCH_SUMMARY: summary },
          stdio: 'inherit',
        });
        child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
        child.once('error', () => resolve(127));
      });
      const lines = existsSync(summary) ? readFileSync(summary, 'utf8').split('\n').filter(Boolean).slice(before) : [];
      const own = lines.map((l) => ({ ...(JSON.parse(l) as Row), bench: script }));
      rows.push(...own);
      // A bench that stopped with an error (or reported nothing) is a failure of its own.
      if (code !== 0 && !own.some((r) => r.result === 'MISS'))
        rows.push({
          bench: script,
          metric: '(the bench did not finish)',
          figure: `exit code ${code}`,
          target: 'runs to the end',
          result: 'FAIL',
        });
      else if (!own.length)
        rows.push({ bench: script, metric: '(no figures reported)', figure: '—', target: 'reports its figures', result: 'FAIL' });
      times.push([script, String(code), ((Date.now() - t0) / 60_000).toFixed(1), `${l0} → ${load1()}`]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bad = rows.filter((r) => r.result === 'MISS' || r.result === 'FAIL');
  console.log(
    `\n\n===== Summary of ${benches.length} benchmarks${passOn.length ? ` (${passOn.join(' ')})` : ''}, ${((Date.now() - started) / 60_000).toFixed(1)} minutes\n`,
  );
  console.log(
    table([['bench', 'metric', 'figure', 'target', 'result'], ...rows.map((r) => [r.bench, r.metric, r.figure, r.target, r.result])]),
  );
  console.log(`\n${table(times)}`);
  const nc = rows.filter((r) => r.result === 'n/c').length;
  console.log(
    `\n${bad.length ? `${bad.length} of ${rows.length} MISSED or FAILED` : `All ${rows.length - nc} judged figures met their targets`}${nc ? `; ${nc} not comparable (--quick), not judged` : ''}.`,
  );
  return bad.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
