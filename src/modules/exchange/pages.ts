// The citizen's view, /your-data (signed in through identity; English and Welsh; no
// JavaScript): every use of my data with who, why, on what basis and which facts, filters, a
// CSV download, each use's inclusion proof and a link to the service's accountability page,
// opting in to a message on each use, and objecting where the legal basis allows it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import { str, type FormBody } from '../../kernel/forms.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { DirectoryCache } from './directory.js';
import type { AccessLog } from './log.js';
import { csv, explain, proofFor, usesOf, type UseFilter } from './citizen.js';
import { store } from './store.js';

export interface CitizenIdentity {
  citizen(req: FastifyRequest): Promise<{ accountId: string; email: string; phone: string | null } | null>;
  signInPath(back: string): string;
}

const BANNERS = ['objected', 'withdrawn', 'alerts'] as const;

export function yourDataPages(
  app: FastifyInstance,
  k: Kernel,
  deps: {
    identity: CitizenIdentity;
    catalogue: CatalogueService;
    directory: DirectoryCache;
    log: AccessLog;
    /** Clears the person's objections from the exchange's cache in every process. */
    objectionsChanged(subject: string): Promise<void>;
  },
) {
  const { identity, directory } = deps;
  const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
  const render = (req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown>) =>
    renderPage(k.views, req, reply, `exchange/views/${view}.njk`, ctx);

  async function who(req: FastifyRequest, reply: FastifyReply) {
    const c = await identity.citizen(req);
    if (!c) {
      reply.redirect(identity.signInPath(req.url), 303);
      return null;
    }
    return c;
  }
  const filterOf = (req: FastifyRequest): UseFilter => {
    const q = req.query as Record<string, unknown>;
    const s = (n: string) => (typeof q[n] === 'string' ? (q[n] as string).slice(0, 200) : '');
    return {
      organisation: s('organisation') || undefined,
      service: s('service') || undefined,
      from: s('from') || undefined,
      to: s('to') || undefined,
    };
  };
  async function views(req: FastifyRequest, subject: string) {
    const d = await directory.get();
    const lang = requestLang(req);
    const uses = await usesOf(k.db, subject, filterOf(req));
    return { d, uses: await Promise.all(uses.map((u) => explain(d, deps.catalogue, u, lang, t(req)))) };
  }

  app.get('/your-data', async (req, reply) => {
    const c = await who(req, reply);
    if (!c) return reply;
    const tr = t(req);
    const { d, uses } = await views(req, c.accountId);
    const f = filterOf(req);
    const objections = await store.objections(k.db, c.accountId);
    const banner = (req.query as Record<string, unknown>).done;
    return render(req, reply, 'your-data', {
      title: tr('exchange.yourData.title'),
      uses,
      filter: f,
      csvHref: `/your-data/uses.csv${req.url.includes('?') ? req.url.slice(req.url.indexOf('?')).replace(/([?&])(lang|done)=[^&]*/g, '$1') : ''}`,
      organisations: [...d.members.values()].map((m) => ({ value: m.key, text: m.row.name, selected: f.organisation === m.key })),
      services: [...d.services.values()].map((s) => ({ value: s.key, text: s.row.title, selected: f.service === s.key })),
      alerts: await store.alerts(k.db, c.accountId),
      hasPhone: !!c.phone,
      objections: objections.map((o) => ({
        ...o,
        service: d.servicesById.get(o.service_id)?.row.title ?? o.service_id,
        clientName: d.subsystems.get(o.client)?.row.name ?? o.client,
      })),
      banner: typeof banner === 'string' && (BANNERS as readonly string[]).includes(banner) ? tr(`exchange.yourData.done.${banner}`) : null,
    });
  });

  app.get('/your-data/uses.csv', async (req, reply) => {
    const c = await who(req, reply);
    if (!c) return reply;
    const { uses } = await views(req, c.accountId);
    const rows = [
      [
        'time',
        'organisation',
        'client',
        'service_page',
        'data_service',
        'provider',
        'official',
        'reference',
        'purpose',
        'legal_basis',
        'citation',
        'attributes',
        'outcome',
        'x_road_id',
        'leaf_index',
        'leaf_hash',
      ],
      ...uses.map((u) => [
        u.at,
        u.organisation,
        u.entry.client,
        u.servicePage?.name ?? '',
        u.serviceTitle,
        u.provider,
        u.entry.user_id ?? '',
        u.entry.issue ?? '',
        u.purpose,
        u.basis.title,
        u.basis.citation ?? '',
        u.attributes.join('; '),
        u.entry.outcome,
        u.entry.x_road_id,
        String(u.index),
        u.leaf,
      ]),
    ];
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="uses-of-my-data.csv"')
      .send(csv(rows));
  });

  app.get('/your-data/uses/:index', async (req, reply) => {
    const c = await who(req, reply);
    if (!c) return reply;
    const index = Number((req.params as { index: string }).index);
    if (!Number.isSafeInteger(index) || index < 0) return reply.callNotFound();
    const { rows } = await k.db.query<{ leaf_index: number; leaf_hash: Buffer; entry: string }>(
      `SELECT leaf_index, leaf_hash, entry FROM exchange.log_entries WHERE leaf_index = $1 AND subject = $2 AND (visible_from IS NULL OR visible_from <= now())`,
      [index, c.accountId],
    );
    if (!rows[0]) return reply.callNotFound(); // someone else's use looks the same as none
    const d = await directory.get();
    const u = await explain(
      d,
      deps.catalogue,
      { index, leaf: Buffer.from(rows[0].leaf_hash).toString('base64'), entry: JSON.parse(rows[0].entry) },
      requestLang(req),
      t(req),
    );
    const proof = await proofFor(deps.log, index);
    return render(req, reply, 'your-data-use', { title: t(req)('exchange.yourData.useTitle'), u, proof, publicUrl: k.config.publicUrl });
  });

  app.post('/your-data/uses/:index/object', async (req, reply) => {
    const c = await who(req, reply);
    if (!c) return reply;
    const index = Number((req.params as { index: string }).index);
    const { rows } = await k.db.query<{ entry: string }>(`SELECT entry FROM exchange.log_entries WHERE leaf_index = $1 AND subject = $2`, [
      Number.isSafeInteger(index) ? index : -1,
      c.accountId,
    ]);
    if (!rows[0]) return reply.callNotFound();
    const d = await directory.get();
    const u = await explain(d, deps.catalogue, { index, leaf: '', entry: JSON.parse(rows[0].entry) }, requestLang(req), t(req));
    if (!u.objectable) return reply.redirect(`/your-data/uses/${index}`, 303);
    await store.object(
      k.db,
      c.accountId,
      u.entry.client,
      d.services.get(u.entry.service)!.row.id,
      str(req.body as FormBody, 'reason', 2000) || null,
    );
    await deps.objectionsChanged(c.accountId);
    return reply.redirect('/your-data?done=objected', 303);
  });

  app.post('/your-data/objections/withdraw', async (req, reply) => {
    const c = await who(req, reply);
    if (!c) return reply;
    const body = req.body as FormBody;
    await store.withdrawObjection(k.db, c.accountId, str(body, 'client', 400), str(body, 'service', 100));
    await deps.objectionsChanged(c.accountId);
    return reply.redirect('/your-data?done=withdrawn', 303);
  });

  app.post('/your-data/alerts', async (req, reply) => {
    const c = await who(req, reply);
    if (!c) return reply;
    const chosen = [(req.body as FormBody)?.alerts ?? []].flat();
    await store.setAlerts(k.db, c.accountId, { email: chosen.includes('email'), sms: chosen.includes('sms') && !!c.phone });
    return reply.redirect('/your-data?done=alerts', 303);
  });
}
