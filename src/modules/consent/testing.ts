// Test and bench support for consent (not used by the app): a consent API key for a demo
// service, a data agreement made through the API, and a second app on the same database (as
// another process would be) to check that changes reach every process.
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig } from '../../config.js';
import type { TestApp } from '../../../test/helpers.js';

const cli = { kind: 'cli' } as const;

/** A consent API key for a catalogue service (live unless said). */
export async function consentKey(
  built: Pick<BuiltApp, 'modules'>,
  serviceSlug: string,
  type: 'live' | 'test' | 'team' = 'live',
): Promise<string> {
  return (await built.modules.catalogue.service.createApiKey(cli, { serviceSlug, platform: 'consent', type })).secret;
}

/** A JSON request to the consent API with a key (and optionally an individual). */
export function api(built: Pick<BuiltApp, 'app'>, key: string | null) {
  return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await built.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(key ? { authorization: `ApiKey ${key}` } : {}),
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

/** A second app on the same database, as another process: its own pool, listener and caches. */
export async function secondApp(first: TestApp): Promise<BuiltApp> {
  const built = await buildApp({
    config: testConfig({ databaseUrl: first.databaseUrl }),
    db: first.databaseUrl ? undefined : first.kernel.db,
  });
  await built.app.ready();
  return built;
}
