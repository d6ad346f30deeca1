// The SQL for the rooms schema: rooms, participants, invitations, the room's record (log) and
// the relay of large signalling messages. Returns plain typed rows.
import type { Queryable } from '../../kernel/db.js';
import type { SharedView } from './view.js';

export interface RoomRow {
  id: string;
  title: string;
  service_ids: string[];
  organisation_id: string | null;
  created_by: string;
  status: 'open' | 'ended';
  view: SharedView;
  view_version: number;
  created_at: string;
  ended_at: string | null;
  summary_sent_at: string | null;
}
export type Role = 'host' | 'presenter' | 'participant';
export type State = 'waiting' | 'admitted' | 'refused' | 'removed';
export interface ParticipantRow {
  id: string;
  room_id: string;
  kind: 'staff' | 'guest';
  staff_id: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  role: Role;
  state: State;
  joined_at: string | null;
  created_at: string;
}
export interface InvitationRow {
  id: string;
  room_id: string;
  name: string;
  channel: 'email' | 'sms';
  recipient: string;
  expires_at: string;
  redeemed_at: string | null;
  participant_id: string | null;
  notification_id: string | null;
  invited_by: string;
  created_at: string;
}
export interface LogRow {
  id: number;
  room_id: string;
  at: string;
  participant_id: string | null;
  actor_name: string;
  kind: string;
  detail: Record<string, any>;
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : (d as string | null));
const room = (r: any): RoomRow => ({
  ...r,
  service_ids: (r.service_ids ?? []).map(String),
  created_at: iso(r.created_at)!,
  ended_at: iso(r.ended_at),
  summary_sent_at: iso(r.summary_sent_at),
});
const participant = (r: any): ParticipantRow => {
  const { secret_hash: _s, ...rest } = r;
  return { ...rest, joined_at: iso(r.joined_at), created_at: iso(r.created_at)! };
};
const invitation = (r: any): InvitationRow => {
  const { token_hash: _t, ...rest } = r;
  return { ...rest, expires_at: iso(r.expires_at)!, redeemed_at: iso(r.redeemed_at), created_at: iso(r.created_at)! };
};
const log = (r: any): LogRow => ({ ...r, at: iso(r.at)! });

