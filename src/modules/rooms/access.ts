// Who a request is in a room: a signed-in staff member who may host calls about the room's
// services (through the console's password sign-in or identity), or a guest whose browser holds
// the secret given when they used their invitation link. Everyone else is no one.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { RoomsService } from './service.js';
import type { ParticipantRow, RoomRow } from './store.js';

export const guestCookie = (roomId: string) => `cs_room_${roomId}`;

export async function staffOfRequest(k: Kernel, catalogue: CatalogueService, req: FastifyRequest) {
  let staffId: unknown;
  try {
    staffId = (await k.sessions.load(req))?.data.staffId;
  } catch {
    staffId = undefined; // an ended session: a guest's cookie may still speak for them
  }
  return typeof staffId === 'string' ? catalogue.staffActor(staffId) : null;
}

export async function whoIs(
  k: Kernel,
  catalogue: CatalogueService,
  rooms: RoomsService,
  req: FastifyRequest,
  r: RoomRow,
): Promise<ParticipantRow | null> {
  const actor = await staffOfRequest(k, catalogue, req);
  if (actor) {
    const p = await rooms.staffParticipant(actor, r);
    if (p) return p;
  }
  const secret = req.cookies[guestCookie(r.id)];
  if (typeof secret === 'string' && secret.length >= 20) {
    const p = await rooms.guestBySecret(r.id, secret);
    if (p && (p.state === 'admitted' || p.state === 'waiting')) return p;
  }
  return null;
}

export function setGuestCookie(reply: FastifyReply, roomId: string, secret: string, secure: boolean) {
  reply.setCookie(guestCookie(roomId), secret, { path: `/rooms/${roomId}`, httpOnly: true, sameSite: 'lax', secure, maxAge: 7 * 86400 });
}
