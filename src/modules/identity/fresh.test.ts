// A fresh Cityscape as `npm start` makes it — a new data directory, the demo seeded, no
// SMTP_URL or NOTIFY_SMS_URL, identity's codes wired by the config defaults — and a brand-new
// citizen who creates an account and adds text-message codes, reading each code only where a
// developer can: the staff console's development outbox and the files under the data directory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestApp, cli, type TestApp } from '../../../test/helpers.js';
import { IDENTITY_NOTIFY_DEFAULTS, testConfig } from '../../config.js';
import { Out, seedAll } from '../../commands.js';
import { Browser, freePort } from './testing.js';

let dir: string;
let built: TestApp;
let baseUrl: string;
const ADMIN = { email: 'developer@example.org', password: 'a long passphrase here' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cityscape-fresh-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  built = await buildTestApp({
    publicUrl: baseUrl,
    dataDir: dir,
    identity: { ...testConfig().identity, notify: { ...IDENTITY_NOTIFY_DEFAULTS } },
  });
  await seedAll(built, new Out()); // what `npm start` does on an empty database
  await built.modules.catalogue.service.createStaff(cli, { ...ADMIN, role: 'platform_admin' });
  await built.app.listen({ port, host: '127.0.0.1' });
  await built.startWorkers();
});
afterAll(async () => {
  await built?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Polls until `find` returns something (the test runner's timeout applies; no time is asserted). */
async function until<T>(find: () => Promise<T | null> | T | null): Promise<T> {
  for (;;) {
    const v = await find();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The code in the newest file the outbox kept for `to` (.eml for email, .json for text messages). */
function codeFromFiles(channel: 'email' | 'sms', to: string): string | null {
  const folder = join(dir, 'notify-outbox', channel);
  let files: string[];
  try {
    files = readdirSync(folder).map((f) => join(folder, f));
  } catch {
    return null;
  }
  const mine = files.map((f) => readFileSync(f, 'utf8')).filter((c) => c.includes(to));
  return mine.length ? (/\b(\d{6})\b/.exec(mine.at(-1)!.replace(/=\r?\n/g, ''))?.[1] ?? null) : null;
}

/** The code the console's development outbox shows in the newest message to `to`. */
async function codeFromConsole(console: Browser, to: string): Promise<string | null> {
  const page = await console.go(`/admin/notify/outbox?service=${IDENTITY_NOTIFY_DEFAULTS.service}`);
  const card = page.body.split('govuk-summary-card"').find((c) => c.includes(to));
  return card ? (/security code is (\d{6})|(\d{6}) is your Cityscape security code/.exec(card)?.slice(1).find(Boolean) ?? null) : null;
}

describe('a fresh Cityscape', () => {
  it('lets a brand-new citizen create an account with the codes a developer reads in the console and the data directory', async () => {
    const developer = new Browser(baseUrl);
    await developer.go('/admin/sign-in');
    expect((await developer.submit('/admin/sign-in', ADMIN)).url).toContain('/admin');

    const citizen = new Browser(baseUrl);
    const email = 'new.citizen@example.org';
    await citizen.go('/identity/create-account');
    let page = await citizen.submit('/identity/create-account', { email });
    expect(page.url).toContain('/identity/create-account/code');

    // The email went through Notify, from the seeded Cityscape account service and template.
    const fromFile = await until(() => codeFromFiles('email', email));
    const fromConsole = await until(() => codeFromConsole(developer, email));
    expect(fromConsole).toBe(fromFile);
    const outbox = await developer.go('/admin/notify/outbox');
    expect(outbox.body).toContain('Cityscape account');
    expect(outbox.body).toContain('Your Cityscape security code');
    expect(built.modules.identity.outbox.entries).toHaveLength(0); // nothing kept in memory only

    page = await citizen.submit('/identity/create-account/code', { code: fromConsole });
    page = await citizen.submit('/identity/create-account/password', { password: 'fresh start 2024', confirm: 'fresh start 2024' });
    // Signed in; next, a second way to get codes — by text message: the code is in the console
    // and in a .json file.
    expect(page.url).toContain('/identity/two-factor');
    await citizen.submit('/identity/two-factor', { method: 'sms' });
    page = await citizen.submit('/identity/two-factor/sms', { phone: '07700 900 123' });
    const smsCode = await until(() => codeFromConsole(developer, '+447700900123'));
    expect(await until(() => codeFromFiles('sms', '+447700900123'))).toBe(smsCode);
    page = await citizen.submit('/identity/two-factor/sms/code', { code: smsCode });
    expect(page.url).toContain('/identity/account');
    expect(page.body).toContain(email);
    expect(page.body).toContain('Text message to +447700900123');
  });
});
