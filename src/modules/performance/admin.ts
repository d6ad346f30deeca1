// The staff console at /admin/performance/{slug}: enter the figures only the team holds (phone,
// paper and face-to-face volumes, cost — written as Backdrop records, the same as the API),
// publish or hide data sets, set alerts, and annotate the charts. A staff member sees only the
// services they may manage. Forms are POST-redirect-GET with the GOV.UK error summary.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { NotFound, type FieldError } from '../../kernel/errors.js';
import { formErrors, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Service } from '../catalogue/schema.js';
import { datasets, cleanRecord } from './backdrop-records.js';
import { COST_TYPE, CHANNEL_TYPE } from './team-figures.js';
import { notifyChanged } from './ingest.js';
import { staffStore } from './staff-store.js';
import { ALERT_KPIS, RATE_KPIS } from './alerts.js';
import { manageable, staffOf, staffOnly, visibleServices } from './staff.js';
import { UUID } from './measure.js';

const DONE = ['figures-saved', 'alert-added', 'alert-deleted', 'note-added', 'note-deleted', 'data-set-updated'] as const;
const CHANNELS = [
  ['phone', 'phone'],
  ['paper', 'paper'],
  ['face', 'face-to-face'],
] as const;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const PHONE = /^\+?[0-9 ()-]{10,20}$/;

type T = ReturnType<typeof translator>;

/** A real date from GOV.UK day/month/year inputs, with Welsh or English messages. */
function dateField(body: FormBody, name: string, t: T): { value: string | null; error?: FieldError } {
  const [d, m, y] = ['day', 'month', 'year'].map((p) => str(body, `${name}-${p}`, 10));
  if (!d && !m && !y) return { value: null, error: { field: `${name}-day`, message: t('performance.console.errors.dateMissing') } };
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  const ok =
    /^\d{1,2}$/.test(d) &&
    /^\d{1,2}$/.test(m) &&
    /^\d{4}$/.test(y) &&
    date.getUTCDate() === Number(d) &&
    date.getUTCMonth() === Number(m) - 1;
  return ok
    ? { value: date.toISOString().slice(0, 10) }
    : { value: null, error: { field: `${name}-day`, message: t('performance.console.errors.dateReal') } };
}

