// Delivering a submission to its team, once per destination. Each destination is a row in
// forms.deliveries made in the submission's own transaction, with a queued job (the pull API's
// rows wait for the team to acknowledge instead). The job sends and then marks the row; a
// crash between the two re-sends with the same delivery id, which receivers use to drop the
// duplicate (the webhook's Idempotency-Key, Notify's reference) — so each destination gets it
// exactly once. Webhooks are signed (HMAC-SHA256 of timestamp and body) and retried with
// exponential backoff by the job queue.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db } from '../../kernel/db.js';
import { hmac } from '../../kernel/crypto.js';
import type { CatalogueService } from '../catalogue/index.js';
import { money } from './engine.js';
import type { JourneyDeps } from './pages-journey.js';
import { store, type SubmissionRow } from './store.js';

export const SIGNATURE_HEADER = 'cityscape-signature';
const TEMPLATE_NAME = { email: 'Form message (Cityscape Forms)', sms: 'Form text message (Cityscape Forms)' };

/** A plain template the service sends forms' messages from, added the first time (the team can reword it). */
export async function ensureTemplate(
  notify: NonNullable<JourneyDeps['notify']>,
  serviceId: string,
  type: 'email' | 'sms',
): Promise<string> {
  const existing = (await notify.templates(serviceId, type)).find((t) => (t as { name: string }).name === TEMPLATE_NAME[type]) as
    { id: string } | undefined;
  if (existing) return existing.id;
  const created = await notify.createTemplate(
    serviceId,
    type === 'email'
      ? { type, name: TEMPLATE_NAME.email, subject: '((subject))', body: '((body))' }
      : { type, name: TEMPLATE_NAME.sms, body: '((body))' },
    'cityscape-forms',
  );
  return created.id;
}

/** The webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signWebhook(secret: string, body: string, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
}

/** The JSON a team receives (webhook, pull API): the same shape everywhere. */
export function submissionJson(
  s: SubmissionRow,
  files: Array<{ id: string; question: string; name: string; type: string; size: number; sha256: string }>,
  publicUrl: string,
) {
  return {
    id: s.id,
    reference: s.reference,
    service_id: s.service_id,
    form_version: s.version,
    language: s.language,
    created_at: new Date(s.created_at).toISOString(),
    fee: s.fee,
    payment_id: s.payment_id,
    preview: s.preview,
    answers: s.answers,
    files: files.map((f) => ({ ...f, url: `${publicUrl}/forms/api/v1/submissions/${s.id}/files/${f.id}` })),
  };
}

export function createDeliveries(d: { db: Db; log: Logger; config: Config; notify?: JourneyDeps['notify']; catalogue: CatalogueService }) {
  const { db, log } = d;
  /** Each service's webhook signing secret, derived from the platform's secret (shown in the console). */
  const webhookSecret = (serviceId: string) => `whsec_${hmac(d.config.encryptionKey, `forms-webhook:${serviceId}`)}`;

  async function send(kind: string, target: string, s: SubmissionRow, deliveryId: string): Promise<void> {
    const files = await store.filesOf(db, s.id);
    const body = submissionJson(s, files, d.config.publicUrl);
    if (kind === 'webhook') {
      const json = JSON.stringify(body);
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': deliveryId,
          [SIGNATURE_HEADER]: signWebhook(webhookSecret(s.service_id), json),
          'user-agent': 'Cityscape-Forms/1',
        },
        body: json,
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered ${res.status}`);
      return;
    }
    if (!d.notify) throw new Error('no notify module: cannot send email');
    const service = await d.catalogue.getServiceById(s.service_id);
    const name = service?.name ?? 'Form';
    if (kind === 'email') {
      const lines = s.answers.map((a) => `${a.item ? `${a.label} (${a.item})` : a.label}: ${a.text}`);
      await d.notify.sendEmail(s.service_id, {
        templateId: await ensureTemplate(d.notify, s.service_id, 'email'),
        to: target,
        reference: deliveryId,
        personalisation: {
          subject: `New submission ${s.reference}: ${name}`,
          body: [
            `Reference: ${s.reference}`,
            s.fee ? `Fee paid: ${money(s.fee)}` : '',
            '',
            ...lines,
            files.length ? `\n${files.length} file(s): ${body.files.map((f) => f.url).join(' ')}` : '',
          ]
            .filter((x, i) => x !== '' || i === 2)
            .join('\n'),
        },
      });
      return;
    }
    // The citizen's confirmation, in the language they used.
    const cy = s.language === 'cy';
    const text = cy
      ? `Rydym wedi cael eich cais i ${name}. Eich cyfeirnod yw ${s.reference}.`
      : `We have received your application to ${name}. Your reference is ${s.reference}.`;
    if (target.startsWith('email:')) {
      await d.notify.sendEmail(s.service_id, {
        templateId: await ensureTemplate(d.notify, s.service_id, 'email'),
        to: target.slice(6),
        reference: s.reference,
        personalisation: {
          subject: cy ? `Cais wedi dod i law: ${s.reference}` : `Application received: ${s.reference}`,
          body: `${text}\n\n${cy ? 'Cadwch yr e-bost hwn.' : 'Keep this email.'}`,
        },
      });
    } else if (target.startsWith('sms:')) {
      await d.notify.sendSms(s.service_id, {
        templateId: await ensureTemplate(d.notify, s.service_id, 'sms'),
        to: target.slice(4),
        reference: s.reference,
        personalisation: { body: text },
      });
    }
  }

  return {
    webhookSecret,
    /** One delivery job: sends unless already delivered; a failure is recorded and rethrown for the queue's retry. */
    async deliver(deliveryId: string): Promise<void> {
      const row = (
        await db.query<{ kind: string; target: string; state: string; submission_id: string }>(
          'SELECT kind, target, state, submission_id FROM forms.deliveries WHERE id = $1',
          [deliveryId],
        )
      ).rows[0];
      if (!row || row.state !== 'pending' || row.kind === 'api') return;
      const s = await store.submission(db, row.submission_id);
      if (!s) return;
      try {
        await send(row.kind, row.target, s, deliveryId);
      } catch (err) {
        await store.deliveryAttempt(db, deliveryId, err instanceof Error ? err.message : String(err));
        log.warn({ err, deliveryId, kind: row.kind }, 'forms: delivery failed; it will be retried');
        throw err;
      }
      await db.transaction(async (tx) => {
        const locked = await store.lockDelivery(tx, deliveryId);
        if (locked?.state === 'pending') await store.deliveryDone(tx, deliveryId, 'delivered', null);
      });
    },
    pending: (serviceId: string, limit: number) => store.pending(db, serviceId, limit),
    acknowledge: (serviceId: string, submissionId: string) => store.acknowledge(db, serviceId, submissionId),
    file: (serviceId: string, submissionId: string, fileId: string) => store.file(db, serviceId, submissionId, fileId),
  };
}
export type Deliveries = ReturnType<typeof createDeliveries>;
