// Callbacks to a service's own URL, as Notify makes them: delivery receipts and received text
// messages, POSTed as JSON with `Authorization: Bearer <the service's token>`. Each is read from
// the event outbox (so it commits with the status change), queued as a job, and retried with
// backoff until the service answers 2xx. Receipts about one notification are posted one after
// another in the order its statuses changed, so a service that keeps the latest receipt ends
// with the right status (a `delivered` must never land after the bounce that followed it).
import type { Kernel } from '../../kernel/module.js';
import type { Job } from '../../kernel/jobs.js';
import { seal, unseal } from '../../kernel/crypto.js';
import { CALLBACK_JOB_OPTIONS, CALLBACK_QUEUE, NOTIFY_QUEUES } from './queues.js';
import { STATUS_EVENT } from './delivery.js';
import { store } from './store.js';

export const RECEIVED_TEXT_EVENT = 'notify.received_text.created';

interface CallbackJob {
  serviceId: string;
  kind: 'delivery_status' | 'inbound_sms';
  payload: Record<string, unknown>;
  /** The event's id and the receipt's place in it: the order of one notification's status changes. */
  seq?: [number, number];
}

/** Jobs of one batch grouped by notification, each group in the order its statuses changed. */
function inOrder(jobs: Job<CallbackJob>[]): Job<CallbackJob>[][] {
  const groups = new Map<string, Job<CallbackJob>[]>();
  for (const j of jobs) {
    const about = j.data.kind === 'delivery_status' && j.data.payload?.id ? `${j.data.serviceId}:${String(j.data.payload.id)}` : j.id;
    groups.set(about, [...(groups.get(about) ?? []), j]);
  }
  const seq = (j: Job<CallbackJob>) => j.data.seq ?? [0, 0];
  return [...groups.values()].map((g) => g.sort((a, b) => seq(a)[0] - seq(b)[0] || seq(a)[1] - seq(b)[1]));
}

export function createCallbacks(k: Kernel) {
  const { db, config, log } = k;

  async function post(job: CallbackJob): Promise<void> {
    const cb = await store.callback(db, job.serviceId, job.kind);
    if (!cb) return; // removed since: nothing to send
    const token = unseal(config.encryptionKey, cb.bearer_token_sealed);
    const res = await fetch(cb.url, {
      method: 'POST',
      body: JSON.stringify(job.payload),
      signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': 'Cityscape-Notify' },
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`callback to ${new URL(cb.url).host} answered ${res.status}`);
  }

  return {
    /** Callback URLs must be HTTPS, except on a development instance (PUBLIC_URL over http). */
    checkUrl(url: string): string | null {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return 'Enter a URL in the correct format, like https://www.example.gov.uk/callback';
      }
      if (u.protocol === 'https:') return null;
      if (u.protocol === 'http:' && config.publicUrl.startsWith('http:')) return null;
      return 'The URL must start with https://';
    },
    async save(serviceId: string, kind: 'delivery_status' | 'inbound_sms', url: string, token: string): Promise<void> {
      await store.saveCallback(db, serviceId, kind, url, seal(config.encryptionKey, token));
    },
    async start(): Promise<void> {
      await k.jobs.prepare(...NOTIFY_QUEUES);
      k.events.subscribe(
        'notify.callbacks',
        async (event, tx) => {
          const serviceId = String(event.payload.service_id ?? '');
          const kind = event.type === STATUS_EVENT ? 'delivery_status' : 'inbound_sms';
          if (!(await store.callback(tx, serviceId, kind))) return;
          const payloads: Array<Record<string, unknown>> =
            kind === 'delivery_status' ? (event.payload.receipts ?? []) : [event.payload.text];
          await k.jobs.sendMany(
            payloads.map((payload, i) => ({
              name: CALLBACK_QUEUE,
              data: { serviceId, kind, payload, seq: [event.id, i] } satisfies CallbackJob,
              options: CALLBACK_JOB_OPTIONS,
            })),
            { tx },
          );
        },
        [STATUS_EVENT, RECEIVED_TEXT_EVENT],
      );
      await k.jobs.workBatch<CallbackJob>(
        CALLBACK_QUEUE,
        async (jobs) => {
          const failed: Array<{ id: string; error: unknown }> = [];
          // Different notifications concurrently; one notification's receipts one after another,
          // and after a failure the rest of them wait for the retry, so they never overtake it.
          await Promise.all(
            inOrder(jobs.filter((j) => j.data.serviceId)).map(async (group) => {
              for (const [i, j] of group.entries()) {
                try {
                  await post(j.data);
                } catch (error) {
                  failed.push({ id: j.id, error });
                  for (const later of group.slice(i + 1)) failed.push({ id: later.id, error: 'an earlier callback for it failed' });
                  return;
                }
              }
            }),
          );
          if (failed.length) log.info({ failed: failed.length }, 'notify: callbacks failed; will retry');
          return { failed };
        },
        { batchSize: 10 },
      );
    },
  };
}
export type Callbacks = ReturnType<typeof createCallbacks>;
