// Test support for rooms (not a test itself): a service with a signed-in host, an invitation
// used by a guest (its link read back from Notify, as the guest would get it), and real
// WebSocket clients that collect what the room sends. Used by the module's tests and the bench.
import WebSocket from 'ws';
import type { BuiltApp } from '../../app.js';
import { cookieHeader, formBrowser, staffBrowser as signedInStaff } from '../../../test/helpers.js';

export const cli = { kind: 'cli' } as const;
export const PASSWORD = 'a long enough password';
let counter = 0;

/** An organisation, a service, and a staff member of that organisation who can host its calls. */
export async function roomFixture(built: Pick<BuiltApp, 'modules'>) {
  const { catalogue } = built.modules;
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const org = await catalogue.service.createOrganisation(cli, {
    slug: `org-${n}`,
    name: `Jobcentre district ${n}`,
    kind: 'local_authority',
  } as any);
  const service = await catalogue.service.createService(cli, {
    slug: `svc-${n}`,
    name: `Claim a benefit ${n}`,
    summary: 'Claim a benefit',
    phase: 'live',
    organisation_slug: org.slug,
  } as any);
  const email = `host-${n}@example.gov.uk`;
  await catalogue.service.createStaff(cli, { email, password: PASSWORD, role: 'service_team', organisationSlug: org.slug });
  return { org, service, email };
}

/** A formBrowser signed in to the staff console. */
export function staffBrowser(built: Pick<BuiltApp, 'app'>, email: string) {
  return signedInStaff(built, email, PASSWORD);
}

/** The invitation link Notify sent to `recipient` (the newest). */
export async function sentLink(built: Pick<BuiltApp, 'modules'>, serviceId: string, recipient: string): Promise<string> {
  const rows = (await built.modules.notify.service.search(serviceId, { q: recipient, limit: 10, offset: 0 })) as any[];
  const body = String(rows[0]?.body ?? '');
  const m = /https?:\/\/\S+\/rooms\/join\/[A-Za-z0-9_-]+/.exec(body);
  if (!m) throw new Error(`no invitation sent to ${recipient}`);
  return m[0];
}

/** A guest: invited by the host (a form on the call page), then through the link to the lobby. */
export async function invitedGuest(
  built: Pick<BuiltApp, 'app' | 'modules'>,
  host: ReturnType<typeof formBrowser>,
  roomId: string,
  serviceId: string,
  name: string,
) {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${counter++}@example.org`;
  await host.get(`/rooms/${roomId}`);
  const sent = await host.post(`/rooms/${roomId}/invitations`, { name, email });
  if (sent.statusCode !== 303) throw new Error(`inviting failed: ${sent.statusCode}`);
  const link = await sentLink(built, serviceId, email);
  const guest = formBrowser(built);
  const page = await guest.get(link);
  if (page.statusCode !== 200) throw new Error(`the invitation page answered ${page.statusCode}`);
  const joined = await guest.post(link, { name });
  if (joined.statusCode !== 303) throw new Error(`using the invitation answered ${joined.statusCode}`);
  const participant = (await built.modules.rooms.service.participants(roomId)).find((p) => p.name === name)!;
  return { browser: guest, link, email, participant };
}

export interface Client {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  next(pred: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  send(m: object): void;
  close(): void;
}

/** A WebSocket to the room with this browser's cookies, from this site's origin. */
export function connect(baseUrl: string, roomId: string, jar: Record<string, string>, opts: { origin?: string } = {}): Promise<Client> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/rooms/${roomId}/ws`, {
    headers: { cookie: cookieHeader(jar), origin: opts.origin ?? baseUrl },
  });
  const messages: any[] = [];
  const waiters: Array<{ pred: (m: any) => boolean; resolve: (m: any) => void }> = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    messages.push(m);
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        closed,
        next(pred, timeoutMs = 10_000) {
          const seen = messages.find(pred);
          if (seen) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const w = { pred, resolve: res };
            waiters.push(w);
            setTimeout(() => {
              if (waiters.includes(w)) rej(new Error(`timed out waiting for a message; had: ${JSON.stringify(messages.map((x) => x.t))}`));
            }, timeoutMs).unref();
          });
        },
        send: (m) => ws.send(JSON.stringify(m)),
        close: () => ws.close(),
      }),
    );
  });
}
