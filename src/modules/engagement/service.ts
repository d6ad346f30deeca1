// Consultation use cases and their rules: open one on a roadmap item or a proposed decision,
// take part (support or oppose options, comment, reply, report), moderate with reasons and
// appeals, and answer with "you said, we did". Each change is written with its outbox event
// (and, for staff, an audit entry) in one transaction; then caches here and in other
// processes (NOTIFY) are cleared. No HTTP here.
import { createHash } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import { BadRequest, Conflict, Forbidden, HttpError, NotFound, type FieldError } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { store, type ConsultationRow } from './store.js';
import { flagsOf, normalised, redactPersonalData, type Flag } from './text.js';
import type { ConsultationInput } from './schema.js';

export const CHANGED_CHANNEL = 'cityscape_engagement';
export const COMMENT_MAX = 2000;
/** Comments a person may post in one consultation per hour (anonymous people share this with no one: they are keyed by browser). */
export const COMMENTS_PER_HOUR = 10;

/** Who is taking part: an identity account, a staff member, or an anonymous browser. */
export interface Who {
  person: string; // 'acct:<id>' | 'staff:<id>' | 'anon:<sha256 of a browser token>'
  email: string | null;
}

export type Status = 'upcoming' | 'open' | 'closed';
export const today = (now = new Date()) => now.toISOString().slice(0, 10);
export function statusOf(c: Pick<ConsultationRow, 'opens_on' | 'closes_on'>, now = new Date()): Status {
  const d = today(now);
  return d < c.opens_on ? 'upcoming' : d > c.closes_on ? 'closed' : 'open';
}

