// Exposure logging: when a person (targeting key) is served a variant of a flag that has a
// running experiment, the first such serving is recorded once (experiments.exposures, primary
// key per experiment and key) with its `experiments.exposure` outbox event in the same
// transaction. Evaluation stays synchronous: exposures queue in memory, de-duplicated here and
// by the table, and are written in batches of up to 2,000 rows per statement, two at a time.
import type { Logger } from 'pino';
import type { Db } from '../../kernel/db.js';
import type { Events } from '../../kernel/events.js';
import type { Resolution } from './flagd.js';
import type { Environment } from './store.js';

export const RUNNING_CHANNEL = 'experiments_running';
const BATCH = 2000;
const IN_FLIGHT = 2;
const SEEN_MAX = 500_000;

interface Pending {
  serviceId: string;
  experimentId: string;
  flagKey: string;
  key: string;
  variant: string;
  at: Date;
}

export function createExposures(deps: { db: Db; log: Logger; events: Events }) {
  const { db, log } = deps;
  /** service|environment|flag → running experiment id */
  let running = new Map<string, string>();
  let seen = new Set<string>();
  const queue: Pending[] = [];
  let flushing: Promise<void> | null = null;
  let scheduled = false;
  let unlisten: (() => Promise<void>) | undefined;

  async function loadRunning(): Promise<void> {
    const { rows } = await db.query<{ id: string; service_id: string; environment: string; flag_key: string }>(
      "SELECT id, service_id, environment, flag_key FROM experiments.experiments WHERE status = 'running'",
    );
    running = new Map(rows.map((r) => [`${r.service_id}|${r.environment}|${r.flag_key}`, r.id]));
  }

  async function write(batch: Pending[]): Promise<void> {
    await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ service_id: string; experiment_id: string; targeting_key: string; variant: string }>(
        `INSERT INTO experiments.exposures (service_id, experiment_id, targeting_key, variant, first_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
         ON CONFLICT DO NOTHING RETURNING service_id, experiment_id, targeting_key, variant`,
        [
          batch.map((p) => p.serviceId),
          batch.map((p) => p.experimentId),
          batch.map((p) => p.key),
          batch.map((p) => p.variant),
          batch.map((p) => p.at),
        ],
      );
      const flagOf = new Map(batch.map((p) => [p.experimentId, p.flagKey]));
      await deps.events.appendMany(
        tx,
        rows.map((r) => ({
          stream: `experiments.experiment:${r.experiment_id}`,
          type: 'experiments.exposure',
          payload: {
            service_id: r.service_id,
            experiment_id: r.experiment_id,
            flag_key: flagOf.get(r.experiment_id),
            key: r.targeting_key,
            variant: r.variant,
          },
        })),
      );
    });
  }

  /** Write everything queued so far (tests, shutdown, benches). */
  function flush(): Promise<void> {
    if (flushing) return flushing.then(() => (queue.length ? flush() : undefined));
    if (!queue.length) return Promise.resolve();
    flushing = (async () => {
      while (queue.length) {
        const batches: Pending[][] = [];
        for (let i = 0; i < IN_FLIGHT && queue.length; i++) batches.push(queue.splice(0, BATCH));
        await Promise.all(
          batches.map((batch) =>
            write(batch).catch((err) => {
              // Forget them as seen so a later serving records them; never fail an evaluation.
              for (const p of batch) seen.delete(`${p.experimentId}|${p.key}`);
              log.error({ err, count: batch.length }, 'experiments: writing exposures failed');
            }),
          ),
        );
      }
    })().finally(() => {
      flushing = null;
    });
    return flushing;
  }

  return {
    async start(): Promise<void> {
      unlisten = await db.listen(RUNNING_CHANNEL, () => {
        loadRunning().catch((err) => log.error({ err }, 'experiments: reloading running experiments failed'));
      });
      await loadRunning();
    },
    async stop(): Promise<void> {
      await unlisten?.();
      await flush();
    },
    reload: loadRunning,
    /** The running experiment on this flag, if any. */
    runningOn: (serviceId: string, env: Environment, flagKey: string) => running.get(`${serviceId}|${env}|${flagKey}`) ?? null,
    /** Called for every served variant; records the first serving per person of an experiment's flag. */
    note(serviceId: string, env: Environment, r: Resolution, targetingKey: unknown): void {
      if (!r.variant || typeof targetingKey !== 'string' || !targetingKey || targetingKey.length > 200) return;
      const experimentId = running.get(`${serviceId}|${env}|${r.key}`);
      if (!experimentId) return;
      const id = `${experimentId}|${targetingKey}`;
      if (seen.has(id)) return;
      if (seen.size >= SEEN_MAX) seen = new Set();
      seen.add(id);
      queue.push({ serviceId, experimentId, flagKey: r.key, key: targetingKey, variant: r.variant, at: new Date() });
      if (queue.length >= BATCH) void flush();
      else if (!scheduled) {
        scheduled = true;
        setTimeout(() => {
          scheduled = false;
          void flush();
        }, 50).unref();
      }
    },
    flush,
  };
}
export type Exposures = ReturnType<typeof createExposures>;
