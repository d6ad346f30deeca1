// The staff console signs in through the provider: an identity account with a second factor
// whose verified email is a staff account's gets that account's console; anyone else is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, startApp, type Running } from './testing.js';
import { totp } from './totp.js';

let run: Running;
beforeAll(async () => {
  run = await startApp();
});
afterAll(async () => {
  await run?.close();
});

async function citizenWithApp(email: string): Promise<string> {
  const accounts = run.built.modules.identity.accounts;
  const a = await accounts.createAccount(email, 'staff member 12');
  const secret = accounts.newTotpSecret();
  await accounts.confirmTotp(a.id, secret, totp(secret, Date.now() - 30_000));
  return secret;
}

describe('staff console sign-in through the provider', () => {
  it('signs a staff member in with password and security code, with their role', async () => {
    await run.built.modules.catalogue.service.createStaff(
      { kind: 'cli' },
      { email: 'officer@example.org', role: 'platform_admin', password: 'bootstrap password 1' },
    );
    const secret = await citizenWithApp('officer@example.org');
    const b = new Browser(run.baseUrl);
    const start = await b.go('/admin/sign-in/identity?next=/admin/audit');
    expect(start.url).toContain('/identity/sign-in?uid=');
    const code = await b.submit('/identity/sign-in', { email: 'officer@example.org', password: 'staff member 12' });
    expect(code.url).toContain('/identity/sign-in/code?uid=');
    const done = await b.submit('/identity/sign-in/code', { code: totp(secret) });
    expect(done.status).toBe(200);
    expect(new URL(done.url).pathname).toBe('/admin/audit');

    // Registering a relying service from the console: errors first, then a secret shown once.
    const form = await b.go('/admin/identity/clients/new');
    expect(form.status).toBe(200);
    const invalid = await b.submit('/admin/identity/clients/new', { name: '', redirectUris: 'http://evil.example/cb' });
    expect(invalid.status).toBe(400);
    const service = await run.built.modules.catalogue.service.getService('apply-for-a-blue-badge');
    const created = await b.submit('/admin/identity/clients/new', {
      service: service.id,
      name: 'Blue badge online',
      redirectUris: 'https://bluebadge.example/callback',
      scopes: 'email',
      maxIdentityLevel: 'P0',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatch(/id="client-secret">[A-Za-z0-9_-]{43}</);
    const list = await b.go('/admin/identity/clients');
    expect(list.body).toContain('Blue badge online');
  });

  it('refuses an identity account that is not a staff account', async () => {
    const secret = await citizenWithApp('not.staff@example.org');
    const b = new Browser(run.baseUrl);
    await b.go('/admin/sign-in/identity');
    await b.submit('/identity/sign-in', { email: 'not.staff@example.org', password: 'staff member 12' });
    const refused = await b.submit('/identity/sign-in/code', { code: totp(secret) });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('does not belong to a staff account');
    expect((await b.go('/admin')).url).toContain('/admin/sign-in');
  });
});
