// Callbacks to a service's own URL, as Notify makes them: delivery receipts and received text
// messages, POSTed as JSON with `Authorization: Bearer <the service's token>`. Each is read from
// the event outbox (so it commits with the status change), queued as a job, and retried with
// backoff until the service answers 2xx.
import type { Kernel } from '../../kernel/module.js';
import { seal, unseal } from '../../kernel/crypto.js';
import { CALLBACK_JOB_OPTIONS, CALLBACK_QUEUE, queueWarmer } from './queues.js';
import { STATUS_EVENT } from './delivery.js';
import { store } from './store.js';

export const RECEIVED_TEXT_EVENT = 'notify.received_text.created';

interface CallbackJob {
  serviceId: string;
  kind: 'delivery_status' | 'inbound_sms';
  payload: Record<string, unknown>;
}

export function createCallbacks(k: Kernel) {
  const { db, config, log } = k;
  const warm = queueWarmer(k.jobs);

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
      await warm();
      k.events.subscribe(
        'notify.callbacks',
        async (event, tx) => {
          const serviceId = String(event.payload.service_id ?? '');
          const kind = event.type === STATUS_EVENT ? 'delivery_status' : 'inbound_sms';
          if (!(await store.callback(tx, serviceId, kind))) return;
          const payloads: Array<Record<string, unknown>> =
            kind === 'delivery_status' ? (event.payload.receipts ?? []) : [event.payload.text];
          const jobs = payloads.map((payload) => ({
            name: CALLBACK_QUEUE,
            data: { serviceId, kind, payload } satisfies CallbackJob,
            ...CALLBACK_JOB_OPTIONS,
          }));
          if (jobs.length)
            await k.jobs.boss.insert(
              jobs as any,
              { db: { executeSql: (text: string, values?: unknown[]) => tx.query(text, values ?? []) } } as any,
            );
        },
        [STATUS_EVENT, RECEIVED_TEXT_EVENT],
      );
      await k.jobs.boss.work<CallbackJob>(CALLBACK_QUEUE, { batchSize: 10, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        const results = await Promise.allSettled(
          jobs.map(async (j) => ((j.data as { warmup?: boolean }).warmup ? undefined : post(j.data))),
        );
        const failed = jobs.filter((_, i) => results[i].status === 'rejected');
        if (failed.length) {
          log.info({ failed: failed.length }, 'notify: callbacks failed; will retry');
          for (const j of failed) {
            const reason = (results[jobs.indexOf(j)] as PromiseRejectedResult).reason;
            await k.jobs.boss.fail(CALLBACK_QUEUE, j.id, { message: String(reason?.message ?? reason) });
          }
        }
      });
    },
  };
}
export type Callbacks = ReturnType<typeof createCallbacks>;
