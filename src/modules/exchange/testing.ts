// Test and bench support for the exchange (not used by the app): the whole app listening on a
// free port with the demo catalogue, agencies and exchange seeded, an exchange key for the Blue
// Badge service, and a small client that speaks X-Road's REST protocol to it.
import { startApp, type Running } from '../identity/testing.js';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { LogEntry } from './log.js';

export const BLUE_BADGE_CLIENT = 'UK/LA/RIVERSIDE/bluebadge';
export const DWP_ENTITLEMENT = 'UK/GOV/DWP/benefits/entitlement';
export const ALEX = { given_name: 'Alex', family_name: 'Morgan', birth_date: '1985-03-14' };

export interface ExchangeRun extends Running {
  key: string;
  blueBadgeServiceId: string;
  r1(
    method: string,
    path: string,
    headers?: Record<string, string | undefined>,
    body?: string,
  ): Promise<{ status: number; headers: Headers; body: string; json(): any }>;
}

export async function exchangeApp(overrides: Partial<Config> = {}): Promise<ExchangeRun> {
  const run = await startApp(overrides);
  const m = run.built.modules;
  await m.registries.seedDemo!();
  await m.exchange.seedDemo();
  const svc = await m.catalogue.service.getService('apply-for-a-blue-badge');
  const { secret } = await m.catalogue.service.createApiKey(
    { kind: 'cli' },
    { serviceSlug: 'apply-for-a-blue-badge', platform: 'exchange', type: 'live' },
  );
  return {
    ...run,
    key: secret,
    blueBadgeServiceId: svc.id,
    async r1(method, path, headers = {}, body) {
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
      const res = await fetch(`${run.baseUrl}${path}`, { method, headers: h, body });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text, json: () => JSON.parse(text) };
    },
  };
}

/** The headers of a Blue Badge request for the demo citizen's benefit entitlement. */
export function blueBadgeHeaders(run: ExchangeRun, subject: string, over: Record<string, string | undefined> = {}) {
  return {
    authorization: `Bearer ${run.key}`,
    'x-road-client': BLUE_BADGE_CLIENT,
    'exchange-purpose': 'dpv:ServiceProvision',
    'exchange-legal-basis': 'public-task:blue-badge',
    'exchange-subject': subject,
    ...over,
  };
}

/** A released Blue Badge entry of the access log, for tests and benches that append directly. */
export function sampleEntry(over: Partial<LogEntry> = {}): LogEntry {
  return {
    v: 1,
    id: randomUUID(),
    at: new Date().toISOString(),
    node: 'cityscape',
    x_road_id: randomUUID(),
    client: BLUE_BADGE_CLIENT,
    service: DWP_ENTITLEMENT,
    method: 'GET',
    user_id: null,
    issue: null,
    represented_party: null,
    purpose: 'dpv:ServiceProvision',
    basis: 'public-task:blue-badge',
    subject: null,
    attributes: ['pip_mobility'],
    outcome: 'released',
    status: 200,
    error: null,
    request_sha256: 'a'.repeat(64),
    response_sha256: 'b'.repeat(64),
    visible_from: null,
    ...over,
  };
}
