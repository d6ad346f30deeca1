// Demo history for the demo organisations' services, so a fresh `npm start` shows charts with
// something in them: two months of made-up starts, completions, page views, notifications and
// satisfaction (matching the catalogue's seeded survey answers), and team-reported phone
// volumes and costs. Written through the ordinary write path; every row carries props.demo = 1.
// Only demo organisations' services get any; real services start from nothing.
import type { Db } from '../../kernel/db.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Measurement } from './measure.js';
import { writeMeasurements } from './ingest.js';
import { datasets, cleanRecord } from './backdrop-records.js';
import { CHANNEL_TYPE, COST_TYPE } from './team-figures.js';
import { staffStore } from './staff-store.js';
import { MS } from './ranges.js';

const DAYS = 60;
const PATHS = ['/start', '/eligibility', '/details', '/check-answers', '/confirmation'];
const SOURCES = ['google.com', 'gov.uk', 'bing.com', 'newsletter', 'facebook.com'];

/** A small deterministic generator, so the demo looks the same on every fresh start. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
const hash = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);

export async function seedDemoPerformance(db: Db, catalogue: CatalogueService): Promise<boolean> {
  if (!(await staffStore.claimTick(db, 'demo-seed', 1000 * 86400 * 365 * 100))) return false;
  const orgs = new Map((await catalogue.listOrganisations()).map((o) => [o.id, o]));
  const services = (await catalogue.listServices()).filter((s) => orgs.get(s.organisation.id)?.is_demo && !s.platform);
  if (!services.length) return false;
  const today = Math.floor(Date.now() / MS.DAY) * MS.DAY;
  for (const s of services) {
    const r = rng(hash(s.slug));
    const scale = 3 + Math.floor(r() * 12);
    const completion = 0.55 + r() * 0.35;
    const rows: Measurement[] = [];
    const m = (type: string, at: number, extra: Partial<Measurement> = {}) =>
      rows.push({
        serviceId: s.id,
        at: new Date(Math.min(at, Date.now() - 1000)),
        type,
        dim: '',
        key: null,
        value: null,
        props: { demo: 1 },
        ...extra,
      });
    for (let d = DAYS; d >= 0; d--) {
      const day = today - d * MS.DAY;
      const weekday = new Date(day).getUTCDay() % 6 === 0 ? 0.5 : 1;
      const starts = Math.round(scale * weekday * (0.7 + r() * 0.6));
      for (let i = 0; i < starts; i++) {
        const at = day + Math.floor((7 + r() * 14) * MS.HOUR);
        m('forms.started', at);
        if (r() < completion) m('forms.submission.created', at + Math.floor(r() * 20 * 60_000));
        if (r() < 0.6) m('notify.delivered', at + 25 * 60_000, { dim: r() < 0.8 ? 'email' : 'sms' });
        for (let v = 0; v < 1; v++) {
          m('page.view', at + v * 60_000, {
            dim: PATHS[Math.floor(r() * PATHS.length)],
            props: {
              demo: 1,
              device: r() < 0.55 ? 'mobile' : r() < 0.8 ? 'desktop' : 'tablet',
              ...(v === 0 && r() < 0.6 ? { referrer: SOURCES[Math.floor(r() * SOURCES.length)] } : {}),
            },
          });
        }
        m('page.visitor', at, { dim: 'mobile' });
      }
    }
    // Satisfaction as the catalogue's seeded survey answers have it (30 days), spread over the days.
    const sat = await catalogue.satisfaction(s.id, 30);
    if (sat.score !== null && sat.responses > 0) {
      const mean = sat.score * 4 + 1;
      const low = Math.floor(mean);
      const high = Math.round((mean - low) * sat.responses);
      for (let i = 0; i < sat.responses; i++) {
        const rating = Math.min(5, i < high ? low + 1 : low);
        m('satisfaction', today - Math.floor(r() * 29 * MS.DAY) + Math.floor(r() * MS.DAY), { value: rating, dim: String(rating) });
      }
    }
    for (let i = 0; i < rows.length; i += 5000) await db.transaction((tx) => writeMeasurements(tx, rows.slice(i, i + 5000)));
    // What the team reports: phone calls and cost, a week at a time.
    await db.transaction(async (tx) => {
      const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * MS.DAY;
      const channel: ReturnType<typeof cleanRecord>[] = [];
      const cost: ReturnType<typeof cleanRecord>[] = [];
      for (let w = 9; w >= 0; w--) {
        const ts = new Date(monday - w * 7 * MS.DAY).toISOString();
        channel.push(
          cleanRecord(
            { _id: `demo-${w}-phone`, _timestamp: ts, period: 'week', channel: 'phone', count: Math.round(scale * 7 * (0.2 + r() * 0.3)) },
            0,
          ),
        );
        cost.push(
          cleanRecord(
            { _id: `demo-${w}-cost`, _timestamp: ts, period: 'week', cost: Math.round(scale * 7 * (4 + r() * 6) * 100) / 100 },
            0,
          ),
        );
      }
      await datasets.upsert(tx, await datasets.ensure(tx, s.id, s.slug, CHANNEL_TYPE), channel);
      await datasets.upsert(tx, await datasets.ensure(tx, s.id, s.slug, COST_TYPE), cost);
    });
  }
  return true;
}
