// Alerts: a KPI below or above a threshold, or moving more than N% against the same 24 hours
// last week, sent through Notify (email or text message) as the service itself, from a plain
// template added to the service the first time. An alert sends when it starts firing and again
// only after it has cleared, so a bad afternoon is one message, not sixty.
import type { Logger } from 'pino';
import type { Db } from '../../kernel/db.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { NotifyService } from '../notify/index.js';
import type { Kpis, PerformanceService } from './service.js';
import { staffStore, type AlertRow } from './staff-store.js';
import { MS } from './ranges.js';

export const ALERT_KPIS = [
  'completionRate',
  'userSatisfaction',
  'digitalTakeUp',
  'costPerTransaction',
  'transactions',
  'liveUsers',
] as const;
export type AlertKpi = (typeof ALERT_KPIS)[number];
export const RATE_KPIS = new Set<string>(['completionRate', 'userSatisfaction', 'digitalTakeUp']);
const TEMPLATE = 'Performance alert (Cityscape)';
export const ALERT_EVERY_MS = 60_000;

/** Whether the rule holds now, and the figures it was judged on. */
export function judge(
  a: Pick<AlertRow, 'kpi' | 'rule' | 'threshold'>,
  now: Kpis,
  lastWeek: Kpis,
): { firing: boolean; value: number | null; before: number | null } {
  const value = now[a.kpi as AlertKpi] as number | null;
  const before = lastWeek[a.kpi as AlertKpi] as number | null;
  if (value === null) return { firing: false, value, before };
  if (a.rule === 'below') return { firing: value < a.threshold, value, before };
  if (a.rule === 'above') return { firing: value > a.threshold, value, before };
  if (before === null || before === 0) return { firing: false, value, before };
  return { firing: (Math.abs(value - before) / Math.abs(before)) * 100 > a.threshold, value, before };
}

export function createAlerts(deps: {
  db: Db;
  log: Logger;
  perf: PerformanceService;
  catalogue: CatalogueService;
  notify?: NotifyService;
  publicUrl: string;
}) {
  const { db, log, perf, catalogue, notify, publicUrl } = deps;

  async function templateId(serviceId: string, type: 'email' | 'sms'): Promise<string> {
    const existing = (await notify!.templates(serviceId, type)).find((t: { name: string }) => t.name === TEMPLATE) as
      { id: string } | undefined;
    if (existing) return existing.id;
    return (
      await notify!.createTemplate(
        serviceId,
        { type, name: TEMPLATE, subject: type === 'email' ? '((subject))' : null, body: '((body))' },
        'cityscape',
      )
    ).id;
  }

  function describe(a: AlertRow, value: number | null, before: number | null): string {
    const show = (v: number | null) =>
      v === null
        ? 'no data'
        : RATE_KPIS.has(a.kpi)
          ? `${Math.round(v * 1000) / 10}%`
          : a.kpi === 'costPerTransaction'
            ? `£${v.toFixed(2)}`
            : String(Math.round(v * 100) / 100);
    const limit = RATE_KPIS.has(a.kpi) ? `${Math.round(a.threshold * 1000) / 10}%` : String(a.threshold);
    if (a.rule === 'change')
      return `${a.kpi} is ${show(value)} over the last 24 hours, against ${show(before)} in the same 24 hours last week (more than ${a.threshold}% change)`;
    return `${a.kpi} is ${show(value)} over the last 24 hours, ${a.rule} the threshold of ${limit}`;
  }

  async function send(a: AlertRow, text: string) {
    if (!notify) {
      log.warn({ alert: a.id }, 'performance alert firing, but Notify is not wired in');
      return;
    }
    const s = await catalogue.getServiceById(a.service_id);
    const name = s?.name ?? 'A service';
    const link = `${publicUrl}/performance/services/${s?.slug ?? ''}`;
    const body = `${name}: ${text}.\n\nSee the figures: ${link}`;
    const id = await templateId(a.service_id, a.channel);
    const input = {
      templateId: id,
      to: a.recipient,
      personalisation: { subject: `Performance alert: ${name}`, body },
      reference: `performance-alert-${a.id}`,
    };
    if (a.channel === 'email') await notify.sendEmail(a.service_id, input);
    else await notify.sendSms(a.service_id, input);
  }

  /** One round: judge every alert; send for those that just started firing. Returns how many were sent. */
  async function evaluate(now = new Date()): Promise<number> {
    const all = await staffStore.alerts(db);
    const byService = new Map<string, AlertRow[]>();
    for (const a of all) byService.set(a.service_id, [...(byService.get(a.service_id) ?? []), a]);
    let sent = 0;
    for (const [serviceId, alerts] of byService) {
      const from = new Date(now.getTime() - MS.DAY);
      const [cur, prev] = await Promise.all([
        perf.kpis(serviceId, { from, to: now }),
        perf.kpis(serviceId, { from: new Date(from.getTime() - 7 * MS.DAY), to: new Date(now.getTime() - 7 * MS.DAY) }),
      ]);
      for (const a of alerts) {
        const j = judge(a, cur, prev);
        if (await staffStore.setFiring(db, a.id, j.firing)) {
          try {
            await send(a, describe(a, j.value, j.before));
            sent++;
          } catch (err) {
            log.error({ err, alert: a.id }, 'performance alert could not be sent');
            await staffStore.setFiring(db, a.id, false); // try again next round
          }
        }
      }
    }
    return sent;
  }

  return {
    evaluate,
    /** The periodic round, done by one process at a time. */
    async tick(): Promise<void> {
      if (await staffStore.claimTick(db, 'alerts', ALERT_EVERY_MS)) await evaluate();
    },
  };
}
