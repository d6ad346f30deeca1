// API keys for every platform: created (the secret is shown once; only its SHA-256 is kept, and
// Notify's JWT secret sealed), listed, revoked, and verified on every API call. Verified keys
// and unsealed secrets are cached briefly; a change clears them here and in every process.
import { randomUUID } from 'node:crypto';
import type { Ctx, Actor } from './service-context.js';
import { actorName } from './service-context.js';
import { BadRequest, NotFound } from '../../kernel/errors.js';
import { randomToken, seal, sha256, unseal } from '../../kernel/crypto.js';
import { createCache } from '../../kernel/cache.js';
import { store } from './store.js';
import { KEY_PLATFORMS, KEY_TYPES } from './schema.js';

/** How often counted key use is written (a process that dies loses at most this much of it). */
const USE_FLUSH_MS = 10_000;

export interface KeyUse {
  keyId: string;
  serviceId: string | null;
  platform: string;
  day: string;
  calls: number;
}

export interface VerifiedKey {
  keyId: string;
  serviceId: string | null;
  platform: string;
  type: string;
  name: string;
  secret?: string;
}

export function createKeyService(ctx: Ctx) {
  const { db, k } = ctx;
  // Modules that cache a service's keys (Notify checks them on every request) forget them here.
  const keyListeners = new Set<(serviceId: string | null) => void>();
  // Keys seen in the last few seconds, so an API call costs no database round trip for its key.
  // A revocation here clears it at once; other processes notice within the TTL (and via NOTIFY).
  // A key revoked in another process clears this cache here, and (through the listeners) the
  // caches other modules keep of their keys (Pay's, Notify's…), at once rather than after their TTLs.
  const verified = k.caches.create<Awaited<ReturnType<typeof store.liveApiKey>>>('catalogue.keys', {
    ttlMs: 5000,
    max: 10_000,
    onRemoteInvalidate: () => {
      for (const fn of keyListeners) fn(null);
    },
  });
  keyListeners.add(() => verified.clear());
  ctx.onChange(() => verified.clear());
  // Unsealing is AES-GCM per call; keys are checked on every Notify request, so remember a few
  // (a sealed secret always unseals to the same text: nothing to invalidate).
  const unsealed = createCache<string>({ ttlMs: 24 * 3600_000, max: 1000 });
  const unsealCached = (sealed: string) => {
    let plain = unsealed.get(sealed);
    if (plain === undefined) {
      plain = unseal(k.config.encryptionKey, sealed);
      unsealed.set(sealed, plain);
    }
    return plain;
  };

  // Real use of each key (the adoption figures), counted in memory per key per UTC day and
  // written in one batched upsert at most every USE_FLUSH_MS — an API call never waits for it.
  const pending = new Map<string, KeyUse>();
  let today = '';
  let todayEnds = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  const countUse = (keyId: string, serviceId: string | null, platform: string) => {
    const now = Date.now();
    if (now >= todayEnds) {
      today = new Date(now).toISOString().slice(0, 10);
      todayEnds = Date.parse(today) + 86_400_000;
    }
    const id = `${keyId}|${today}`;
    const u = pending.get(id);
    if (u) u.calls++;
    else pending.set(id, { keyId, serviceId, platform, day: today, calls: 1 });
    if (!flushTimer) {
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        flushUse().catch((err) => k.log.warn({ err }, 'catalogue: recording API key use failed; kept for the next flush'));
      }, USE_FLUSH_MS);
      flushTimer.unref();
    }
  };
  // Flushes run one after another, so a reader that flushes waits for a write already under way.
  let flushing: Promise<void> = Promise.resolve();
  const flushUse = (): Promise<void> => (flushing = flushing.catch(() => undefined).then(writeUse));
  async function writeUse(): Promise<void> {
    if (!pending.size) return;
    const batch = [...pending.values()];
    pending.clear();
    try {
      await store.addKeyUse(db, batch);
    } catch (err) {
      for (const b of batch) {
        const id = `${b.keyId}|${b.day}`;
        const u = pending.get(id);
        if (u) u.calls += b.calls;
        else pending.set(id, b);
      }
      throw err;
    }
  }

  return {
    /** Counts one authenticated call with a key (modules that check keys themselves: Notify's JWTs). */
    recordKeyUse: countUse,
    /** Writes the counts kept in memory now (on close, and before the adoption figures are read). */
    flushKeyUse: async () => {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      await flushUse();
    },
    /**
     * The demo's key traffic, dated back (engagement's demo seeds it for the adoption pages): a
     * live key per entry that no one can use (its secret is thrown away), created on its first
     * day, and its calls per day written as the usage counter writes them. One transaction, two
     * statements; returns the number of keys.
     */
    async seedDemoKeyUse(keys: Array<{ serviceId: string; platform: string; days: Array<{ day: string; calls: number }> }>) {
      const rows = keys
        .filter((k) => k.days.length)
        .map((k) => {
          const secret = randomToken();
          const days = k.days.map((d) => d.day).sort();
          return { k, id: randomUUID(), hint: secret.slice(-4), secret_hash: sha256(secret), first: days[0]!, last: days.at(-1)! };
        });
      if (!rows.length) return 0;
      await db.transaction(async (tx) => {
        await store.insertDemoApiKeys(
          tx,
          rows.map((r) => ({
            id: r.id,
            service_id: r.k.serviceId,
            platform: r.k.platform,
            hint: r.hint,
            secret_hash: r.secret_hash,
            created_at: notAfterNow(`${r.first}T09:00:00Z`),
            last_used_at: notAfterNow(`${r.last}T17:00:00Z`),
          })),
        );
        await store.addKeyUse(
          tx,
          rows.flatMap((r) =>
            r.k.days.map((d) => ({ keyId: r.id, serviceId: r.k.serviceId, platform: r.k.platform, day: d.day, calls: d.calls })),
          ),
        );
      });
      return rows.length;
    },
    /** Calls per service and platform over the last `days` days (this process's pending counts included). */
    async keyUse(days = 30) {
      await flushUse();
      return store.keyUseSince(db, days);
    },
    /** For each of the last `months` calendar months: the services with calls to each platform. */
    async keyUseByMonth(months = 12) {
      await flushUse();
      return store.keyUseByMonth(db, months);
    },
    /** Creates a key and returns its secret — the only time the secret is ever available. */
    async createApiKey(actor: Actor, input: { serviceSlug?: string | null; platform: string; type: string; name?: string }) {
      const admin = !input.serviceSlug;
      if (!(KEY_PLATFORMS as readonly string[]).includes(input.platform))
        throw new BadRequest(`Unknown platform "${input.platform}". Use one of: ${KEY_PLATFORMS.join(', ')}`, [
          { field: 'platform', message: 'Choose a platform' },
        ]);
      if (admin) {
        ctx.requirePlatformAdmin(actor);
        if (input.platform !== 'catalogue')
          throw new BadRequest('Keys without a service are catalogue admin keys: use --platform catalogue', [
            { field: 'service', message: 'Choose a service' },
          ]);
      } else if (!(KEY_TYPES as readonly string[]).includes(input.type)) {
        throw new BadRequest(`Unknown key type "${input.type}". Use live, test or team`, [
          { field: 'type', message: 'Choose live, test or team' },
        ]);
      }
      const s = admin ? null : await ctx.service(input.serviceSlug!);
      if (s) ctx.require(actor, s.organisation.id, 'service');
      const type = admin ? 'admin' : input.type;
      const name = (input.name ?? `${input.platform} ${type} key`).trim().slice(0, 100) || `${input.platform} ${type} key`;
      let secret: string;
      let sealed: string | null = null;
      if (input.platform === 'notify' && s) {
        // Notify's format: {key name}-{service id}-{secret}; the secret signs HS256 JWTs, so it is kept sealed.
        const secretPart = randomUUID();
        secret = `${
          name
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, '_')
            .replace(/^_|_$/g, '') || 'key'
        }-${s.id}-${secretPart}`;
        sealed = seal(k.config.encryptionKey, secretPart);
      } else if (input.platform === 'pay') {
        secret = `api_${type}_${randomToken(30)}`;
      } else {
        secret = `cs_${input.platform}_${type}_${randomToken(30)}`;
      }
      const key = await ctx.change(
        actor,
        { action: 'api_key.create', subject: `catalogue.api_key:${s?.slug ?? 'admin'}`, organisationId: s?.organisation.id ?? null },
        (tx) =>
          store.insertApiKey(tx, {
            service_id: s?.id ?? null,
            platform: input.platform,
            type,
            name,
            hint: secret.slice(-4),
            secret_hash: sha256(secret),
            secret_sealed: sealed,
            created_by: actorName(actor),
          }),
      );
      for (const fn of keyListeners) fn(key.service_id);
      await verified.invalidate(); // a process that saw this secret before it existed forgets that
      return { key, secret };
    },
    listApiKeys: (serviceId: string | null) => store.listApiKeys(db, serviceId),
    async revokeApiKey(actor: Actor, id: string) {
      const key = await store.apiKey(db, id);
      if (!key) throw new NotFound(`No API key with id "${id}"`, 'api_key_not_found');
      const s = key.service_id ? await store.serviceBy(db, 'id', key.service_id) : null;
      if (s) ctx.require(actor, s.organisation.id, 'service');
      else ctx.requirePlatformAdmin(actor);
      await ctx.change(
        actor,
        { action: 'api_key.revoke', subject: `catalogue.api_key:${id}`, organisationId: s?.organisation.id ?? null, before: key },
        async (tx) => {
          await store.revokeApiKey(tx, id);
          return { id, revoked: true };
        },
      );
      for (const fn of keyListeners) fn(key.service_id);
      await verified.invalidate(); // and in every other process
      return (await store.apiKey(db, id))!;
    },
    /** Called after a key is created or revoked in this process (other processes: see the caller's cache). */
    onApiKeysChanged(fn: (serviceId: string | null) => void): void {
      keyListeners.add(fn);
    },
    /**
     * A service's keys with shared secrets (Notify's HS256 JWTs), revoked ones included so the
     * caller can say "revoked" rather than "not found". Secrets are unsealed here, never stored plain.
     */
    async sharedSecretKeys(
      serviceId: string,
      platform: string,
    ): Promise<Array<{ keyId: string; type: string; name: string; secret: string; revoked: boolean }>> {
      const rows = await store.sealedKeys(db, serviceId, platform);
      return rows
        .filter((r) => r.secret_sealed)
        .map((r) => ({
          keyId: r.id,
          type: r.type,
          name: r.name,
          secret: unsealCached(r.secret_sealed!),
          revoked: r.revoked_at !== null,
        }));
    },
    /** The key behind a presented secret, if it is live and for this platform. */
    async verifyApiKey(secret: string, platform: string): Promise<VerifiedKey | null> {
      if (!secret || secret.length > 300) return null;
      const hash = sha256(secret);
      let key = verified.get(hash);
      if (key === undefined) {
        // A read first: the write that records "last used" happens at most once a minute a key.
        key = await store.liveApiKey(db, hash);
        if (key && (!key.last_used_at || Date.parse(key.last_used_at) < Date.now() - 60_000)) key = await store.useApiKey(db, hash);
        verified.set(hash, key);
      }
      if (!key || key.platform !== platform) return null;
      countUse(key.id, key.service_id, key.platform);
      return {
        keyId: key.id,
        serviceId: key.service_id,
        platform: key.platform,
        type: key.type,
        name: key.name,
        secret: key.secret_sealed ? unseal(k.config.encryptionKey, key.secret_sealed) : undefined,
      };
    },
  };
}

/** An ISO time, or now if it is later (today's demo traffic must not be "last used" this evening). */
const notAfterNow = (iso: string) => new Date(Math.min(Date.parse(iso), Date.now())).toISOString();
