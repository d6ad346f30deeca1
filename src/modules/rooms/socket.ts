// The call's WebSocket at /rooms/{id}/ws: signalling for WebRTC (offers, answers, ICE
// candidates, relayed to one participant), the shared view, pointer, chat, hands, media state and
// the host's admissions. Refused before the upgrade (plain HTTP status) for anyone who is not in
// the room or comes from another site; closed for messages over MAX_MESSAGE bytes (1009), floods
// (4429) and when removed (4403). Everything goes out through the hub (LISTEN/NOTIFY), so
// participants on different processes share the room.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { randomUUID } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import { HttpError } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import { whoIs } from './access.js';
import { computeFigures, type createFigureWatch, type PerformanceLike } from './figures.js';
import type { Conn, Hub } from './hub.js';
import { iceServers } from './ice.js';
import { MESH_LIMIT, type SfuAdapter } from './sfu.js';
import { publicParticipant, UUID, type RoomsService } from './service.js';
import type { ParticipantRow, RoomRow } from './store.js';
import type { SharedView } from './view.js';

export const MAX_MESSAGE = 64 * 1024;
/** Messages a socket may send in a second before it is closed (a flood, not a call). */
const BURST = 200;
const HEARTBEAT_MS = 20_000;

const json = (x: unknown) => JSON.stringify(x);

