// Experiments on a flag: design (variants, hypothesis, primary metric, guardrails, minimum
// detectable effect and the sample it needs), then start, stop and ship — each a decision in
// the service's decision log (who, when, why, the result at that moment, a link to the evidence)
// through the catalogue. Starting and stopping NOTIFY every process so exposure logging follows.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../kernel/db.js';
import type { Audit } from '../../kernel/audit.js';
import { BadRequest, Conflict, NotFound } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import type { FlagStore } from './flags.js';
import type { Exposures } from './exposures.js';
import { RUNNING_CHANNEL } from './exposures.js';
import type { Environment } from './store.js';
import { computeResults, METRICS, type PerKey, type Results } from './results.js';
import { sampleSizeProportion } from './stats.js';

export interface ExperimentRow {
  id: string;
  service_id: string;
  environment: Environment;
  flag_key: string;
  name: string;
  hypothesis: string;
  control_variant: string;
  primary_metric: string;
  guardrails: string[];
  mde: number;
  baseline: number | null;
  status: 'draft' | 'running' | 'stopped' | 'shipped';
  shipped_variant: string | null;
  started_at: Date | null;
  stopped_at: Date | null;
  created_by: string;
  created_at: Date;
  published: boolean;
}
export interface ExperimentInput {
  flagKey: string;
  name: string;
  hypothesis: string;
  controlVariant: string;
  primaryMetric: string;
  guardrails: string[];
  mde: number;
  baseline: number | null;
}

const METRIC = /^(completion|payment_success|satisfaction|time_to_complete|custom\.[a-z0-9_.-]{1,60})$/;
const actorName = (a: Actor) => (a.kind === 'staff' ? `staff:${a.email}` : a.kind === 'apikey' ? `apikey:${a.id}` : 'cli');