export class ConsultationNotFound extends NotFound {
  constructor() {
    super('No such consultation', 'consultation_not_found');
  }
}
export class NotOpen extends HttpError {
  constructor() {
    super(409, 'consultation_not_open', 'This consultation is not open');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);
export const hashText = (s: string) => createHash('sha256').update(normalised(s)).digest('hex');
const welsh = (v: string | null | undefined) => (v && v.trim() ? v.trim() : null);
/** A postcode or the start of one, as compared: upper case, no spaces. */
/**
 * A postcode, sector or district as an area lists it: upper case, one space between the outward
 * and inward parts ("NT1 1AA", sector "NT1 1", district "NT1"). A whole postcode typed without
 * its space gets it back (the inward code is always the last three characters); a sector needs
 * its space, since "NT11" is a district.
 */
export const postcodeKey = (s: string) => {
  const k = s.toUpperCase().trim().replace(/\s+/g, ' ');
  return /^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/.test(k) ? `${k.slice(0, -3)} ${k.slice(-3)}` : k;
};

/** How an actor is named in the trail (as the catalogue names them). */
export const actorName = (a: Actor) => (a.kind === 'staff' ? `staff:${a.email}` : a.kind === 'apikey' ? `apikey:${a.id}` : 'cli');

export type CommentOutcome = { ok: true; id: string } | { ok: false; warnings: Flag[] };

export function createEngagementService(k: Kernel, catalogue: CatalogueService) {
  const { db, events, audit } = k;
  const listeners: Array<() => void> = [];
  const changed = () => {
    for (const l of listeners) l();
  };
  void db.listen(CHANGED_CHANNEL, changed).catch((err) => k.log.warn({ err }, 'engagement change notifications unavailable'));

  /** A change with its event (and audit entry for staff) in one transaction, then caches cleared everywhere. */
  async function change<T>(
    what: {
      type: string;
      c: Pick<ConsultationRow, 'id' | 'service_id' | 'organisation_id'>;
      /** The event's payload, or a function of what `fn` returned (an id made inside the transaction). */
      payload?: Record<string, unknown> | ((out: T) => Record<string, unknown>);
      actor?: Actor;
    },
    fn: (tx: Queryable) => Promise<T>,
  ): Promise<T> {
    const result = await db.transaction(async (tx) => {
      const out = await fn(tx);
      const payload = typeof what.payload === 'function' ? what.payload(out) : what.payload;
      await events.append(tx, {
        stream: `engagement.consultation:${what.c.id}`,
        type: `engagement.${what.type}`,
        payload: { consultation_id: what.c.id, service_id: what.c.service_id, ...payload },
      });
      if (what.actor)
        await audit.record(tx, {
          actor: actorName(what.actor),
          action: `engagement.${what.type}`,
          subject: `engagement.consultation:${what.c.id}`,
          organisationId: what.c.organisation_id,
          after: (payload ?? null) as unknown,
        });
      await tx.query(`SELECT pg_notify('${CHANGED_CHANNEL}', '')`);
      return out;
    });
    changed();
    return result;
  }

  async function get(id: string): Promise<ConsultationRow> {
    const c = isUuid(id) ? await store.consultation(db, id) : null;
    if (!c) throw new ConsultationNotFound();
    return c;
  }

  async function manageable(actor: Actor, c: ConsultationRow) {
    if (!catalogue.canManage(actor, c.organisation_id, 'service')) throw new Forbidden();
  }

  async function openFor(c: ConsultationRow) {
    if (statusOf(c) !== 'open') throw new NotOpen();
  }

  return {
    get,
    statusOf,
    onChange(l: () => void) {
      listeners.push(l);
    },
    list: (f: { serviceIds?: string[]; limit?: number } = {}) => store.consultations(db, f),
    options: (id: string) => store.options(db, id),
    comments: (id: string) => store.comments(db, id),
    counts: (id: string) => store.counts(db, id),
    moderation: (id: string) => store.moderation(db, id),
    participants: (id: string) => store.participants(db, id),
    participant: (id: string, who: Who) => store.participantByPerson(db, id, who.person),
    manageable,

    async create(actor: Actor, serviceSlug: string, input: ConsultationInput, opts: { importedFrom?: string } = {}) {
      const s = await catalogue.getService(serviceSlug);
      if (!catalogue.canManage(actor, s.organisation.id, 'service')) throw new Forbidden();
      const fields: FieldError[] = [];
      let roadmapItemId: string | null = null;
      if (input.subject === 'roadmap') {
        const item = input.roadmap_item_id ? await catalogue.getRoadmapItem(s.id, input.roadmap_item_id) : null;
        if (!item) fields.push({ field: 'roadmap_item_id', message: "Choose one of the service's roadmap items" });
        else roadmapItemId = item.id;
      }
      const proposal = (input.proposal ?? '').trim();
      if (input.subject === 'proposal' && !proposal) fields.push({ field: 'proposal', message: 'Enter the proposed decision' });
      const postcodes = [...new Set((input.area_postcodes ?? []).map(postcodeKey).filter(Boolean))];
      if (input.eligibility === 'residents') {
        if (!postcodes.length) fields.push({ field: 'area_postcodes', message: 'Enter the postcodes or postcode districts of the area' });
        if (postcodes.some((p) => !/^[A-Z]{1,2}\d[A-Z\d]?( \d([A-Z]{2})?)?$/.test(p)))
          fields.push({
            field: 'area_postcodes',
            message: 'Enter postcodes, sectors or postcode districts, like CF10, CF10 1 or CF10 1AA',
          });
        if (!(input.area_name ?? '').trim()) fields.push({ field: 'area_name', message: 'Enter the name of the area' });
      }
      let staffOrg: string | null = null;
      if (input.eligibility === 'staff') {
        const slug = input.staff_organisation_slug ?? s.organisation.slug;
        const o = await catalogue.getOrganisation(slug).catch(() => null);
        if (!o) fields.push({ field: 'staff_organisation_slug', message: 'Choose an organisation' });
        else staffOrg = o.id;
      }
      if (input.allow_anonymous && input.eligibility !== 'anyone')
        fields.push({ field: 'allow_anonymous', message: 'Only a consultation open to anyone can take part without signing in' });
      if (input.closes_on < input.opens_on)
        fields.push({ field: 'closes_on', message: 'The closing date must be on or after the opening date' });
      const mode = (input.mode ?? 'consultation') as 'consultation' | 'conversation';
      const options = (input.options ?? []).map((o) => ({ label: o.label.trim(), label_cy: welsh(o.label_cy) })).filter((o) => o.label);
      if (mode === 'consultation' && options.length === 1) fields.push({ field: 'options', message: 'Give at least two options, or none' });
      if (fields.length) throw new BadRequest(fields[0].message, fields, 'invalid_consultation');
      const row = {
        service_id: s.id,
        organisation_id: s.organisation.id,
        mode,
        subject: input.subject,
        roadmap_item_id: roadmapItemId,
        proposal,
        title: input.title.trim(),
        title_cy: welsh(input.title_cy),
        question: input.question.trim(),
        question_cy: welsh(input.question_cy),
        background: (input.background ?? '').trim(),
        background_cy: welsh(input.background_cy),
        eligibility: input.eligibility,
        area_name: (input.area_name ?? '').trim(),
        area_postcodes: postcodes,
        staff_organisation_id: staffOrg,
        allow_anonymous: Boolean(input.allow_anonymous),
        opens_on: input.opens_on,
        closes_on: input.closes_on,
        promised_kpis: input.promised_kpis ?? [],
        created_by: actorName(actor),
        imported_from: opts.importedFrom ?? null,
      };
      let created: ConsultationRow | null = null;
      await db.transaction(async (tx) => {
        created = await store.insertConsultation(tx, row);
        if (mode === 'consultation') await store.insertOptions(tx, created, options);
        await events.append(tx, {
          stream: `engagement.consultation:${created.id}`,
          type: 'engagement.consultation.opened',
          payload: { consultation_id: created.id, service_id: s.id, mode },
        });
        await audit.record(tx, {
          actor: actorName(actor),
          action: 'engagement.consultation.create',
          subject: `engagement.consultation:${created.id}`,
          organisationId: s.organisation.id,
          after: { ...row, options },
        });
        await tx.query(`SELECT pg_notify('${CHANGED_CHANNEL}', '')`);
      });
      changed();
      return created!;
    },

    /** Support or oppose an option (null withdraws); one stance per person per option. */
    async vote(id: string, who: Who, optionId: string, stance: 'support' | 'oppose' | null) {
      const c = await get(id);
      await openFor(c);
      const options = await store.options(db, c.id);
      if (!options.some((o) => o.id === optionId)) throw new NotFound('No such option', 'option_not_found');
      await change({ type: 'option.voted', c, payload: { option_id: optionId, stance } }, async (tx) => {
        const p = await store.ensureParticipant(tx, c, who.person);
        await store.setVote(tx, { optionId, participantId: p.id, consultationId: c.id, serviceId: c.service_id, stance });
      });
    },

    /**
     * A comment or reply. Personal data and strong language are warnings the writer must
     * confirm (then flagged for moderators); the same text twice from one person is refused.
     */
    async comment(id: string, who: Who, input: { body: string; parentId?: string | null; confirmed?: boolean }): Promise<CommentOutcome> {
      const c = await get(id);
      await openFor(c);
      const body = input.body.replace(/\r\n?/g, '\n').trim();
      if (!body) throw new BadRequest('Enter your comment', [{ field: 'body', message: 'Enter your comment' }]);
      if (body.length > COMMENT_MAX)
        throw new BadRequest(`Comments must be ${COMMENT_MAX} characters or fewer`, [
          { field: 'body', message: `Your comment must be ${COMMENT_MAX} characters or fewer` },
        ]);
      let parentId: string | null = null;
      if (input.parentId) {
        const parent = isUuid(input.parentId) ? await store.comment(db, c.id, input.parentId) : null;
        if (!parent) throw new NotFound('No such comment to reply to', 'comment_not_found');
        parentId = parent.id;
      }
      const flags: string[] = flagsOf(body);
      if (flags.length && !input.confirmed) return { ok: false, warnings: flags as Flag[] };
      const hash = hashText(body);
      const existing = await store.participantByPerson(db, c.id, who.person);
      const same = await store.sameText(db, c.id, hash);
      if (existing && same.some((x) => x.participant_id === existing.id))
        throw new BadRequest(
          'You have already posted this comment',
          [{ field: 'body', message: 'You have already posted this comment' }],
          'duplicate',
        );
      if (same.length) flags.push('duplicate');
      if (existing && (await store.recentByParticipant(db, existing.id, 3600_000)) >= COMMENTS_PER_HOUR)
        throw new HttpError(429, 'too_many_comments', 'You have posted a lot of comments in the last hour. Try again later.');
      const commentId = await change({ type: 'comment.posted', c, payload: { flags, reply: Boolean(parentId) } }, async (tx) => {
        const p = await store.ensureParticipant(tx, c, who.person);
        return store.insertComment(tx, { consultationId: c.id, serviceId: c.service_id, participantId: p.id, parentId, body, hash, flags });
      });
      return { ok: true, id: commentId };
    },

    /** Anyone may report a comment to the moderators (counted; never hides it by itself). */
    async report(id: string, commentId: string, reason: string) {
      const c = await get(id);
      const comment = isUuid(commentId) ? await store.comment(db, c.id, commentId) : null;
      if (!comment) throw new NotFound('No such comment', 'comment_not_found');
      await change({ type: 'comment.reported', c, payload: { comment_id: comment.id } }, async (tx) => {
        await store.updateComment(tx, comment.id, { reportsDelta: 1 });
        await store.recordModeration(tx, {
          consultationId: c.id,
          serviceId: c.service_id,
          target: `comment:${comment.id}`,
          action: 'reported',
          reason: reason.slice(0, 500),
          actor: 'public',
        });
      });
    },

    /** Hide (with a reason shown in its place), restore, or redact personal data from a comment. */
    async moderate(actor: Actor, id: string, commentId: string, action: 'hide' | 'restore' | 'redact', reason: string) {
      const c = await get(id);
      await manageable(actor, c);
      const comment = isUuid(commentId) ? await store.comment(db, c.id, commentId) : null;
      if (!comment) throw new NotFound('No such comment', 'comment_not_found');
      const why = reason.trim();
      if (!why) throw new BadRequest('Give a reason', [{ field: 'reason', message: 'Enter the reason for this decision' }]);
      const patch =
        action === 'hide'
          ? { status: 'hidden' as const, hidden_reason: why }
          : action === 'restore'
            ? { status: 'published' as const, hidden_reason: null }
            : {
                body: redactPersonalData(comment.body) === comment.body ? '[redacted by a moderator]' : redactPersonalData(comment.body),
                redacted: true,
              };
      await change({ type: `comment.${action}`, c, payload: { comment_id: comment.id, reason: why }, actor }, async (tx) => {
        await store.updateComment(tx, comment.id, patch);
        await store.recordModeration(tx, {
          consultationId: c.id,
          serviceId: c.service_id,
          target: `comment:${comment.id}`,
          action,
          reason: why,
          actor: actorName(actor),
        });
      });
    },

    /** The writer of a hidden comment asks for it to be looked at again. */
    async appeal(id: string, commentId: string, who: Who, text: string) {
      const c = await get(id);
      const comment = isUuid(commentId) ? await store.comment(db, c.id, commentId) : null;
      if (!comment || comment.person !== who.person) throw new NotFound('No such comment of yours', 'comment_not_found');
      if (comment.status !== 'hidden') throw new Conflict('Only a hidden comment can be appealed', 'not_hidden');
      if (comment.appeal === 'pending') throw new Conflict('You have already appealed', 'already_appealed');
      const why = text.trim().slice(0, 2000);
      if (!why) throw new BadRequest('Say why', [{ field: 'appeal', message: 'Say why the comment should be shown' }]);
      await change({ type: 'comment.appealed', c, payload: { comment_id: comment.id } }, async (tx) => {
        await store.updateComment(tx, comment.id, { appeal: 'pending', appeal_text: why });
        await store.recordModeration(tx, {
          consultationId: c.id,
          serviceId: c.service_id,
          target: `comment:${comment.id}`,
          action: 'appealed',
          reason: why,
          actor: 'writer',
        });
      });
    },

    /** A different moderator's decision on an appeal: upheld (shown again) or rejected, with a reason. */
    async decideAppeal(actor: Actor, id: string, commentId: string, uphold: boolean, reason: string) {
      const c = await get(id);
      await manageable(actor, c);
      const comment = isUuid(commentId) ? await store.comment(db, c.id, commentId) : null;
      if (!comment || comment.appeal !== 'pending') throw new NotFound('No appeal waiting on that comment', 'appeal_not_found');
      const why = reason.trim();
      if (!why) throw new BadRequest('Give a reason', [{ field: 'reason', message: 'Enter the reason for this decision' }]);
      const patch = uphold
        ? { appeal: 'upheld' as const, status: 'published' as const, hidden_reason: null }
        : { appeal: 'rejected' as const };
      await change(
        { type: `comment.appeal_${uphold ? 'upheld' : 'rejected'}`, c, payload: { comment_id: comment.id, reason: why }, actor },
        async (tx) => {
          await store.updateComment(tx, comment.id, patch);
          await store.recordModeration(tx, {
            consultationId: c.id,
            serviceId: c.service_id,
            target: `comment:${comment.id}`,
            action: uphold ? 'appeal_upheld' : 'appeal_rejected',
            reason: why,
            actor: actorName(actor),
          });
        },
      );
    },

    /** Ask to be told the outcome (signed-in people only: the address is their account's). */
    async follow(id: string, who: Who) {
      const c = await get(id);
      if (!who.email) throw new Forbidden('Sign in to be told the outcome');
      await change({ type: 'participant.followed', c }, async (tx) => {
        const p = await store.ensureParticipant(tx, c, who.person);
        await store.setNotifyEmail(tx, p.id, who.email);
      });
    },

    /** For the response step (service-response.ts). */
    change,
    db,
  };
}
export type EngagementService = ReturnType<typeof createEngagementService>;
