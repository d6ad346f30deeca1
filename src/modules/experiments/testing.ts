// Test and bench support for experiments (never imported by the app): keys, JSON calls with a
// key, a small flag document, and a second app on the same database (another process).
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig } from '../../config.js';
import type { TestApp } from '../../../test/helpers.js';
import type { FlagDocument } from './flagd.js';

const cli = { kind: 'cli' } as const;

export async function experimentsKey(built: Pick<BuiltApp, 'modules'>, serviceSlug: string, type: 'live' | 'test' | 'team' = 'live') {
  return (await built.modules.catalogue.service.createApiKey(cli, { serviceSlug, platform: 'experiments', type })).secret;
}

export function api(built: Pick<BuiltApp, 'app'>, key: string | null, scheme: 'bearer' | 'x-api-key' = 'bearer') {
  return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await built.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(key ? (scheme === 'bearer' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key }) : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    let json: any = null;
    try {
      json = res.body ? JSON.parse(res.body) : null;
    } catch {
      json = null;
    }
    return { status: res.statusCode, json, body: res.body, headers: res.headers };
  };
}

export const sampleFlags = (headline = 'Apply online'): FlagDocument => ({
  $schema: 'https://flagd.dev/schema/v0/flags.json',
  metadata: { flagSetId: 'blue-badge' },
  $evaluators: { council: { ends_with: [{ var: 'email' }, '.gov.uk'] } },
  flags: {
    'start-button': {
      state: 'ENABLED',
      variants: { control: headline, short: 'Start', long: 'Start your application now' },
      defaultVariant: 'control',
      targeting: {
        fractional: [
          ['control', 34],
          ['short', 33],
          ['long', 33],
        ],
      },
    },
    'staff-banner': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ $ref: 'council' }, 'on', null] },
    },
    'max-uploads': { state: 'ENABLED', variants: { few: 3, many: 10 }, defaultVariant: 'few' },
  },
});

/** A second app on the same database, as another process: its own pool, listener and caches. */
export async function secondApp(first: TestApp): Promise<BuiltApp> {
  const built = await buildApp({
    config: testConfig({ databaseUrl: first.databaseUrl }),
    db: first.databaseUrl ? undefined : first.kernel.db,
  });
  await built.app.ready();
  return built;
}