export function createExperimentService(deps: {
  db: Db;
  audit: Audit;
  flags: FlagStore;
  exposures: Exposures;
  catalogue: CatalogueService;
  performance: PerKey | null;
  publicUrl: string;
}) {
  const { db, flags, catalogue } = deps;

  async function load(id: string): Promise<ExperimentRow> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFound('No such experiment', 'experiment_not_found');
    const { rows } = await db.query<ExperimentRow>('SELECT * FROM experiments.experiments WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFound('No such experiment', 'experiment_not_found');
    return rows[0];
  }

  /** Problems with a design, by field (empty when it can be saved). */
  function check(serviceId: string, env: Environment, input: ExperimentInput): Array<{ field: string; message: string }> {
    const out: Array<{ field: string; message: string }> = [];
    const flag = flags.compiled(serviceId, env).flags.get(input.flagKey);
    if (!flag) out.push({ field: 'flagKey', message: 'flagMissing' });
    else if (!Object.prototype.hasOwnProperty.call(flag.def.variants, input.controlVariant))
      out.push({ field: 'controlVariant', message: 'controlMissing' });
    if (!input.name.trim() || input.name.length > 200) out.push({ field: 'name', message: 'nameMissing' });
    if (input.hypothesis.length > 2000) out.push({ field: 'hypothesis', message: 'hypothesisLong' });
    if (!METRIC.test(input.primaryMetric)) out.push({ field: 'primaryMetric', message: 'metricMissing' });
    if (input.guardrails.some((g) => !METRIC.test(g)) || input.guardrails.length > 10)
      out.push({ field: 'guardrails', message: 'guardrailsInvalid' });
    if (!(input.mde > 0 && input.mde <= 5)) out.push({ field: 'mde', message: 'mdeInvalid' });
    if (input.baseline !== null && !(input.baseline > 0 && input.baseline < 1)) out.push({ field: 'baseline', message: 'baselineInvalid' });
    return out;
  }

  async function decide(actor: Actor, row: ExperimentRow, decision: string, reasoning: string) {
    const service = await catalogue.getServiceById(row.service_id);
    if (!service) return;
    const detail = await catalogue.getServiceDetail(service.slug).catch(() => null);
    const holder = (detail as { office_holder?: { name: string; role: string } | null } | null)?.office_holder;
    const who = holder ? `${holder.name}, ${holder.role}` : actor.kind === 'staff' ? actor.email : 'The service team';
    await catalogue.addDecision(actor, service.slug, {
      decided_on: new Date().toISOString().slice(0, 10),
      decision: decision.slice(0, 2000),
      reasoning: reasoning.slice(0, 5000),
      decided_by: who.slice(0, 200),
      evidence_url: `${deps.publicUrl}/admin/experiments/${row.id}`,
    });
  }

  async function transition(actor: Actor, row: ExperimentRow, status: ExperimentRow['status'], extra: string, params: unknown[]) {
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE experiments.experiments SET status = $2${extra} WHERE id = $1`, [row.id, status, ...params]);
      await deps.audit.record(tx, {
        actor: actorName(actor),
        action: `experiments.experiment.${status}`,
        subject: `experiments.experiment:${row.id}`,
        before: { status: row.status },
        after: { status },
      });
      await tx.query('SELECT pg_notify($1, $2)', [RUNNING_CHANNEL, row.id]);
    });
    await deps.exposures.reload();
  }

  /** One line of the result for the decision log. */
  function summary(r: Results, row: ExperimentRow): string {
    const m = r.metrics[0];
    const parts = r.exposures.map((e) => `${e.variant}: ${e.n} people`);
    if (m)
      for (const v of m.variants.filter((x) => x.effect))
        parts.push(
          `${v.variant} vs ${row.control_variant} on ${m.metric}: ${(v.effect!.difference * (m.kind === 'conversion' ? 100 : 1)).toFixed(2)}${m.kind === 'conversion' ? ' points' : ''}, always-valid p = ${v.effect!.pSequential.toPrecision(2)}, chance to beat control ${((v.chanceToBeat ?? 0) * 100).toFixed(0)}%`,
        );
    if (r.srm.mismatch) parts.push(`sample ratio mismatch (p = ${r.srm.p.toPrecision(2)}): the split is not as planned`);
    return parts.join('; ');
  }

  const service = {
    load,
    check,
    plannedSample(row: Pick<ExperimentRow, 'baseline' | 'mde'>): number | null {
      return row.baseline ? sampleSizeProportion(row.baseline, row.mde) : null;
    },
    async list(serviceId: string): Promise<ExperimentRow[]> {
      const { rows } = await db.query<ExperimentRow>(
        'SELECT * FROM experiments.experiments WHERE service_id = $1 ORDER BY created_at DESC',
        [serviceId],
      );
      return rows;
    },
    async published(serviceId: string): Promise<ExperimentRow[]> {
      const { rows } = await db.query<ExperimentRow>(
        "SELECT * FROM experiments.experiments WHERE service_id = $1 AND published AND status IN ('stopped', 'shipped') ORDER BY stopped_at DESC LIMIT 5",
        [serviceId],
      );
      return rows;
    },
    async create(actor: Actor, serviceId: string, env: Environment, input: ExperimentInput): Promise<ExperimentRow> {
      const problems = check(serviceId, env, input);
      if (problems.length) throw new BadRequest(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
      const id = randomUUID();
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO experiments.experiments (id, service_id, environment, flag_key, name, hypothesis, control_variant, primary_metric, guardrails, mde, baseline, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [
            id,
            serviceId,
            env,
            input.flagKey,
            input.name.trim(),
            input.hypothesis.trim(),
            input.controlVariant,
            input.primaryMetric,
            input.guardrails,
            input.mde,
            input.baseline,
            actorName(actor),
          ],
        );
        await deps.audit.record(tx, {
          actor: actorName(actor),
          action: 'experiments.experiment.create',
          subject: `experiments.experiment:${id}`,
          after: input,
        });
      });
      return load(id);
    },
    async start(actor: Actor, id: string, why: string): Promise<void> {
      const row = await load(id);
      if (row.status !== 'draft') throw new Conflict('Only a draft experiment can start');
      if (!flags.compiled(row.service_id, row.environment).flags.get(row.flag_key))
        throw new Conflict('The experiment’s flag no longer exists');
      try {
        await transition(actor, row, 'running', ', started_at = now()', []);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new Conflict('Another experiment is already running on this flag');
        throw err;
      }
      const planned = service.plannedSample(row);
      await decide(
        actor,
        row,
        `Started the experiment “${row.name}” on the flag ${row.flag_key}`,
        [
          row.hypothesis && `Hypothesis: ${row.hypothesis}`,
          `Primary metric: ${row.primary_metric}`,
          row.guardrails.length ? `Guardrails: ${row.guardrails.join(', ')}` : '',
          `Minimum detectable effect: ${(row.mde * 100).toFixed(1)}%`,
          planned ? `About ${planned} people per variant needed` : '',
          why,
        ]
          .filter(Boolean)
          .join('. '),
      );
    },
    async stop(actor: Actor, id: string, why: string): Promise<void> {
      const row = await load(id);
      if (row.status !== 'running') throw new Conflict('Only a running experiment can stop');
      const r = await service.results(row);
      await transition(actor, row, 'stopped', ', stopped_at = now()', []);
      await decide(actor, row, `Stopped the experiment “${row.name}”`, `${why}. Result: ${summary(r, row)}`);
    },
    /** Ship a variant: the flag serves it to everyone (default variant, no targeting), and the experiment ends. */
    async ship(actor: Actor, id: string, variant: string, why: string): Promise<void> {
      const row = await load(id);
      if (row.status !== 'running' && row.status !== 'stopped') throw new Conflict('Only a running or stopped experiment can ship');
      const loaded = flags.get(row.service_id, row.environment);
      const flag = loaded?.set.document.flags[row.flag_key];
      if (!loaded || !flag || !Object.prototype.hasOwnProperty.call(flag.variants, variant))
        throw new BadRequest('Choose one of the flag’s variants', [{ field: 'variant', message: 'variantMissing' }]);
      const r = await service.results(row);
      const doc = structuredClone(loaded.set.document);
      doc.flags[row.flag_key] = { ...doc.flags[row.flag_key], defaultVariant: variant };
      delete doc.flags[row.flag_key].targeting;
      const svc = await catalogue.getServiceById(row.service_id);
      await flags.save(
        actorName(actor),
        { id: row.service_id, organisationId: svc?.organisation?.id ?? null },
        row.environment,
        doc,
        `Shipped ${variant} (experiment “${row.name}”)`,
      );
      await transition(actor, row, 'shipped', ', shipped_variant = $3, stopped_at = coalesce(stopped_at, now())', [variant]);
      await decide(
        actor,
        row,
        `Shipped “${variant}” of the flag ${row.flag_key} to everyone, after the experiment “${row.name}”`,
        `${why}. Result: ${summary(r, row)}`,
      );
    },
    async setPublished(actor: Actor, id: string, published: boolean): Promise<void> {
      const row = await load(id);
      await db.transaction(async (tx) => {
        await tx.query('UPDATE experiments.experiments SET published = $2 WHERE id = $1', [id, published]);
        await deps.audit.record(tx, {
          actor: actorName(actor),
          action: 'experiments.experiment.publish',
          subject: `experiments.experiment:${id}`,
          before: { published: row.published },
          after: { published },
        });
      });
    },
    async results(row: ExperimentRow): Promise<Results> {
      const { rows } = await db.query<{ key: string; variant: string }>(
        'SELECT targeting_key AS key, variant FROM experiments.exposures WHERE service_id = $1 AND experiment_id = $2',
        [row.service_id, row.id],
      );
      const planned = service.plannedSample(row);
      const flag = flags.compiled(row.service_id, row.environment).flags.get(row.flag_key);
      const r = await computeResults({
        perf: deps.performance,
        serviceId: row.service_id,
        startedAt: row.started_at ? new Date(row.started_at) : new Date(),
        stoppedAt: row.stopped_at ? new Date(row.stopped_at) : null,
        control: row.control_variant,
        flag,
        exposures: rows,
        metrics: [row.primary_metric, ...row.guardrails],
        plannedN: Math.max(1000, (planned ?? 5000) * Math.max(2, Object.keys(flag?.def.variants ?? {}).length)),
      });
      return { ...r, plannedPerArm: planned };
    },
    METRICS,
  };
  return service;
}
export type ExperimentService = ReturnType<typeof createExperimentService>;
