// Forms' use cases: save a definition as a new version, publish a version live, find the form
// a page is about (cached, dropped in every process on publish), keep a person's progress,
// and submit — the submission, its delivery rows, their jobs and the outbox event in one
// transaction, so an accepted submission is never lost and never made twice.
import { randomUUID } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import { BadRequest, NotFound } from '../../kernel/errors.js';
import { randomToken, sha256 } from '../../kernel/crypto.js';
import { createCache } from '../../kernel/cache.js';
import { parseDefinition, type Definition } from './definition.js';
import { fee as feeOf, submittedAnswers, answersOnRoute, type Progress } from './engine.js';
import { store, type FormRow, type ProgressRow, type SubmissionRow } from './store.js';

export const DELIVERY_QUEUE = 'forms.deliver';
export const CHANGED_CHANNEL = 'forms_changed';
/** Progress is kept this long after the last request (the timeout warning says so). */
export const IDLE_SECONDS = 2 * 60 * 60;
export const RESUME_DAYS = 28;
/** A page view pushes the idle expiry back only once it is this much short of IDLE_SECONDS. */
export const TOUCH_SLACK_SECONDS = 5 * 60;

export interface LoadedForm {
  form: FormRow;
  version: number;
  def: Definition;
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function newReference(prefix = 'CS'): string {
  const bytes = randomToken(12);
  let s = '';
  for (let i = 0; i < 10; i++) s += ALPHABET[bytes.charCodeAt(i) % ALPHABET.length];
  return `${prefix}-${s.slice(0, 5)}-${s.slice(5)}`;
}

/** What a submission of this progress writes: its row, a delivery row per destination, their jobs. */
function submissionOf(def: Definition, p: ProgressRow, submissionId: string, lang: 'en' | 'cy') {
  const answers = submittedAnswers(def, p.data);
  const onRoute = answersOnRoute(def, p.data);
  const fee = feeOf(def, onRoute.answers);
  const submission: Omit<SubmissionRow, 'created_at'> = {
    id: submissionId,
    service_id: p.service_id,
    form_id: p.form_id,
    version: p.version,
    progress_id: p.id,
    reference: newReference(def.referencePrefix),
    language: lang,
    answers,
    fee: fee || null,
    payment_id: p.data.payment?.id ?? null,
    account_id: p.account_id,
    preview: p.preview,
  };
  const targets: Array<{ kind: 'webhook' | 'email' | 'api' | 'confirmation'; target: string }> = [];
  if (!p.preview) {
    for (const d of def.deliveries ?? [])
      targets.push(
        d.type === 'webhook'
          ? { kind: 'webhook', target: d.url }
          : d.type === 'email'
            ? { kind: 'email', target: d.to }
            : { kind: 'api', target: 'api' },
      );
  }
  const email = def.confirmation?.emailQuestion ? onRoute.answers[def.confirmation.emailQuestion] : undefined;
  const phone = def.confirmation?.phoneQuestion ? onRoute.answers[def.confirmation.phoneQuestion] : undefined;
  if (typeof email === 'string' && email) targets.push({ kind: 'confirmation', target: `email:${email}` });
  if (typeof phone === 'string' && phone) targets.push({ kind: 'confirmation', target: `sms:${phone}` });
  const rows = targets.map((t) => ({ id: randomUUID(), service_id: p.service_id, submission_id: submission.id, ...t }));
  const jobs = rows
    .filter((r) => r.kind !== 'api')
    .map((r) => ({
      name: DELIVERY_QUEUE,
      data: { deliveryId: r.id },
      options: { retryLimit: 12, retryDelay: 5, retryBackoff: true },
    }));
  return { submission, rows, jobs };
}

function submittedEvent(p: ProgressRow, submissionId: string) {
  return {
    stream: `forms.submission:${submissionId}`,
    type: 'forms.submission.created',
    payload: { service_id: p.service_id, form_id: p.form_id, version: p.version, key: p.key },
  };
}

export function createFormsService(k: Pick<Kernel, 'db' | 'events' | 'jobs' | 'log'>) {
  const { db } = k;
  const versions = createCache<LoadedForm | null>({ ttlMs: 60_000, max: 2000 });
  const bySlug = createCache<FormRow | null>({ ttlMs: 5_000, max: 2000 });
  let queueReady: Promise<void> | null = null;
  const ensureQueue = () => (queueReady ??= k.jobs.prepare(DELIVERY_QUEUE).catch((e) => ((queueReady = null), Promise.reject(e))));

  function forget() {
    bySlug.clear();
  }

  async function form(slug: string): Promise<FormRow | null> {
    return bySlug.wrap(slug, () => store.formBySlug(db, slug));
  }

  /** A version of a form (versions never change once written, so they are cached for long). */
  async function load(f: FormRow, version: number): Promise<LoadedForm | null> {
    return versions.wrap(`${f.id}|${version}`, async () => {
      const v = await store.version(db, f.id, version);
      return v ? { form: f, version, def: v.definition } : null;
    });
  }

  return {
    form,
    load,
    forget,
    ensureQueue,
    async live(slug: string): Promise<LoadedForm | null> {
      const f = await form(slug);
      return f?.live_version ? load(f, f.live_version) : null;
    },
    byService: (serviceId: string) => store.formByService(db, serviceId),
    list: () => store.listForms(db),
    versions: (formId: string) => store.versions(db, formId),
    version: (formId: string, v: number) => store.version(db, formId, v),

    /** Saves a definition as the form's next version (the draft); `live` also publishes it. */
    async save(
      service: { id: string; slug: string },
      input: unknown,
      opts: { by: string; source?: string; report?: string[]; live?: boolean },
    ): Promise<{ form: FormRow; version: number }> {
      const def = parseDefinition(input);
      const out = await db.transaction(async (tx) => {
        const created = await store.insertForm(tx, service.id, service.slug, randomToken(18));
        const f = await store.lockForm(tx, created.id);
        const version = (f.draft_version ?? 0) + 1;
        await store.insertVersion(tx, f.id, version, def, opts.source ?? 'cityscape', opts.report ?? [], opts.by);
        if (opts.live) await store.setLive(tx, f.id, version);
        await k.events.append(tx, {
          stream: `forms.form:${f.id}`,
          type: opts.live ? 'forms.form.published' : 'forms.form.saved',
          payload: { service_id: service.id, form_id: f.id, version },
        });
        await tx.query(`SELECT pg_notify('${CHANGED_CHANNEL}', $1)`, [service.slug]);
        return { form: { ...f, draft_version: version, live_version: opts.live ? version : f.live_version }, version };
      });
      forget();
      return out;
    },

    /** Makes a kept version live (or takes the form down with null). */
    async publish(formId: string, version: number | null, by: string): Promise<void> {
      await db.transaction(async (tx) => {
        const f = await store.lockForm(tx, formId);
        if (!f) throw new NotFound('No such form');
        if (version !== null && !(await store.version(tx, formId, version))) throw new BadRequest(`No version ${version}`);
        await store.setLive(tx, formId, version);
        await k.events.append(tx, {
          stream: `forms.form:${formId}`,
          type: version === null ? 'forms.form.withdrawn' : 'forms.form.published',
          payload: { service_id: f.service_id, form_id: formId, version, by },
        });
        await tx.query(`SELECT pg_notify('${CHANGED_CHANNEL}', $1)`, [f.slug]);
      });
      forget();
    },

    /** A new way through a form for a browser; returns the browser's token. */
    async start(
      f: LoadedForm,
      opts: { preview: boolean; accountId: string | null; lang: 'en' | 'cy' },
    ): Promise<{ token: string; progress: ProgressRow }> {
      const token = randomToken(24);
      const row = {
        id: randomUUID(),
        service_id: f.form.service_id,
        form_id: f.form.id,
        version: f.version,
        key: randomToken(12),
        preview: opts.preview,
        account_id: opts.accountId,
        data: { answers: {}, repeats: {}, done: [], sources: {}, declined: [], lang: opts.lang } as Progress,
      };
      await db.transaction(async (tx) => {
        await store.insertProgress(tx, { ...row, token_hash: sha256(token), idleSeconds: IDLE_SECONDS });
        if (!opts.preview)
          await k.events.append(tx, {
            stream: `forms.progress:${row.id}`,
            type: 'forms.started',
            payload: { service_id: row.service_id, form_id: row.form_id, version: row.version, key: row.key },
          });
      });
      return { token, progress: { ...row, expires_at: new Date(Date.now() + IDLE_SECONDS * 1000).toISOString(), submission_id: null } };
    },
    /**
     * The progress a browser's token names. Reading it writes nothing unless its idle expiry has
     * slipped more than TOUCH_SLACK_SECONDS: a page view is one SELECT, not an UPDATE.
     */
    async progress(token: string): Promise<ProgressRow | null> {
      const p = await store.progressByToken(db, sha256(token), IDLE_SECONDS, TOUCH_SLACK_SECONDS);
      if (!p) return null;
      const { stale, ...row } = p;
      if (stale) row.expires_at = await store.touchProgress(db, row.id, IDLE_SECONDS);
      return row;
    },
    saveProgress: (p: ProgressRow) => store.saveProgress(db, p.id, p.data, p.account_id, IDLE_SECONDS),

    /** "Save and come back later": a single-use link, valid for RESUME_DAYS. */
    async saveForLater(p: ProgressRow): Promise<string> {
      const token = randomToken(24);
      await store.setResume(db, p.id, sha256(token), RESUME_DAYS);
      return token;
    },
    async resume(resumeToken: string): Promise<{ token: string; progress: ProgressRow } | null> {
      const token = randomToken(24);
      const progress = await store.resume(db, sha256(resumeToken), sha256(token), IDLE_SECONDS);
      return progress ? { token, progress } : null;
    },

    /**
     * Submits a person's answers, once. In one transaction: the submission, its files, a
     * delivery row per destination, their jobs, the outbox event and the progress marked
     * submitted. A second call for the same progress returns the first submission.
     *
     * Given the progress as the request read it (`read`), the claim and every row but the jobs
     * go in one statement, on condition the progress is still unsubmitted and unchanged; if it
     * is not, the claim is made again on the progress as it now is (or the replay is answered).
     */
    async submit(
      f: LoadedForm,
      progressId: string,
      lang: 'en' | 'cy',
      read?: ProgressRow,
    ): Promise<{ submission: SubmissionRow; replayed: boolean }> {
      await ensureQueue();
      return db.transaction(async (tx) => {
        const submissionId = randomUUID();
        if (read && read.id === progressId && !read.submission_id) {
          const made = submissionOf(f.def, read, submissionId, lang);
          const event = read.preview ? null : submittedEvent(read, submissionId);
          if (await store.claimAndInsertSubmission(tx, read, made.submission, made.rows, event)) {
            if (made.jobs.length) await k.jobs.sendMany(made.jobs, { tx });
            return { submission: { ...made.submission, created_at: new Date().toISOString() }, replayed: false };
          }
        }
        // Claiming the progress locks it too: a concurrent or replayed send finds it claimed.
        const p = await store.claimProgress(tx, progressId, submissionId);
        if (!p) {
          const was = await store.lockProgress(tx, progressId);
          if (!was?.submission_id) throw new NotFound('No such form in progress');
          return { submission: (await store.submission(tx, was.submission_id))!, replayed: true };
        }
        const { submission, rows, jobs } = submissionOf(f.def, p, submissionId, lang);
        await store.insertSubmission(tx, submission, rows);
        if (jobs.length) await k.jobs.sendMany(jobs, { tx });
        if (!p.preview) await k.events.append(tx, submittedEvent(p, submissionId));
        return { submission: { ...submission, created_at: new Date().toISOString() }, replayed: false };
      });
    },
    submission: (id: string, serviceId?: string) => store.submission(db, id, serviceId),
    submissions: (serviceId: string, limit = 50, offset = 0) => store.submissions(db, serviceId, limit, offset),
    countSubmissions: (serviceId: string) => store.countSubmissions(db, serviceId),
    deliveriesOf: (submissionId: string) => store.deliveriesOf(db, submissionId),
    filesOf: (submissionId: string) => store.filesOf(db, submissionId),
    sweep: () => store.sweep(db),
  };
}
export type FormsService = ReturnType<typeof createFormsService>;