export async function roomSocket(
  app: FastifyInstance,
  deps: {
    k: Kernel;
    catalogue: CatalogueService;
    rooms: RoomsService;
    hub: Hub;
    perf: PerformanceLike;
    figures: ReturnType<typeof createFigureWatch>;
    sfu?: SfuAdapter;
  },
) {
  const { k, catalogue, rooms, hub, perf, figures } = deps;
  await app.register(websocket, { options: { maxPayload: MAX_MESSAGE } });

  hub.onEnvelope((e) => {
    if (e.msg?.t === 'view') figures.changed(e.room, e.msg.view as SharedView);
  });

  const allowedOrigin = (req: FastifyRequest) => {
    const origin = req.headers.origin;
    if (!origin) return false; // browsers always send one on a WebSocket
    if (origin === new URL(k.config.publicUrl).origin) return true;
    return origin === `${req.protocol}://${req.headers.host}`;
  };

  app.get<{ Params: { id: string } }>(
    '/rooms/:id/ws',
    {
      websocket: true,
      preValidation: async (req, reply) => {
        if (!allowedOrigin(req)) return reply.code(403).send({ error: 'origin_not_allowed' });
        if (!UUID.test(req.params.id)) return reply.code(404).send({ error: 'room_not_found' });
        const r = await rooms.room(req.params.id).catch(() => null);
        if (!r) return reply.code(404).send({ error: 'room_not_found' });
        if (r.status !== 'open') return reply.code(410).send({ error: 'room_ended' });
        const me = await whoIs(k, catalogue, rooms, req, r);
        if (!me) return reply.code(403).send({ error: 'not_invited' });
        const instance = (req.query as Record<string, unknown>).instance;
        (req as any).roomCtx = { r, me, instance: typeof instance === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(instance) ? instance : null };
      },
    },
    (socket, req) => {
      const { r, me, instance } = (req as any).roomCtx as { r: RoomRow; me: ParticipantRow; instance: string | null };
      void connection(socket, r, me, instance);
    },
  );

  /** `instance`: the page's own id, so peers can tell a reconnect (keep the media) from a reload (start again). */
  async function connection(socket: WebSocket, r: RoomRow, me: ParticipantRow, instance: string | null) {
    const cid = randomUUID();
    const lobby = me.state !== 'admitted';
    const queue: string[] = [];
    let welcomed = false;
    let replaced = false;
    const conn: Conn & { cid: string } = {
      cid,
      room: r.id,
      participant: me.id,
      lobby,
      send(text) {
        if (!welcomed) queue.push(text);
        else if (socket.readyState === socket.OPEN) socket.send(text);
      },
      close(code, reason) {
        if (reason === 'replaced') replaced = true;
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
      },
    };
    hub.add(conn);
    let alive = true;
    const beat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, HEARTBEAT_MS);
    beat.unref();
    socket.on('pong', () => (alive = true));
    socket.on('close', () => {
      clearInterval(beat);
      if (hub.remove(conn)) figures.unwatch(r.id);
      if (!lobby && !replaced) hub.publish(null, { room: r.id, except: me.id, msg: { t: 'left', id: me.id, cid } }).catch(() => {});
    });

    let window = Date.now();
    let count = 0;
    socket.on('message', (data, isBinary) => {
      if (Date.now() - window > 1000) {
        window = Date.now();
        count = 0;
      }
      if (++count > BURST) return socket.close(4429, 'too many messages');
      if (isBinary) return void socket.send(json({ t: 'error', code: 'binary', message: 'Send JSON text messages' }));
      let m: any;
      try {
        m = JSON.parse(data.toString());
      } catch {
        return void socket.send(json({ t: 'error', code: 'not_json', message: 'Messages are JSON objects' }));
      }
      handle(m).catch((err) => {
        const e = err instanceof HttpError ? err : null;
        if (!e) k.log.error({ err, room: r.id }, 'rooms: a message failed');
        if (socket.readyState === socket.OPEN)
          socket.send(json({ t: 'error', code: e?.code ?? 'server_error', message: e?.message ?? 'Something went wrong', ref: m?.ref }));
      });
    });

    async function handle(m: any) {
      if (!m || typeof m !== 'object' || typeof m.t !== 'string') throw new HttpError(400, 'bad_message', 'A message needs a type (t)');
      if (m.t === 'ping') return socket.send(json({ t: 'pong', ref: m.ref }));
      if (lobby) throw new HttpError(403, 'in_lobby', 'Wait for a host to let you in');
      const fresh = (await rooms.participant(r.id, me.id)) ?? me;
      if (fresh.state !== 'admitted') return socket.close(4403, 'removed');
      switch (m.t) {
        case 'signal':
          if (typeof m.to !== 'string' || !UUID.test(m.to) || !m.data || typeof m.data !== 'object')
            throw new HttpError(400, 'bad_signal', 'A signal needs a participant (to) and data');
          return hub.publish(null, { room: r.id, to: m.to, msg: { t: 'signal', from: me.id, cid, data: m.data } });
        case 'view':
          await rooms.changeView(fresh, r.id, m.view);
          return;
        case 'pointer': {
          const target =
            m.target && typeof m.target === 'object'
              ? { service: String(m.target.service).slice(0, 40), kpi: String(m.target.kpi).slice(0, 40) }
              : null;
          return hub.publish(null, { room: r.id, msg: { t: 'pointer', from: me.id, name: fresh.name, target } });
        }
        case 'chat':
          await rooms.chat(fresh, r.id, typeof m.text === 'string' ? m.text : '');
          return;
        case 'hand':
          return hub.publish(null, { room: r.id, msg: { t: 'hand', from: me.id, name: fresh.name, up: m.up === true } });
        case 'media':
          return hub.publish(null, {
            room: r.id,
            except: me.id,
            msg: { t: 'media', from: me.id, audio: m.audio === true, video: m.video === true, screen: m.screen === true },
          });
        case 'admit':
        case 'refuse':
        case 'remove':
          await rooms.decide(fresh, r.id, String(m.id), m.t);
          return;
        case 'role':
          await rooms.setRole(fresh, r.id, String(m.id), m.role);
          return;
        case 'end':
          await rooms.end(fresh, r.id);
          return;
        default:
          throw new HttpError(400, 'unknown_type', `Unknown message type "${String(m.t).slice(0, 20)}"`);
      }
    }

    try {
      if (lobby) {
        socket.send(json({ t: 'lobby', me: publicParticipant(me), room: { id: r.id, title: r.title } }));
      } else {
        // Everyone else learns of the arrival; replace this participant's older sockets (a reconnect after a blip).
        await hub.publish(null, { room: r.id, kick: { participant: me.id, code: 4409, reason: 'replaced', keep: cid } });
        await hub.publish(null, { room: r.id, except: me.id, msg: { t: 'joined', p: publicParticipant(me), cid, instance } });
        await rooms.joined(r, me);
        const current = (await rooms.room(r.id)) ?? r;
        const [people, chat, history, figs] = await Promise.all([
          rooms.participants(r.id),
          rooms.log(r.id, ['chat'], 100),
          rooms.log(r.id, ['view'], 20),
          computeFigures(perf, current.view),
        ]);
        figures.watch(r.id, current.view, (f) => hub.deliverLocal({ room: r.id, msg: { t: 'figures', figures: f } }));
        const admitted = people.filter((p) => p.state === 'admitted');
        socket.send(
          json({
            t: 'welcome',
            cid,
            me: publicParticipant(me),
            room: { id: current.id, title: current.title, status: current.status, services: current.service_ids },
            view: current.view,
            version: current.view_version,
            figures: figs,
            participants: admitted.map(publicParticipant),
            waiting: me.role === 'host' ? people.filter((p) => p.state === 'waiting').map(publicParticipant) : [],
            chat: chat.map((c) => ({ id: c.id, from: c.participant_id, name: c.actor_name, text: c.detail.text, at: c.at })),
            history: history.map((h) => ({ at: h.at, name: h.actor_name, changes: h.detail.changes })),
            ice: iceServers(k.config.rooms, me.id),
            mesh: admitted.length <= MESH_LIMIT ? 'mesh' : (deps.sfu?.kind ?? 'mesh'),
            sfu:
              deps.sfu && admitted.length > MESH_LIMIT
                ? await deps.sfu.join({ roomId: r.id, participantId: me.id, name: me.name, canPublish: true })
                : null,
          }),
        );
      }
    } catch (err) {
      k.log.error({ err, room: r.id }, 'rooms: joining failed');
      socket.close(1011, 'server error');
      return;
    }
    welcomed = true;
    for (const text of queue.splice(0)) if (socket.readyState === socket.OPEN) socket.send(text);
  }
}