export const store = {
  async insertRoom(tx: Queryable, r: Omit<RoomRow, 'status' | 'view_version' | 'created_at' | 'ended_at' | 'summary_sent_at'>) {
    const { rows } = await tx.query(
      `INSERT INTO rooms.rooms (id, title, service_ids, organisation_id, created_by, view) VALUES ($1,$2,$3,$4,$5,$6) RETURNING *`,
      [r.id, r.title, r.service_ids, r.organisation_id, r.created_by, JSON.stringify(r.view)],
    );
    return room(rows[0]);
  },
  async room(tx: Queryable, id: string, lock = false): Promise<RoomRow | null> {
    const { rows } = await tx.query(`SELECT * FROM rooms.rooms WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? room(rows[0]) : null;
  },
  async rooms(tx: Queryable, limit = 100): Promise<RoomRow[]> {
    const { rows } = await tx.query(`SELECT * FROM rooms.rooms ORDER BY created_at DESC LIMIT $1`, [limit]);
    return rows.map(room);
  },
  async setView(tx: Queryable, id: string, view: SharedView): Promise<number> {
    const { rows } = await tx.query<{ view_version: number }>(
      `UPDATE rooms.rooms SET view = $2, view_version = view_version + 1 WHERE id = $1 RETURNING view_version`,
      [id, JSON.stringify(view)],
    );
    return rows[0].view_version;
  },
  async end(tx: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await tx.query(`UPDATE rooms.rooms SET status = 'ended', ended_at = now() WHERE id = $1 AND status = 'open'`, [
      id,
    ]);
    return rowCount > 0;
  },
  async markSummarySent(tx: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await tx.query(`UPDATE rooms.rooms SET summary_sent_at = now() WHERE id = $1 AND summary_sent_at IS NULL`, [id]);
    return rowCount > 0;
  },

  async insertParticipant(
    tx: Queryable,
    p: Pick<ParticipantRow, 'id' | 'room_id' | 'kind' | 'staff_id' | 'name' | 'email' | 'phone' | 'role' | 'state'> & {
      secret_hash: string | null;
    },
  ): Promise<ParticipantRow> {
    const { rows } = await tx.query(
      `INSERT INTO rooms.participants (id, room_id, kind, staff_id, name, email, phone, role, state, secret_hash)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
       ON CONFLICT (room_id, staff_id) WHERE staff_id IS NOT NULL DO UPDATE SET name = EXCLUDED.name RETURNING *`,
      [p.id, p.room_id, p.kind, p.staff_id, p.name, p.email, p.phone, p.role, p.state, p.secret_hash],
    );
    return participant(rows[0]);
  },
  async participant(tx: Queryable, roomId: string, id: string): Promise<ParticipantRow | null> {
    const { rows } = await tx.query(`SELECT * FROM rooms.participants WHERE room_id = $1 AND id = $2`, [roomId, id]);
    return rows[0] ? participant(rows[0]) : null;
  },
  async participantBySecret(tx: Queryable, roomId: string, secretHash: string): Promise<ParticipantRow | null> {
    const { rows } = await tx.query(`SELECT * FROM rooms.participants WHERE room_id = $1 AND secret_hash = $2`, [roomId, secretHash]);
    return rows[0] ? participant(rows[0]) : null;
  },
  async staffParticipant(tx: Queryable, roomId: string, staffId: string): Promise<ParticipantRow | null> {
    const { rows } = await tx.query(`SELECT * FROM rooms.participants WHERE room_id = $1 AND staff_id = $2`, [roomId, staffId]);
    return rows[0] ? participant(rows[0]) : null;
  },
  async participants(tx: Queryable, roomId: string): Promise<ParticipantRow[]> {
    const { rows } = await tx.query(`SELECT * FROM rooms.participants WHERE room_id = $1 ORDER BY created_at, id`, [roomId]);
    return rows.map(participant);
  },
  async setState(tx: Queryable, roomId: string, id: string, state: State, from: State[]): Promise<ParticipantRow | null> {
    const { rows } = await tx.query(
      `UPDATE rooms.participants SET state = $3 WHERE room_id = $1 AND id = $2 AND state = ANY($4) RETURNING *`,
      [roomId, id, state, from],
    );
    return rows[0] ? participant(rows[0]) : null;
  },
  async setRole(tx: Queryable, roomId: string, id: string, role: Role): Promise<ParticipantRow | null> {
    const { rows } = await tx.query(
      `UPDATE rooms.participants SET role = $3 WHERE room_id = $1 AND id = $2 AND kind = 'guest' AND state = 'admitted' RETURNING *`,
      [roomId, id, role],
    );
    return rows[0] ? participant(rows[0]) : null;
  },
  async markJoined(tx: Queryable, roomId: string, id: string): Promise<boolean> {
    const { rowCount } = await tx.query(
      `UPDATE rooms.participants SET joined_at = now() WHERE room_id = $1 AND id = $2 AND joined_at IS NULL`,
      [roomId, id],
    );
    return rowCount > 0;
  },

  async insertInvitation(
    tx: Queryable,
    i: Pick<InvitationRow, 'id' | 'room_id' | 'name' | 'channel' | 'recipient' | 'expires_at' | 'invited_by'> & { token_hash: string },
  ): Promise<InvitationRow> {
    const { rows } = await tx.query(
      `INSERT INTO rooms.invitations (id, room_id, name, channel, recipient, token_hash, expires_at, invited_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *`,
      [i.id, i.room_id, i.name, i.channel, i.recipient, i.token_hash, i.expires_at, i.invited_by],
    );
    return invitation(rows[0]);
  },
  async setNotification(tx: Queryable, id: string, notificationId: string) {
    await tx.query(`UPDATE rooms.invitations SET notification_id = $2 WHERE id = $1`, [id, notificationId]);
  },
  async invitationByToken(tx: Queryable, tokenHash: string, lock = false): Promise<InvitationRow | null> {
    const { rows } = await tx.query(`SELECT * FROM rooms.invitations WHERE token_hash = $1${lock ? ' FOR UPDATE' : ''}`, [tokenHash]);
    return rows[0] ? invitation(rows[0]) : null;
  },
  async redeem(tx: Queryable, id: string, participantId: string): Promise<boolean> {
    const { rowCount } = await tx.query(
      `UPDATE rooms.invitations SET redeemed_at = now(), participant_id = $2 WHERE id = $1 AND redeemed_at IS NULL AND expires_at > now()`,
      [id, participantId],
    );
    return rowCount > 0;
  },
  async invitations(tx: Queryable, roomId: string): Promise<InvitationRow[]> {
    const { rows } = await tx.query(`SELECT * FROM rooms.invitations WHERE room_id = $1 ORDER BY created_at, id`, [roomId]);
    return rows.map(invitation);
  },

  async addLog(tx: Queryable, e: Omit<LogRow, 'id' | 'at'>): Promise<LogRow> {
    const { rows } = await tx.query(
      `INSERT INTO rooms.log (room_id, participant_id, actor_name, kind, detail) VALUES ($1,$2,$3,$4,$5) RETURNING *`,
      [e.room_id, e.participant_id, e.actor_name, e.kind, JSON.stringify(e.detail)],
    );
    return log(rows[0]);
  },
  async log(tx: Queryable, roomId: string, kinds?: string[], limit = 1000): Promise<LogRow[]> {
    const { rows } = await tx.query(
      `SELECT * FROM (SELECT * FROM rooms.log WHERE room_id = $1 ${kinds ? 'AND kind = ANY($3)' : ''} ORDER BY id DESC LIMIT $2) l ORDER BY id`,
      kinds ? [roomId, limit, kinds] : [roomId, limit],
    );
    return rows.map(log);
  },

  async putRelay(tx: Queryable, roomId: string, body: string): Promise<number> {
    const { rows } = await tx.query<{ id: number }>(`INSERT INTO rooms.relay (room_id, body) VALUES ($1, $2) RETURNING id`, [roomId, body]);
    return rows[0].id;
  },
  async relay(tx: Queryable, id: number): Promise<string | null> {
    const { rows } = await tx.query<{ body: string }>(`SELECT body FROM rooms.relay WHERE id = $1`, [id]);
    return rows[0]?.body ?? null;
  },
  async pruneRelay(tx: Queryable) {
    await tx.query(`DELETE FROM rooms.relay WHERE at < now() - interval '2 minutes'`);
  },
};