export function performanceConsole(app: FastifyInstance, k: Kernel, catalogue: CatalogueService) {
  const { db } = k;
  const tr = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));

  async function page(
    req: FastifyRequest,
    reply: FastifyReply,
    s: Service,
    form: { values?: Record<string, string>; fields?: FieldError[] } = {},
  ) {
    const t = tr(req);
    const done = (req.query as Record<string, unknown>).done;
    const [sets, alerts, notes] = await Promise.all([
      datasets.forService(db, s.id),
      staffStore.alerts(db, s.id),
      staffStore.annotations(db, s.id),
    ]);
    const rate = (kpi: string) => RATE_KPIS.has(kpi);
    return renderPage(k.views, req, reply.status(form.fields?.length ? 400 : 200), 'performance/views/console-service.njk', {
      title: t('performance.console.serviceTitle', { service: s.name }),
      s,
      base: `/admin/performance/${encodeURIComponent(s.slug)}`,
      banner: typeof done === 'string' && (DONE as readonly string[]).includes(done) ? t(`performance.console.done.${done}`) : null,
      sets,
      alerts: alerts.map((a) => ({
        ...a,
        kpiName: t(`performance.kpi.${a.kpi}`),
        ruleText: t(`performance.console.alerts.ruleText.${a.rule}`, {
          threshold: rate(a.kpi) && a.rule !== 'change' ? `${Math.round(a.threshold * 1000) / 10}%` : String(a.threshold),
        }),
      })),
      notes,
      kpiItems: ALERT_KPIS.map((kpi) => ({ value: kpi, text: t(`performance.kpi.${kpi}`), selected: form.values?.['alert-kpi'] === kpi })),
      values: form.values ?? {},
      ...formErrors(form.fields ?? []),
    });
  }

  /** A number typed into a form (£ and thousands commas allowed): null when blank, NaN when not a number we take. */
  const num = (raw: string, max: number, decimals: number) => {
    if (raw === '') return null;
    const clean = raw.replace(/[£,\s]/g, '');
    const re = decimals ? new RegExp(`^\\d{1,13}(\\.\\d{1,${decimals}})?$`) : /^\d{1,13}$/;
    return re.test(clean) && Number(clean) <= max ? Number(clean) : NaN;
  };

  staffOnly(app, k, catalogue, (admin) => {
    admin.get('/admin/performance', async (req, reply) => {
      const services = await visibleServices(catalogue, staffOf(req));
      return renderPage(k.views, req, reply, 'performance/views/console-home.njk', {
        title: tr(req)('performance.console.title'),
        services,
      });
    });

    admin.get('/admin/performance/:slug', async (req, reply) =>
      page(req, reply, await manageable(catalogue, staffOf(req), (req.params as { slug: string }).slug)),
    );

    admin.post('/admin/performance/:slug/figures', async (req, reply) => {
      const actor = staffOf(req);
      const s = await manageable(catalogue, actor, (req.params as { slug: string }).slug);
      const t = tr(req);
      const body = (req.body ?? {}) as FormBody;
      const names = ['fig-date-day', 'fig-date-month', 'fig-date-year', 'fig-period', 'fig-phone', 'fig-paper', 'fig-face', 'fig-cost'];
      const values = Object.fromEntries(names.map((n) => [n, str(body, n, 40)]));
      const fields: FieldError[] = [];
      const date = dateField(body, 'fig-date', t);
      if (date.error) fields.push(date.error);
      const period = values['fig-period'];
      if (period !== 'week' && period !== 'month') fields.push({ field: 'fig-period', message: t('performance.console.errors.period') });
      const counts = CHANNELS.map(([field, channel]) => ({ field: `fig-${field}`, channel, n: num(values[`fig-${field}`], 1e9, 0) }));
      for (const c of counts) if (Number.isNaN(c.n)) fields.push({ field: c.field, message: t('performance.console.errors.count') });
      const cost = num(values['fig-cost'], 1e12, 2);
      if (Number.isNaN(cost)) fields.push({ field: 'fig-cost', message: t('performance.console.errors.cost') });
      if (!fields.length && cost === null && counts.every((c) => c.n === null))
        fields.push({ field: 'fig-phone', message: t('performance.console.errors.nothing') });
      if (fields.length) return page(req, reply, s, { values, fields });
      const ts = `${date.value}T00:00:00+00:00`;
      await db.transaction(async (tx) => {
        const channelRecords = counts
          .filter((c) => c.n !== null)
          .map((c) =>
            cleanRecord({ _id: `console-${period}-${date.value}-${c.channel}`, _timestamp: ts, period, channel: c.channel, count: c.n }, 0),
          );
        if (channelRecords.length) await datasets.upsert(tx, await datasets.ensure(tx, s.id, s.slug, CHANNEL_TYPE), channelRecords);
        if (cost !== null)
          await datasets.upsert(tx, await datasets.ensure(tx, s.id, s.slug, COST_TYPE), [
            cleanRecord({ _id: `console-${period}-${date.value}-cost`, _timestamp: ts, period, cost }, 0),
          ]);
        await notifyChanged(tx, new Set([s.id]));
      });
      return reply.redirect(`/admin/performance/${encodeURIComponent(s.slug)}?done=figures-saved`, 303);
    });

    admin.post('/admin/performance/:slug/data-sets/:id', async (req, reply) => {
      const s = await manageable(catalogue, staffOf(req), (req.params as { slug: string }).slug);
      const { id } = req.params as { id: string };
      const pub = str((req.body ?? {}) as FormBody, 'public', 10) === 'true';
      if (!UUID.test(id) || !(await datasets.setPublic(db, s.id, id, pub))) throw new NotFound();
      return reply.redirect(`/admin/performance/${encodeURIComponent(s.slug)}?done=data-set-updated#data-sets`, 303);
    });

    admin.post('/admin/performance/:slug/alerts', async (req, reply) => {
      const actor = staffOf(req);
      const s = await manageable(catalogue, actor, (req.params as { slug: string }).slug);
      const t = tr(req);
      const body = (req.body ?? {}) as FormBody;
      const values = Object.fromEntries(
        ['alert-kpi', 'alert-rule', 'alert-threshold', 'alert-channel', 'alert-recipient'].map((n) => [n, str(body, n, 320)]),
      );
      const fields: FieldError[] = [];
      const kpi = values['alert-kpi'];
      const rule = values['alert-rule'];
      const channel = values['alert-channel'];
      const recipient = values['alert-recipient'];
      if (!(ALERT_KPIS as readonly string[]).includes(kpi))
        fields.push({ field: 'alert-kpi', message: t('performance.console.errors.kpi') });
      if (!['below', 'above', 'change'].includes(rule)) fields.push({ field: 'alert-rule', message: t('performance.console.errors.rule') });
      const threshold = num(values['alert-threshold'], 1e9, 2);
      const asRate = RATE_KPIS.has(kpi) && rule !== 'change';
      if (threshold === null || Number.isNaN(threshold) || (asRate && threshold > 100))
        fields.push({
          field: 'alert-threshold',
          message: t(asRate ? 'performance.console.errors.thresholdRate' : 'performance.console.errors.threshold'),
        });
      if (channel !== 'email' && channel !== 'sms')
        fields.push({ field: 'alert-channel', message: t('performance.console.errors.channel') });
      else if (channel === 'email' ? !EMAIL.test(recipient) : !PHONE.test(recipient))
        fields.push({ field: 'alert-recipient', message: t(`performance.console.errors.recipient.${channel}`) });
      if (fields.length) return page(req, reply, s, { values, fields });
      await staffStore.addAlert(db, {
        service_id: s.id,
        kpi,
        rule: rule as 'below',
        threshold: asRate ? threshold! / 100 : threshold!,
        channel: channel as 'email',
        recipient,
        created_by: actor.email,
      });
      return reply.redirect(`/admin/performance/${encodeURIComponent(s.slug)}?done=alert-added#alerts`, 303);
    });

    admin.post('/admin/performance/:slug/notes', async (req, reply) => {
      const actor = staffOf(req);
      const s = await manageable(catalogue, actor, (req.params as { slug: string }).slug);
      const t = tr(req);
      const body = (req.body ?? {}) as FormBody;
      const values = Object.fromEntries(
        ['note-date-day', 'note-date-month', 'note-date-year', 'note-text', 'note-link'].map((n) => [n, str(body, n, 2000)]),
      );
      const fields: FieldError[] = [];
      const date = dateField(body, 'note-date', t);
      if (date.error) fields.push(date.error);
      if (!values['note-text']) fields.push({ field: 'note-text', message: t('performance.console.errors.noteText') });
      else if (values['note-text'].length > 500) fields.push({ field: 'note-text', message: t('performance.console.errors.noteTooLong') });
      const link = values['note-link'];
      if (link && (!/^(https?:\/\/\S+|\/\S*)$/i.test(link) || link.length > 1000))
        fields.push({ field: 'note-link', message: t('performance.console.errors.link') });
      if (fields.length) return page(req, reply, s, { values, fields });
      await staffStore.addAnnotation(db, {
        service_id: s.id,
        on_date: date.value!,
        text: values['note-text'].replace(/\u0000/g, ''),
        link: link || null,
        created_by: actor.email,
      });
      return reply.redirect(`/admin/performance/${encodeURIComponent(s.slug)}?done=note-added#notes`, 303);
    });

    for (const [what, remove, done] of [
      ['alerts', staffStore.deleteAlert, 'alert-deleted'],
      ['notes', staffStore.deleteAnnotation, 'note-deleted'],
    ] as const) {
      admin.post(`/admin/performance/:slug/${what}/:id/delete`, async (req, reply) => {
        const s = await manageable(catalogue, staffOf(req), (req.params as { slug: string }).slug);
        const { id } = req.params as { id: string };
        if (!UUID.test(id) || !(await remove(db, s.id, id))) throw new NotFound();
        return reply.redirect(`/admin/performance/${encodeURIComponent(s.slug)}?done=${done}#${what}`, 303);
      });
    }
  });
}
