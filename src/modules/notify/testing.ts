// Test support for the notify module (not a test itself): a service with Notify API keys and
// templates, an SMTP sink (a real SMTP server from the smtp-server package that records what
// arrives and can answer 4xx/5xx or stall), the shared response schemas compiled with ajv,
// and a wait-until helper. Used by the module's tests and the bench.
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { BuiltApp } from '../../app.js';

const here = dirname(fileURLToPath(import.meta.url));
export const SPECS_DIR = join(here, '..', '..', '..', 'specs', 'govuk-notify');

export const cli = { kind: 'cli' } as const;

let counter = 0;
/** A fresh organisation and service with live, team and test Notify keys and one template of each type. */
export async function notifyFixture(built: Pick<BuiltApp, 'modules'>, opts: { name?: string } = {}) {
  const { catalogue, notify } = built.modules;
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const org = await catalogue.service.createOrganisation(cli, {
    slug: `org-${n}`,
    name: `Organisation ${n}`,
    kind: 'local_authority',
  } as any);
  const service = await catalogue.service.createService(cli, {
    slug: `svc-${n}`,
    name: opts.name ?? `Service ${n}`,
    summary: 'A service that sends messages',
    phase: 'beta',
    organisation_slug: org.slug,
  } as any);
  const key = async (type: 'live' | 'team' | 'test') =>
    (await catalogue.service.createApiKey(cli, { serviceSlug: service.slug, platform: 'notify', type, name: `${type} key` })).secret;
  const keys = { live: await key('live'), team: await key('team'), test: await key('test') };
  const by = 'tester@example.gov.uk';
  const email = await notify.service.createTemplate(
    service.id,
    {
      type: 'email',
      name: 'Application received',
      subject: 'Your application ((reference))',
      body: '# Hello ((name))\n\nWe have your application.\n\n* first\n* second\n\n^ Keep this email.\n\nTrack it at https://example.gov.uk/track\n\n((extra??Extra text is shown.))',
    },
    by,
  );
  const sms = await notify.service.createTemplate(service.id, { type: 'sms', name: 'Code', body: 'Your code is ((code))' }, by);
  const letter = await notify.service.createTemplate(
    service.id,
    {
      type: 'letter',
      name: 'Letter',
      subject: 'Your permit ((permit))',
      body: 'Dear ((name)),\n\nYour permit is attached.\n\n* Keep it safe',
      letter_contact_block: 'Riverside Council\n1 High Street',
    },
    by,
  );
  return { org, service, keys, templates: { email, sms, letter } };
}

/** Two services of different organisations, each with a service-team member (team-a@…, team-b@…), for console tests. */
export async function twoTeams(built: Pick<BuiltApp, 'modules'>, password: string) {
  const a = await notifyFixture(built, { name: 'Parking permits' });
  const b = await notifyFixture(built, { name: 'Bin collections' });
  for (const [team, f] of [
    ['a', a],
    ['b', b],
  ] as const) {
    await built.modules.catalogue.service.createStaff(cli, {
      email: `team-${team}@example.gov.uk`,
      password,
      role: 'service_team',
      organisationSlug: f.org.slug,
    });
  }
  return { a, b };
}

/** A page's words: tags dropped, the usual entities decoded, white space folded. */
export const pageText = (body: string) =>
  body
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * An SMTP server on 127.0.0.1 that keeps what it receives. `answer` decides each message's
 * reply: 'ok', a 4xx/5xx code, or 'stall' (never reply to DATA; the connection is held).
 */
export async function smtpSink(opts: { answer?: (to: string, raw: string) => 'ok' | 'stall' | number } = {}) {
  const received: ReceivedMail[] = [];
  const stalled: ReceivedMail[] = [];
  const rcptAnswers: number[] = [];
  let answer = opts.answer ?? (() => 'ok' as const);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 20 * 1024 * 1024,
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const to = session.envelope.rcptTo.map((r) => r.address);
        const a = answer(to[0] ?? '', raw);
        if (a === 'stall') {
          stalled.push({ from: (session.envelope.mailFrom as any)?.address ?? '', to, raw });
          return;
        } // never answer
        if (a === 'ok') {
          received.push({ from: (session.envelope.mailFrom as any)?.address ?? '', to, raw });
          return callback();
        }
        rcptAnswers.push(a);
        const err = Object.assign(new Error(a >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: a });
        callback(err);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Messages whose DATA arrived but were never answered: the sender cannot know whether they went. */
    stalled,
    rejected: rcptAnswers,
    setAnswer(fn: typeof answer) {
      answer = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/** The shared Notify response schemas, compiled; `validate(name, body)` returns ajv's errors or null. */
export function notifySchemas() {
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => void;
  addFormats(ajv);
  ajv.addFormat('email_address', /^[^\s@]+@[^\s@]+$/);
  const load = (file: string) => {
    const s = JSON.parse(readFileSync(join(SPECS_DIR, file), 'utf8'));
    delete s.$schema;
    return s;
  };
  for (const file of readdirSync(SPECS_DIR).filter((f) => f.endsWith('.json'))) ajv.addSchema(load(file), file);
  // The list schemas refer to their item schemas by these names.
  ajv.addSchema({ $ref: 'GET_notification_response.json' }, 'notification.json');
  ajv.addSchema({ $ref: 'GET_received_text_response.json' }, 'receivedText.json');
  return (name: string, body: unknown) => {
    const v = ajv.getSchema(name);
    if (!v) throw new Error(`no schema ${name}`);
    return v(body) ? null : v.errors;
  };
}

/** `Authorization` for a Notify API key ({name}-{service id}-{secret}), as the official clients sign it. */
export function notifyAuth(key: string): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${enc({ typ: 'JWT', alg: 'HS256' })}.${enc({ iss: key.slice(-73, -37), iat: Math.floor(Date.now() / 1000) })}`;
  return `Bearer ${signed}.${createHmac('sha256', key.slice(-36)).update(signed).digest('base64url')}`;
}

/** Polls until `check` returns something truthy (no time limits are asserted; the test runner's timeout applies). */
export async function until<T>(check: () => Promise<T> | T, everyMs = 50): Promise<T> {
  for (;;) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
