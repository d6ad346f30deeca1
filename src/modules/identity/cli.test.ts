// `cityscape identity clients create` and `cityscape identity rotate-keys`, run in-process the
// way the control socket runs them (test/cli.test.ts covers real processes for the table).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { executeIn } from '../../main.js';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';

let built: TestApp;
let dir: string;
beforeAll(async () => {
  built = await buildTestApp({ seed: true });
  dir = mkdtempSync(join(tmpdir(), 'cs-identity-cli-'));
});
afterAll(async () => {
  await built?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (argv: string[]) => executeIn({ built, config: built.kernel.config, cwd: dir, appliedOnOpen: [] }, argv);

describe('identity commands', () => {
  it('registers a relying service with a public key or a secret', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'rp.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const withKey = await run([
      'identity',
      'clients',
      'create',
      '--service',
      'apply-for-a-blue-badge',
      '--name',
      'Blue badge',
      '--redirect-uris',
      'https://bluebadge.example/callback,http://localhost:8080/callback',
      '--public-key',
      'rp.pem',
      '--claims',
      'coreIdentityJWT,address',
      '--max-identity-level',
      'P2',
      '--json',
    ]);
    expect(withKey.exitCode, withKey.stderr).toBe(0);
    const client = JSON.parse(withKey.stdout);
    expect(client).toMatchObject({
      authMethod: 'private_key_jwt',
      maxIdentityLevel: 'P2',
      claims: ['https://vocab.account.gov.uk/v1/coreIdentityJWT', 'https://vocab.account.gov.uk/v1/address'],
    });
    expect(client.clientSecret).toBeUndefined();

    const withSecret = await run([
      'identity',
      'clients',
      'create',
      '--service',
      'apply-for-a-blue-badge',
      '--name',
      'Blue badge (platform)',
      '--redirect-uris',
      'https://platform.example/cb',
      '--scopes',
      'email,phone',
    ]);
    expect(withSecret.exitCode, withSecret.stderr).toBe(0);
    expect(withSecret.stdout).toContain('client_secret_post');
    expect(withSecret.stdout.trimEnd().split('\n').pop()).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const bad = await run([
      'identity',
      'clients',
      'create',
      '--service',
      'apply-for-a-blue-badge',
      '--name',
      'x',
      '--redirect-uris',
      'http://evil.example/cb',
    ]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/https/);
    const missing = await run(['identity', 'clients', 'create', '--service', 'apply-for-a-blue-badge']);
    expect(missing.exitCode).toBe(2);
  });

  it('rotates the signing keys', async () => {
    const before = await built.app.inject({ url: '/identity/.well-known/jwks.json' });
    const r = await run(['identity', 'rotate-keys']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/New signing keys: /);
    const after = await built.app.inject({ url: '/identity/.well-known/jwks.json' });
    expect(after.json().keys).toHaveLength(4);
    expect(after.json().keys.map((k: { kid: string }) => k.kid)).toEqual(
      expect.arrayContaining(before.json().keys.map((k: { kid: string }) => k.kid)),
    );
  });
});
