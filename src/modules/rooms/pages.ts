// The call's pages under /rooms: the invitation link (asks the guest's name, then uses the link
// once), the lobby, the call itself and the summary. Every action also works without
// JavaScript (forms, POST-redirect-GET); with it, /rooms/assets/room.js does the same over the
// WebSocket and adds audio, video and screen sharing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../../kernel/module.js';
import { HttpError, type FieldError } from '../../kernel/errors.js';
import { formErrors, list, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import { setGuestCookie, whoIs, guestCookie, staffOfRequest } from './access.js';
import { computeFigures, type PerformanceLike } from './figures.js';
import { presentView } from './present.js';
import { LinkRefused, MAX_CHAT, UUID, type RoomsService } from './service.js';
import type { ParticipantRow, RoomRow } from './store.js';
import { KPIS, PERIODS } from './view.js';

const STATIC = join(dirname(fileURLToPath(import.meta.url)), 'static');
const DONE = ['invited', 'admitted', 'refused', 'removed', 'role', 'view', 'decision', 'action', 'sent'] as const;

export function roomPages(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, rooms: RoomsService, perf: PerformanceLike) {
  const tr = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));

  for (const [file, type] of [
    ['room.js', 'text/javascript; charset=utf-8'],
    ['rooms.css', 'text/css; charset=utf-8'],
  ] as const) {
    app.get(`/rooms/assets/${file}`, (_req, reply) => reply.type(type).sendFile(file, STATIC, { maxAge: '1h' } as any));
  }

  function refusedPage(req: FastifyRequest, reply: FastifyReply, reason: LinkRefused['reason'] | 'not_invited') {
    const t = tr(req);
    return renderPage(
      k.views,
      req,
      reply.status(reason === 'forged' ? 404 : reason === 'not_invited' ? 403 : 410),
      'rooms/views/refused.njk',
      {
        title: t(`rooms.refused.${reason}.title`),
        text: t(`rooms.refused.${reason}.text`),
        signIn: reason === 'not_invited' ? `/admin/sign-in?next=${encodeURIComponent(req.url)}` : null,
      },
    );
  }

  // The invitation link. GET never uses it (mail scanners open links); the button does.
  app.get<{ Params: { token: string } }>('/rooms/join/:token', async (req, reply) => {
    const t = tr(req);
    try {
      const { invitation, room } = await rooms.lookupInvitation(req.params.token);
      reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      return renderPage(k.views, req, reply, 'rooms/views/join.njk', {
        title: t('rooms.join.title', { title: room.title }),
        room,
        name: invitation.name,
        values: {},
        errors: {},
      });
    } catch (err) {
      if (err instanceof LinkRefused) return refusedPage(req, reply, err.reason);
      throw err;
    }
  });
  app.post<{ Params: { token: string }; Body: FormBody }>('/rooms/join/:token', async (req, reply) => {
    const t = tr(req);
    const name = str(req.body, 'name', 200);
    if (!name || name.length > 100) {
      const lookup = await rooms.lookupInvitation(req.params.token).catch((err) => err);
      if (lookup instanceof LinkRefused) return refusedPage(req, reply, lookup.reason);
      if (lookup instanceof Error) throw lookup;
      const fields = [{ field: 'name', message: t(name ? 'rooms.join.errors.long' : 'rooms.join.errors.name') }];
      return renderPage(k.views, req, reply.status(400), 'rooms/views/join.njk', {
        title: t('rooms.join.title', { title: lookup.room.title }),
        room: lookup.room,
        name,
        ...formErrors(fields),
      });
    }
    try {
      const { room, secret } = await rooms.redeem(req.params.token, name);
      setGuestCookie(reply, room.id, secret, k.config.secureCookies);
      return reply.redirect(`/rooms/${room.id}`, 303);
    } catch (err) {
      if (err instanceof LinkRefused) return refusedPage(req, reply, err.reason);
      throw err;
    }
  });

  /** The room and who this request is in it; a page saying why not otherwise. */
  async function inRoom(req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    const r = await rooms.room(req.params.id);
    const me = await whoIs(k, catalogue, rooms, req, r);
    if (!me) {
      refusedPage(req, reply, 'not_invited');
      return null;
    }
    return { r, me };
  }

  async function callPage(
    req: FastifyRequest,
    reply: FastifyReply,
    r: RoomRow,
    me: ParticipantRow,
    form: { fields?: FieldError[]; values?: Record<string, string> } = {},
  ) {
    const t = tr(req);
    const lang = requestLang(req);
    if (r.status === 'ended') return reply.redirect(`/rooms/${r.id}/summary`, 303);
    if (me.state === 'waiting')
      return renderPage(k.views, req, reply, 'rooms/views/lobby.njk', { title: t('rooms.lobby.title', { title: r.title }), r, me });
    const services = (await Promise.all(r.service_ids.map((id) => catalogue.getServiceById(id)))).filter((s) => s !== null);
    const names = new Map(services.map((s) => [s.id, s.name]));
    const [people, chat, history, invitations, figures] = await Promise.all([
      rooms.participants(r.id),
      rooms.log(r.id, ['chat'], 100),
      rooms.log(r.id, ['view'], 10),
      me.role === 'host' ? rooms.invitations(r.id) : Promise.resolve([]),
      computeFigures(perf, r.view),
    ]);
    const done = (req.query as Record<string, unknown>).done;
    const presenter = me.role === 'host' || me.role === 'presenter';
    const e = formErrors(form.fields ?? []);
    const clientText = Object.fromEntries(
      Object.entries(k.views.messages[lang])
        .filter(([key]) => /^rooms\.(client|kpi|view|period|role|people)\./.test(key))
        .map(([key, v]) => [key.slice(6), v]),
    );
    return renderPage(k.views, req, reply.status(form.fields?.length ? 400 : 200), 'rooms/views/call.njk', {
      title: r.title,
      r,
      me,
      host: me.role === 'host',
      presenter,
      banner: typeof done === 'string' && (DONE as readonly string[]).includes(done) ? t(`rooms.done.${done}`) : null,
      shown: presentView(r.view, figures, names, lang, t),
      figuresAt: figures.at,
      view: r.view,
      services,
      people: people.filter((p) => p.state === 'admitted'),
      waiting: people.filter((p) => p.state === 'waiting'),
      chat,
      history: [...history].reverse(),
      invitations,
      kpis: KPIS.map((kpi) => ({ value: kpi, text: t(`rooms.kpi.${kpi}`) })),
      periods: PERIODS.map((p) => ({ value: p, text: t(`rooms.period.${p}`) })),
      values: form.values ?? {},
      maxChat: MAX_CHAT,
      clientData: JSON.stringify({
        room: r.id,
        me: me.id,
        role: me.role,
        lang,
        names: Object.fromEntries(names),
        text: clientText,
      }).replace(/</g, '\\u003c'),
      ...e,
    });
  }

  app.get<{ Params: { id: string } }>('/rooms/:id', async (req, reply) => {
    if (!UUID.test(req.params.id)) return refusedPage(req, reply, 'forged');
    const x = await inRoom(req, reply);
    if (!x) return reply;
    reply.header('cache-control', 'no-store');
    return callPage(req, reply, x.r, x.me);
  });

  /** A form on the call page: do it, then back to the page (or the page again with its errors). */
  function action(path: string, run: (body: FormBody, r: RoomRow, me: ParticipantRow, req: FastifyRequest<any>) => Promise<string>) {
    app.post<{ Params: { id: string; pid?: string }; Body: FormBody }>(`/rooms/:id${path}`, async (req, reply) => {
      if (!UUID.test(req.params.id)) return refusedPage(req, reply, 'forged');
      const x = await inRoom(req, reply);
      if (!x) return reply;
      if (x.me.state !== 'admitted') return reply.redirect(`/rooms/${x.r.id}`, 303);
      try {
        const done = await run(req.body ?? {}, x.r, x.me, req);
        return reply.redirect(
          done.startsWith('/') ? done : `/rooms/${x.r.id}?done=${done}#${done === 'view' ? 'shared-view' : 'main-content'}`,
          303,
        );
      } catch (err) {
        if (err instanceof HttpError && err.status === 400 && err.fields.length) {
          return callPage(req, reply, x.r, x.me, {
            fields: err.fields.map((f) => ({ ...f, message: fieldMessage(req, f) })),
            values: flat(req.body),
          });
        }
        throw err;
      }
    });
  }
  const flat = (b: FormBody | undefined) =>
    Object.fromEntries(Object.entries(b ?? {}).map(([k2, v]) => [k2, Array.isArray(v) ? v.join(',') : (v ?? '')]));
  const fieldMessage = (req: FastifyRequest, f: FieldError) => {
    const t = tr(req);
    const key = `rooms.errors.${f.field}`;
    const text = t(key);
    return text === key ? f.message : text;
  };

  action('/view', async (body, r, me) => {
    const services = list(body, 'services');
    const kpis = list(body, 'kpis');
    const hl = str(body, 'highlight', 100);
    const [hs, hk] = hl.includes('|') ? hl.split('|') : [null, null];
    await rooms.changeView(me, r.id, {
      services,
      kpis,
      period: str(body, 'period', 20),
      filters: { compare: str(body, 'compare') === 'yes' },
      highlight: hs && services.includes(hs) && kpis.includes(hk!) ? { service: hs, kpi: hk } : null,
    });
    return 'view';
  });
  action('/chat', async (body, r, me) => {
    await rooms.chat(me, r.id, str(body, 'message', MAX_CHAT + 10));
    return `/rooms/${r.id}#chat`;
  });
  action('/invitations', async (body, r, me) => {
    // An email address if one is given, otherwise a mobile number for a text message.
    const email = str(body, 'email', 200);
    const phone = str(body, 'phone', 200);
    const channel = email || !phone ? 'email' : 'sms';
    await rooms.invite(me, r.id, { name: str(body, 'name', 200), channel, recipient: channel === 'email' ? email : phone });
    return 'invited';
  });
  action('/people/:pid', async (body, r, me, req: FastifyRequest<{ Params: { id: string; pid: string } }>) => {
    const what = str(body, 'action', 20);
    if (what === 'presenter' || what === 'participant') {
      await rooms.setRole(me, r.id, req.params.pid, what);
      return 'role';
    }
    if (what !== 'admit' && what !== 'refuse' && what !== 'remove') throw new HttpError(400, 'bad_action', 'Choose what to do');
    await rooms.decide(me, r.id, req.params.pid, what);
    return what === 'admit' ? 'admitted' : what === 'refuse' ? 'refused' : 'removed';
  });
  action('/decisions', async (body, r, me) => {
    await rooms.recordDecision(me, r.id, {
      service: str(body, 'service', 200),
      decision: str(body, 'decision', 2000),
      reasoning: str(body, 'reasoning', 5000),
    });
    return 'decision';
  });
  action('/actions', async (body, r, me) => {
    await rooms.recordAction(me, r.id, {
      service: str(body, 'action-service', 200),
      title: str(body, 'action-title', 200),
      description: str(body, 'action-description', 5000),
      status: str(body, 'action-status', 10),
    });
    return 'action';
  });
  action('/end', async (_body, r, me) => {
    await rooms.end(me, r.id);
    return `/rooms/${r.id}/summary`;
  });

  // The summary: anyone who was in the call, and the staff who may host it.
  app.get<{ Params: { id: string } }>('/rooms/:id/summary', async (req, reply) => {
    if (!UUID.test(req.params.id)) return refusedPage(req, reply, 'forged');
    const r = await rooms.room(req.params.id);
    const actor = await staffOfRequest(k, catalogue, req);
    let allowed = actor ? await rooms.hosts(actor, r) : false;
    if (!allowed) {
      const secret = req.cookies[guestCookie(r.id)];
      const p = typeof secret === 'string' && secret.length >= 20 ? await rooms.guestBySecret(r.id, secret) : null;
      allowed = !!p?.joined_at;
    }
    if (!allowed) return refusedPage(req, reply, 'not_invited');
    const t = tr(req);
    const s = await rooms.summary(r.id);
    const names = new Map(s.services.map((x) => [x.id, x.name]));
    return renderPage(k.views, req, reply, 'rooms/views/summary.njk', {
      title: t('rooms.summary.title', { title: r.title }),
      ...s,
      host: actor ? await rooms.hosts(actor, r) : false,
      views: s.views.map((v) => ({
        ...v,
        text: describeView(v.detail.view, names, t),
      })),
    });
  });
}

function describeView(view: any, names: Map<string, string>, t: (k: string, p?: Record<string, string | number>) => string): string {
  if (!view) return '';
  const services = (view.services as string[]).map((id) => names.get(id) ?? id).join(', ');
  const kpis = (view.kpis as string[]).map((kpi) => t(`rooms.kpi.${kpi}`)).join(', ');
  const hl = view.highlight
    ? ` — ${t('rooms.view.highlighted')}: ${names.get(view.highlight.service) ?? ''} ${t(`rooms.kpi.${view.highlight.kpi}`)}`
    : '';
  return `${services}: ${kpis} (${t(`rooms.period.${view.period}`)}${view.filters?.compare ? `, ${t('rooms.view.compared')}` : ''})${hl}`;
}
