// Rooms' use cases: create a room for services, invite by email or text (a link that works once
// and expires), admit from the lobby, change the shared view, chat, record outcomes on the
// services' decision logs and roadmaps, end the call. Rules only: no HTTP. Everything that
// changes a room is written, logged and announced (NOTIFY) in one transaction.
import { randomUUID } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import { BadRequest, Forbidden, HttpError, NotFound } from '../../kernel/errors.js';
import { randomToken, sha256 } from '../../kernel/crypto.js';
import type { CatalogueService, Actor } from '../catalogue/index.js';
import type { NotifyService } from '../notify/index.js';
import { store, type ParticipantRow, type Role, type RoomRow } from './store.js';
import type { Hub } from './hub.js';
import { checkView, defaultView, viewChanges } from './view.js';
import { computeFigures, type PerformanceLike } from './figures.js';
import { createNotices } from './notices.js';

export type Staff = Actor & { kind: 'staff' };
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const PHONE = /^\+?[0-9 ()-]{10,20}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_CHAT = 2000;

export class RoomNotFound extends NotFound {
  constructor() {
    super('There is no such room', 'room_not_found');
  }
}
/** Why an invitation link does not work (each has its own page). */
export class LinkRefused extends HttpError {
  constructor(public reason: 'forged' | 'expired' | 'used' | 'ended') {
    super(
      reason === 'forged' ? 404 : 410,
      `link_${reason}`,
      `This invitation link ${reason === 'forged' ? 'is not valid' : `has ${reason}`}`,
    );
  }
}

export const publicParticipant = (p: ParticipantRow) => ({ id: p.id, name: p.name, role: p.role, kind: p.kind, state: p.state });
export type PublicParticipant = ReturnType<typeof publicParticipant>;

export interface RoomsDeps extends Kernel {
  catalogue: CatalogueService;
  notify: NotifyService;
  performance: PerformanceLike;
  hub: Hub;
}

