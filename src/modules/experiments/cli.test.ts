// `cityscape flags import FILE --service SLUG` and `flags export`, run through the command table
// against a test app: a good document is imported (and evaluates), a bad one is refused with the
// JSON pointer of each problem and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { Out, type Ctx } from '../../commands.js';
import { EXPERIMENTS_COMMANDS } from './cli.js';

describe('flags import / export', () => {
  let built: TestApp;
  let ctx: Ctx;
  const dir = mkdtempSync(join(tmpdir(), 'experiments-cli-'));
  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    ctx = { built, config: built.kernel.config, cwd: dir, appliedOnOpen: [] };
  });
  afterAll(async () => built?.close());

  it('imports a valid document and refuses an invalid one with its JSON pointer', async () => {
    writeFileSync(
      join(dir, 'good.json'),
      JSON.stringify({ flags: { hello: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' } } }),
    );
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ flags: { hello: { state: 'ENABLED', variants: { on: true }, defaultVariant: 'maybe' } } }),
    );
    const ok = new Out();
    expect(await EXPERIMENTS_COMMANDS['flags import'].run(ctx, { service: 'report-a-pothole' }, ['good.json'], ok)).toBeUndefined();
    expect(ok.stdout).toContain('Imported 1 flag into report-a-pothole (live), version 1.');
    const service = await built.modules.catalogue.service.getService('report-a-pothole');
    expect(built.modules.experiments.evaluate('hello', { targetingKey: 'k', serviceId: service.id }).value).toBe(false);
    const bad = new Out();
    expect(await EXPERIMENTS_COMMANDS['flags import'].run(ctx, { service: 'report-a-pothole' }, ['bad.json'], bad)).toBe(1);
    expect(bad.stderr).toContain('/flags/hello/defaultVariant');
    const exported = new Out();
    await EXPERIMENTS_COMMANDS['flags export'].run(ctx, { service: 'report-a-pothole' }, [], exported);
    expect(JSON.parse(exported.stdout).flags.hello.defaultVariant).toBe('off');
    expect(EXPERIMENTS_COMMANDS['flags import'].check!({})).toMatch(/--service/);
  });
});
