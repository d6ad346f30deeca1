// Accountability as Decidim has it, done better: a consultation's outcome shows its progress
// from live facts, never a typed-in percentage — the status of the roadmap item it was about
// (now / next / later / done, from the catalogue) and the KPIs the team promised to move,
// measured by performance for the 30 days before the response and the last 30 days.
import { translator, type Lang } from '../../kernel/views.js';
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { ConsultationRow } from './store.js';
import { KPIS } from './schema.js';
import { localised } from './present.js';

export interface KpiSource {
  kpis(
    serviceId: string,
    range: { from: Date; to: Date },
  ): Promise<{
    completionRate: number | null;
    userSatisfaction: number | null;
    costPerTransaction: number | null;
    digitalTakeUp: number | null;
  }>;
}

type Kpi = (typeof KPIS)[number];
/** For cost, lower is better. */
const LOWER_IS_BETTER: Record<Kpi, boolean> = {
  completionRate: false,
  userSatisfaction: false,
  costPerTransaction: true,
  digitalTakeUp: false,
};
const DAY = 86400_000;

export interface Progress {
  roadmap: { title: { text: string; en: boolean }; status: string; statusText: string } | null;
  kpis: Array<{ key: Kpi; name: string; before: string; now: string; better: boolean | null }>;
  since: string | null;
}

function format(key: Kpi, v: number | null, lang: Lang): string {
  if (v === null) return '–';
  if (key === 'costPerTransaction')
    return new Intl.NumberFormat(lang === 'cy' ? 'cy-GB' : 'en-GB', { style: 'currency', currency: 'GBP' }).format(v);
  return `${Math.round(v * 1000) / 10}%`;
}

export function createAccountability(k: Kernel, catalogue: CatalogueService, performance: KpiSource | undefined) {
  return {
    /** Progress of what a consultation led to; null when there is nothing to follow yet. */
    async progress(c: ConsultationRow, lang: Lang, now = new Date()): Promise<Progress | null> {
      const t = translator(k.views.messages, lang);
      const item = c.roadmap_item_id ? await catalogue.getRoadmapItem(c.service_id, c.roadmap_item_id) : null;
      const roadmap = item
        ? {
            title: localised(lang, item.title, item.title_cy),
            status: item.status,
            statusText: t(`engagement.progress.roadmap.${item.status}`),
          }
        : null;
      const kpis: Progress['kpis'] = [];
      const since = c.responded_at ? new Date(c.responded_at) : null;
      if (performance && since && c.promised_kpis.length) {
        const [before, after] = await Promise.all([
          performance.kpis(c.service_id, { from: new Date(since.getTime() - 30 * DAY), to: since }),
          performance.kpis(c.service_id, { from: new Date(now.getTime() - 30 * DAY), to: now }),
        ]);
        for (const key of c.promised_kpis as Kpi[]) {
          const b = before[key],
            a = after[key];
          const better = a === null || b === null || a === b ? null : LOWER_IS_BETTER[key] ? a < b : a > b;
          kpis.push({ key, name: t(`engagement.kpis.${key}`), before: format(key, b, lang), now: format(key, a, lang), better });
        }
      }
      if (!roadmap && !kpis.length) return null;
      return { roadmap, kpis, since: since ? since.toISOString().slice(0, 10) : null };
    },
  };
}
export type Accountability = ReturnType<typeof createAccountability>;
