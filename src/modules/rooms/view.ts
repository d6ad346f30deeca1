// The shared view a room holds on the server: which of its services, which KPIs, over which
// period, compared with the period before or not, and what is highlighted. Every change is
// checked here (from the WebSocket and from the no-JavaScript form alike) and described for the
// room's record.

export const KPIS = [
  'transactions',
  'starts',
  'completionRate',
  'userSatisfaction',
  'digitalTakeUp',
  'costPerTransaction',
  'liveUsers',
] as const;
export type Kpi = (typeof KPIS)[number];
export const PERIODS = ['day', 'week', 'month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];
export const PERIOD_MS: Record<Period, number> = {
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  quarter: 91 * 86_400_000,
};

export interface SharedView {
  services: string[];
  kpis: Kpi[];
  period: Period;
  filters: { compare: boolean };
  /** A highlighted figure (one service's KPI), or none. */
  highlight: { service: string; kpi: Kpi } | null;
}

export function defaultView(serviceIds: string[]): SharedView {
  return {
    services: [...serviceIds],
    kpis: ['transactions', 'completionRate', 'userSatisfaction', 'liveUsers'],
    period: 'week',
    filters: { compare: false },
    highlight: null,
  };
}

export type ViewCheck = { ok: true; view: SharedView } | { ok: false; field: string; problem: string };

/** A whole view from untrusted input, within the room's services. */
export function checkView(input: unknown, roomServices: string[]): ViewCheck {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { ok: false, field: 'view', problem: 'not_object' };
  const v = input as Record<string, unknown>;
  const services = Array.isArray(v.services) ? v.services : null;
  if (!services || !services.length || services.some((s) => typeof s !== 'string' || !roomServices.includes(s)))
    return { ok: false, field: 'services', problem: 'services' };
  const kpis = Array.isArray(v.kpis) ? v.kpis : null;
  if (!kpis || !kpis.length || kpis.some((k) => !(KPIS as readonly unknown[]).includes(k)))
    return { ok: false, field: 'kpis', problem: 'kpis' };
  if (!(PERIODS as readonly unknown[]).includes(v.period)) return { ok: false, field: 'period', problem: 'period' };
  const filters = (v.filters ?? {}) as Record<string, unknown>;
  if (typeof filters !== 'object' || (filters.compare !== undefined && typeof filters.compare !== 'boolean'))
    return { ok: false, field: 'compare', problem: 'filters' };
  let highlight: SharedView['highlight'] = null;
  if (v.highlight !== null && v.highlight !== undefined) {
    const h = v.highlight as Record<string, unknown>;
    if (typeof h !== 'object' || !services.includes(h.service as string) || !kpis.includes(h.kpi as Kpi))
      return { ok: false, field: 'highlight', problem: 'highlight' };
    highlight = { service: h.service as string, kpi: h.kpi as Kpi };
  }
  return {
    ok: true,
    view: {
      services: [...new Set(services as string[])],
      kpis: KPIS.filter((k) => kpis.includes(k)),
      period: v.period as Period,
      filters: { compare: filters.compare === true },
      highlight,
    },
  };
}

/** What changed between two views, for the room's record ("period: week → month"). */
export function viewChanges(before: SharedView, after: SharedView): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(before.services, after.services)) out.services = { from: before.services, to: after.services };
  if (!same(before.kpis, after.kpis)) out.kpis = { from: before.kpis, to: after.kpis };
  if (before.period !== after.period) out.period = { from: before.period, to: after.period };
  if (before.filters.compare !== after.filters.compare) out.compare = { from: before.filters.compare, to: after.filters.compare };
  if (!same(before.highlight, after.highlight)) out.highlight = { from: before.highlight, to: after.highlight };
  return out;
}
