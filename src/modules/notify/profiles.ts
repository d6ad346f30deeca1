// What a send needs to know about a service, cached for a few seconds: its catalogue name and
// slug, its Notify settings with defaults filled in, and who team keys and trial mode may reach
// (the organisation's staff, the team members and the guest list).
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import { noResult } from './errors.js';
import { normaliseEmail, normalisePhoneLoose } from './content/recipients.js';
import { store, type SettingsRow } from './store.js';
import type { Cache } from '../../kernel/cache.js';

export interface ServiceProfile {
  id: string;
  slug: string;
  name: string;
  organisationId: string;
  settings: SettingsRow;
  fromEmail: string;
  smsSender: string;
}

const TTL_MS = 5_000;

export const defaultSettings = (serviceId: string): SettingsRow => ({
  service_id: serviceId,
  email_from: null,
  reply_to_email: null,
  sms_sender: null,
  letter_contact_block: null,
  restricted: false,
  international_sms: false,
  international_letters: false,
  rate_limit: null,
  email_limit: null,
  sms_limit: null,
  letter_limit: null,
  inbound_number: null,
});

export function createProfiles(k: Kernel, catalogue: CatalogueService) {
  // Read on every send: kept for TTL_MS, and dropped in every process when the service's settings or team change.
  const cache = k.caches.create<Promise<ServiceProfile>>('notify.profiles', { ttlMs: TTL_MS, max: 5_000 });
  const allowedCache = k.caches.create<Promise<{ emails: Set<string>; phones: Set<string> }>>('notify.allowed-recipients', {
    ttlMs: TTL_MS,
    max: 5_000,
  });
  /** The promise is kept (so concurrent sends share one load) and dropped if it fails. */
  const remembered = <T>(c: Cache<Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    let p = c.get(key);
    if (!p) {
      p = load();
      c.set(key, p);
      p.catch(() => c.delete(key));
    }
    return p;
  };

  async function load(serviceId: string): Promise<ServiceProfile> {
    const s = await catalogue.getServiceById(serviceId);
    if (!s) throw noResult();
    const settings = (await store.settings(k.db, serviceId)) ?? defaultSettings(serviceId);
    const local = (settings.email_from || s.slug).toLowerCase();
    return {
      id: s.id,
      slug: s.slug,
      name: s.name,
      organisationId: s.organisation.id,
      settings,
      fromEmail: `${local}@${k.config.notify.emailDomain}`,
      smsSender: settings.sms_sender || 'Cityscape',
    };
  }

  return {
    get(serviceId: string): Promise<ServiceProfile> {
      return remembered(cache, serviceId, () => load(serviceId));
    },
    allowedRecipients(p: ServiceProfile) {
      return remembered(allowedCache, p.id, async () => {
        const [staff, extra] = await Promise.all([catalogue.listStaff(p.organisationId), store.allowed(k.db, p.id)]);
        const emails = new Set<string>(staff.filter((u) => !u.disabled_at).map((u) => normaliseEmail(u.email)));
        const phones = new Set<string>();
        for (const a of extra) {
          if (a.email) emails.add(normaliseEmail(a.email));
          if (a.phone) phones.add(normalisePhoneLoose(a.phone));
        }
        return { emails, phones };
      });
    },
    /** Forget a service after its settings or team change, here and in every other process. */
    async invalidate(serviceId: string): Promise<void> {
      await Promise.all([cache.invalidate(serviceId), allowedCache.invalidate(serviceId)]);
    },
  };
}
export type Profiles = ReturnType<typeof createProfiles>;
