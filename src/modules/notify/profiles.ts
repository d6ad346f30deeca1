// What a send needs to know about a service, cached for a few seconds: its catalogue name and
// slug, its Notify settings with defaults filled in, and who team keys and trial mode may reach
// (the organisation's staff, the team members and the guest list).
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import { noResult } from './errors.js';
import { normaliseEmail, normalisePhoneLoose } from './content/recipients.js';
import { store, type SettingsRow } from './store.js';

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
  const cache = new Map<string, { at: number; profile: Promise<ServiceProfile> }>();
  const allowedCache = new Map<string, { at: number; value: Promise<{ emails: Set<string>; phones: Set<string> }> }>();

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
      const hit = cache.get(serviceId);
      if (hit && Date.now() - hit.at < TTL_MS) return hit.profile;
      const profile = load(serviceId);
      cache.set(serviceId, { at: Date.now(), profile });
      profile.catch(() => cache.delete(serviceId));
      if (cache.size > 5_000) cache.clear();
      return profile;
    },
    allowedRecipients(p: ServiceProfile) {
      const hit = allowedCache.get(p.id);
      if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
      const value = (async () => {
        const [staff, extra] = await Promise.all([catalogue.listStaff(p.organisationId), store.allowed(k.db, p.id)]);
        const emails = new Set<string>(staff.filter((u) => !u.disabled_at).map((u) => normaliseEmail(u.email)));
        const phones = new Set<string>();
        for (const a of extra) {
          if (a.email) emails.add(normaliseEmail(a.email));
          if (a.phone) phones.add(normalisePhoneLoose(a.phone));
        }
        return { emails, phones };
      })();
      allowedCache.set(p.id, { at: Date.now(), value });
      value.catch(() => allowedCache.delete(p.id));
      return value;
    },
    /** Forget a service after its settings or team change (this process; others within seconds). */
    invalidate(serviceId: string): void {
      cache.delete(serviceId);
      allowedCache.delete(serviceId);
    },
  };
}
export type Profiles = ReturnType<typeof createProfiles>;