export function createRoomsService(deps: RoomsDeps) {
  const { db, catalogue, hub, events, config } = deps;
  const inviteHours = config.rooms?.inviteHours ?? 72;
  const notices = createNotices(deps);
  const roomUrl = (id: string) => `${config.publicUrl}/rooms/${id}`;

  async function room(id: string): Promise<RoomRow> {
    const r = UUID.test(id) ? await store.room(db, id) : null;
    if (!r) throw new RoomNotFound();
    return r;
  }
  /** May this staff member host calls about this room's services? (Any one of them is enough.) */
  async function hosts(actor: Actor, r: RoomRow): Promise<boolean> {
    for (const id of r.service_ids) {
      const s = await catalogue.getServiceById(id);
      if (s && catalogue.canManage(actor, s.organisation.id, 'service')) return true;
    }
    return false;
  }
  function requireHost(p: ParticipantRow) {
    if (p.role !== 'host' || p.state !== 'admitted') throw new Forbidden('Only a host can do this', 'not_host');
  }
  function requireOpen(r: RoomRow) {
    if (r.status !== 'open') throw new HttpError(409, 'room_ended', 'This call has ended');
  }
  async function log(tx: Parameters<typeof store.addLog>[0], r: RoomRow, p: ParticipantRow | null, kind: string, detail: object) {
    return store.addLog(tx, { room_id: r.id, participant_id: p?.id ?? null, actor_name: p?.name ?? 'Cityscape', kind, detail });
  }

  return {
    room,
    hosts,
    roomUrl,
    participants: (id: string) => store.participants(db, id),
    invitations: (id: string) => store.invitations(db, id),
    log: (id: string, kinds?: string[], limit?: number) => store.log(db, id, kinds, limit),
    /** Rooms about services this staff member may manage, newest first. */
    async list(actor: Actor): Promise<RoomRow[]> {
      const out: RoomRow[] = [];
      for (const r of await store.rooms(db, 200)) if (await hosts(actor, r)) out.push(r);
      return out;
    },

    async create(actor: Actor, input: { title: string; services: string[] }): Promise<RoomRow> {
      const title = input.title.trim();
      const fields: { field: string; message: string }[] = [];
      if (!title) fields.push({ field: 'title', message: 'Enter a title for the call' });
      else if (title.length > 120) fields.push({ field: 'title', message: 'The title must be 120 characters or fewer' });
      const services: Awaited<ReturnType<CatalogueService['getService']>>[] = [];
      for (const slug of [...new Set(input.services)]) {
        const s = await catalogue.getService(slug).catch(() => null);
        if (!s) fields.push({ field: 'services', message: `There is no service called "${slug}"` });
        else if (!catalogue.canManage(actor, s.organisation.id, 'service'))
          throw new Forbidden(`You cannot host calls about ${s.name}`, 'service_not_yours');
        else services.push(s);
      }
      if (!input.services.length) fields.push({ field: 'services', message: 'Choose at least one service' });
      if (services.length > 6) fields.push({ field: 'services', message: 'Choose 6 services or fewer' });
      if (fields.length) throw new BadRequest(fields[0].message, fields);
      const ids = services.map((s) => s.id);
      return db.transaction(async (tx) => {
        const r = await store.insertRoom(tx, {
          id: randomUUID(),
          title,
          service_ids: ids,
          organisation_id: services[0].organisation.id,
          created_by: actor.kind === 'staff' ? actor.id : actor.kind,
          view: defaultView(ids),
        });
        await store.addLog(tx, {
          room_id: r.id,
          participant_id: null,
          actor_name: actor.kind === 'staff' ? actor.email : 'cityscape (command line)',
          kind: 'created',
          detail: { title, services: services.map((s) => s.slug) },
        });
        await events.append(tx, {
          stream: `rooms.room:${r.id}`,
          type: 'rooms.room.created',
          payload: { room_id: r.id, service_ids: ids },
        });
        return r;
      });
    },

    /** Invite someone by email or text message; the link goes through Notify as the room's first service. */
    async invite(p: ParticipantRow, roomId: string, input: { name: string; channel: string; recipient: string }) {
      requireHost(p);
      const r = await room(roomId);
      requireOpen(r);
      const name = input.name.trim();
      const recipient = input.recipient.trim();
      const fields: { field: string; message: string }[] = [];
      if (!name) fields.push({ field: 'name', message: 'Enter the name of the person you are inviting' });
      else if (name.length > 100) fields.push({ field: 'name', message: 'The name must be 100 characters or fewer' });
      if (input.channel !== 'email' && input.channel !== 'sms') fields.push({ field: 'channel', message: 'Choose email or text message' });
      else if (input.channel === 'email' && !EMAIL.test(recipient))
        fields.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.com' });
      else if (input.channel === 'sms' && !PHONE.test(recipient))
        fields.push({ field: 'phone', message: 'Enter a mobile phone number, like 07700 900 982' });
      if (fields.length) throw new BadRequest(fields[0].message, fields);
      const token = randomToken(32);
      const inv = await db.transaction(async (tx) => {
        const i = await store.insertInvitation(tx, {
          id: randomUUID(),
          room_id: r.id,
          name,
          channel: input.channel as 'email' | 'sms',
          recipient,
          token_hash: sha256(token),
          expires_at: new Date(Date.now() + inviteHours * 3600_000).toISOString(),
          invited_by: p.name,
        });
        await log(tx, r, p, 'invite', { name, channel: input.channel });
        return i;
      });
      const link = `${config.publicUrl}/rooms/join/${token}`;
      const sent = await notices.invitation(r, inv, link, p.name);
      if (sent) await store.setNotification(db, inv.id, sent);
      return { invitation: inv, link };
    },

    /** What an invitation link leads to, without using it (the page that asks for the guest's name). */
    async lookupInvitation(token: string) {
      const inv = /^[A-Za-z0-9_-]{20,100}$/.test(token) ? await store.invitationByToken(db, sha256(token)) : null;
      if (!inv) throw new LinkRefused('forged');
      if (inv.redeemed_at) throw new LinkRefused('used');
      if (new Date(inv.expires_at).getTime() <= Date.now()) throw new LinkRefused('expired');
      const r = await room(inv.room_id);
      if (r.status !== 'open') throw new LinkRefused('ended');
      return { invitation: inv, room: r };
    },

    /** Use an invitation link (once): a guest waiting in the lobby, and the secret their browser keeps. */
    async redeem(token: string, name: string): Promise<{ room: RoomRow; participant: ParticipantRow; secret: string }> {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw new LinkRefused('forged');
      const shown = name.trim().slice(0, 100);
      const secret = randomToken(32);
      return db.transaction(async (tx) => {
        const inv = await store.invitationByToken(tx, sha256(token), true);
        if (!inv) throw new LinkRefused('forged');
        if (inv.redeemed_at) throw new LinkRefused('used');
        if (new Date(inv.expires_at).getTime() <= Date.now()) throw new LinkRefused('expired');
        const r = (await store.room(tx, inv.room_id))!;
        if (r.status !== 'open') throw new LinkRefused('ended');
        const participant = await store.insertParticipant(tx, {
          id: randomUUID(),
          room_id: r.id,
          kind: 'guest',
          staff_id: null,
          name: shown || inv.name,
          email: inv.channel === 'email' ? inv.recipient : null,
          phone: inv.channel === 'sms' ? inv.recipient : null,
          role: 'participant',
          state: 'waiting',
          secret_hash: sha256(secret),
        });
        if (!(await store.redeem(tx, inv.id, participant.id))) throw new LinkRefused('used');
        await log(tx, r, participant, 'arrived', { invitation: inv.id });
        await hub.publish(tx, { room: r.id, msg: { t: 'waiting', p: publicParticipant(participant) } });
        return { room: r, participant, secret };
      });
    },

    /** The participant a signed-in staff member is in this room (created on first arrival), or null if they may not host it. */
    async staffParticipant(actor: Staff, r: RoomRow): Promise<ParticipantRow | null> {
      const existing = await store.staffParticipant(db, r.id, actor.id);
      if (existing) return existing.state === 'admitted' ? existing : null;
      if (!(await hosts(actor, r))) return null;
      return store.insertParticipant(db, {
        id: randomUUID(),
        room_id: r.id,
        kind: 'staff',
        staff_id: actor.id,
        name: actor.email,
        email: actor.email,
        phone: null,
        role: 'host',
        state: 'admitted',
        secret_hash: null,
      });
    },
    guestBySecret: (roomId: string, secret: string) => store.participantBySecret(db, roomId, sha256(secret)),
    participant: (roomId: string, id: string) => (UUID.test(id) ? store.participant(db, roomId, id) : Promise.resolve(null)),

    /** First connection to the call: an attendee from now on. */
    async joined(r: RoomRow, p: ParticipantRow) {
      await db.transaction(async (tx) => {
        if (await store.markJoined(tx, r.id, p.id)) await log(tx, r, p, 'join', {});
      });
    },

    /** A host lets a waiting guest in, refuses them, or removes someone from the call. */
    async decide(host: ParticipantRow, roomId: string, targetId: string, action: 'admit' | 'refuse' | 'remove') {
      requireHost(host);
      const r = await room(roomId);
      requireOpen(r);
      if (!UUID.test(targetId)) throw new NotFound('There is no such participant', 'participant_not_found');
      if (targetId === host.id) throw new BadRequest('You cannot remove yourself; leave the call instead', [], 'self');
      return db.transaction(async (tx) => {
        const [to, from] =
          action === 'admit'
            ? (['admitted', ['waiting']] as const)
            : action === 'refuse'
              ? (['refused', ['waiting']] as const)
              : (['removed', ['waiting', 'admitted']] as const);
        const p = await store.setState(tx, r.id, targetId, to, [...from]);
        if (!p) throw new HttpError(409, 'participant_state', 'That person is not waiting or in the call');
        await log(tx, r, host, action, { participant: p.id, name: p.name });
        if (action === 'admit') {
          await hub.publish(tx, { room: r.id, to: p.id, msg: { t: 'admitted', p: publicParticipant(p) } });
          await hub.publish(tx, { room: r.id, except: p.id, msg: { t: 'admitted', p: publicParticipant(p) } });
        } else {
          await hub.publish(tx, {
            room: r.id,
            msg: { t: 'removed', id: p.id },
            kick: { participant: p.id, code: 4403, reason: action === 'refuse' ? 'refused' : 'removed' },
          });
        }
        return p;
      });
    },

    async setRole(host: ParticipantRow, roomId: string, targetId: string, role: Role) {
      requireHost(host);
      if (role !== 'presenter' && role !== 'participant') throw new BadRequest('Choose presenter or participant', [], 'role');
      const r = await room(roomId);
      requireOpen(r);
      return db.transaction(async (tx) => {
        const p = UUID.test(targetId) ? await store.setRole(tx, r.id, targetId, role) : null;
        if (!p) throw new NotFound('There is no such guest in the call', 'participant_not_found');
        await log(tx, r, host, 'role', { participant: p.id, name: p.name, role });
        await hub.publish(tx, { room: r.id, msg: { t: 'role', id: p.id, role } });
        return p;
      });
    },

    /** The presenter changes the shared view; everyone's follows (with the figures for it). */
    async changeView(p: ParticipantRow, roomId: string, input: unknown) {
      if (p.state !== 'admitted' || (p.role !== 'host' && p.role !== 'presenter'))
        throw new Forbidden('Only the presenter can change the view', 'not_presenter');
      const r0 = await room(roomId);
      requireOpen(r0);
      const checked = checkView(input, r0.service_ids);
      if (!checked.ok)
        throw new BadRequest(
          `The view is not valid (${checked.problem})`,
          [{ field: checked.field, message: checked.problem }],
          'bad_view',
        );
      const figures = await computeFigures(deps.performance, checked.view);
      return db.transaction(async (tx) => {
        const r = (await store.room(tx, roomId, true))!;
        const changes = viewChanges(r.view, checked.view);
        const version = await store.setView(tx, r.id, checked.view);
        const entry = await log(tx, r, p, 'view', { changes, view: checked.view });
        await hub.publish(tx, {
          room: r.id,
          msg: { t: 'view', view: checked.view, version, by: { id: p.id, name: p.name }, at: entry.at, changes, figures },
        });
        return { view: checked.view, version };
      });
    },

    async chat(p: ParticipantRow, roomId: string, text: string) {
      const body = text.trim();
      if (!body) throw new BadRequest('Enter a message', [{ field: 'message', message: 'Enter a message' }], 'empty');
      if (body.length > MAX_CHAT)
        throw new BadRequest(`A message must be ${MAX_CHAT} characters or fewer`, [{ field: 'message', message: 'too long' }], 'too_long');
      const r = await room(roomId);
      requireOpen(r);
      return db.transaction(async (tx) => {
        const e = await log(tx, r, p, 'chat', { text: body });
        await hub.publish(tx, { room: r.id, msg: { t: 'chat', id: e.id, from: p.id, name: p.name, text: body, at: e.at } });
        return e;
      });
    },

    /** The host records a decision on a service's decision log, with the room as evidence. */
    async recordDecision(host: ParticipantRow, roomId: string, input: { service: string; decision: string; reasoning: string }) {
      requireHost(host);
      const r = await room(roomId);
      const s = await outcomeService(r, input.service);
      const actor = await hostActor(host);
      const decision = input.decision.trim();
      if (!decision) throw new BadRequest('Enter the decision', [{ field: 'decision', message: 'Enter the decision' }], 'decision');
      // The decision, the room's log entry and the broadcast commit together, or none of them.
      return db.transaction(async (tx) => {
        const row = await catalogue.addDecision(
          actor,
          s.slug,
          {
            decided_on: new Date().toISOString().slice(0, 10),
            decision: decision.slice(0, 2000),
            reasoning: `${input.reasoning.trim()}`.slice(0, 5000) || undefined,
            decided_by: `${host.name} (call: ${r.title})`.slice(0, 200),
            evidence_url: `${roomUrl(r.id)}/summary`,
          },
          tx,
        );
        await log(tx, r, host, 'decision', { service: s.slug, serviceName: s.name, decision, reasoning: input.reasoning.trim() });
        await hub.publish(tx, { room: r.id, msg: { t: 'outcome', kind: 'decision', service: s.name, text: decision, by: host.name } });
        return row;
      });
    },

    /** The host adds an action to a service's roadmap, with the room as evidence. */
    async recordAction(
      host: ParticipantRow,
      roomId: string,
      input: { service: string; title: string; description: string; status: string },
    ) {
      requireHost(host);
      const r = await room(roomId);
      const s = await outcomeService(r, input.service);
      const actor = await hostActor(host);
      const title = input.title.trim();
      if (!title) throw new BadRequest('Enter the action', [{ field: 'action-title', message: 'Enter the action' }], 'action');
      const status = (['now', 'next', 'later'] as const).find((x) => x === input.status) ?? 'next';
      const description = [input.description.trim(), `Agreed on a call: ${roomUrl(r.id)}/summary`].filter(Boolean).join('\n\n');
      // The roadmap item, the room's log entry and the broadcast commit together, or none of them.
      return db.transaction(async (tx) => {
        const row = await catalogue.saveRoadmapItem(actor, s.slug, null, { status, title: title.slice(0, 200), description }, tx);
        await log(tx, r, host, 'action', { service: s.slug, serviceName: s.name, title, status });
        await hub.publish(tx, { room: r.id, msg: { t: 'outcome', kind: 'action', service: s.name, text: title, by: host.name } });
        return row;
      });
    },

    /** End the call for everyone; the summary goes to the attendees. */
    async end(host: ParticipantRow, roomId: string) {
      requireHost(host);
      const r = await room(roomId);
      const ended = await db.transaction(async (tx) => {
        if (!(await store.end(tx, r.id))) return false;
        await log(tx, r, host, 'end', {});
        await events.append(tx, {
          stream: `rooms.room:${r.id}`,
          type: 'rooms.room.ended',
          payload: { room_id: r.id, service_ids: r.service_ids },
        });
        await hub.publish(tx, { room: r.id, msg: { t: 'ended' }, kick: { participant: '*', code: 4000, reason: 'ended' } });
        return true;
      });
      if (ended) await this.sendSummary(r.id);
      return ended;
    },

    /** Attendees, the views shown, chat and outcomes. */
    async summary(roomId: string) {
      const r = await room(roomId);
      const [people, entries] = await Promise.all([store.participants(db, r.id), store.log(db, r.id, undefined, 5000)]);
      const services = (await Promise.all(r.service_ids.map((id) => catalogue.getServiceById(id)))).filter((s) => s !== null);
      return {
        room: r,
        services,
        attendees: people.filter((p) => p.joined_at),
        views: entries.filter((e) => e.kind === 'view'),
        chat: entries.filter((e) => e.kind === 'chat'),
        decisions: entries.filter((e) => e.kind === 'decision'),
        actions: entries.filter((e) => e.kind === 'action'),
      };
    },

    /** Send the summary to each attendee with an email address (once per room). */
    async sendSummary(roomId: string): Promise<number> {
      const s = await this.summary(roomId);
      if (!(await store.markSummarySent(db, roomId))) return 0;
      return notices.summary(s, `${roomUrl(roomId)}/summary`);
    },
  };

  async function outcomeService(r: RoomRow, slug: string) {
    const s = await catalogue.getService(slug).catch(() => null);
    if (!s || !r.service_ids.includes(s.id))
      throw new BadRequest(
        'Choose one of the call’s services',
        [{ field: 'service', message: 'Choose one of the call’s services' }],
        'service',
      );
    return s;
  }
  async function hostActor(host: ParticipantRow): Promise<Actor> {
    const actor = host.staff_id ? await catalogue.staffActor(host.staff_id) : null;
    if (!actor) throw new Forbidden('Only a signed-in host can record outcomes', 'not_host');
    return actor;
  }
}
export type RoomsService = ReturnType<typeof createRoomsService>;
