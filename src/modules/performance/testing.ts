// Test support for the performance module (not a test itself): a fresh service with a
// performance key, outbox events as the other platforms append them, and a wait-until helper.
// Used by the module's tests and the bench.
import type { BuiltApp } from '../../app.js';

export const cli = { kind: 'cli' } as const;

let counter = 0;
/** A fresh organisation and service, with a performance API key and an office-holder. */
export async function perfFixture(built: Pick<BuiltApp, 'modules'>, opts: { holder?: string; orgSlug?: string } = {}) {
  const { catalogue } = built.modules;
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const org = opts.orgSlug
    ? await catalogue.service.getOrganisation(opts.orgSlug)
    : await catalogue.service.createOrganisation(cli, { slug: `org-${n}`, name: `Council ${n}`, kind: 'local_authority' } as any);
  const service = await catalogue.service.createService(cli, {
    slug: `svc-${n}`,
    name: `Apply for a thing ${n}`,
    summary: 'Apply for a thing',
    phase: 'live',
    organisation_slug: org.slug,
  } as any);
  if (opts.holder !== undefined) {
    await catalogue.service.setOfficeHolder(cli, service.slug, {
      name: opts.holder,
      role: 'Cabinet Member for Things',
      in_post_since: '2024-05-01',
    });
  }
  const key = (await catalogue.service.createApiKey(cli, { serviceSlug: service.slug, platform: 'performance', type: 'live' })).secret;
  return { org, service, key };
}

/** Appends outbox events in one transaction, as the platform modules do alongside their changes. */
export async function emit(built: Pick<BuiltApp, 'kernel'>, events: Array<{ type: string; payload: Record<string, unknown> }>) {
  await built.kernel.db.transaction(async (tx) => {
    for (const e of events) await built.kernel.events.append(tx, { stream: `test:${e.type}`, type: e.type, payload: e.payload });
  });
}

export async function waitFor<T>(fn: () => T | Promise<T>, what = 'condition', timeoutMs = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
