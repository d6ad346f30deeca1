// "You said, we did": the team's response to a closed consultation, linked to the decision it
// led to (recorded in the catalogue's decision log, with this consultation as its evidence) or
// with the reason nothing was decided; then everyone who asked is told through Notify, as
// the service, from a plain template Cityscape adds to the service the first time (the team
// can reword it). Telling is idempotent (told_at), so the outbox subscriber can retry it.
import type { Kernel } from '../../kernel/module.js';
import { BadRequest, Conflict } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { actorName, type EngagementService } from './service.js';
import { store } from './store.js';
import type { ResponseInput } from './schema.js';
import { consultationPath } from './present.js';

export interface OutcomeSender {
  templates(serviceId: string, type: string | null): Promise<Array<{ id: string; name: string }>>;
  createTemplate(
    serviceId: string,
    input: { type: 'email'; name: string; subject: string; body: string },
    by: string,
  ): Promise<{ id: string }>;
  sendEmail(
    serviceId: string,
    input: { templateId: string; to: string; personalisation?: Record<string, unknown>; reference?: string },
  ): Promise<unknown>;
}

type LinkedDecision = { id: string; decided_on: string; decision: string; decided_by: string };

export const OUTCOME_TEMPLATE = 'Consultation outcome (Cityscape Engagement)';

export function createResponses(k: Kernel, svc: EngagementService, catalogue: CatalogueService, notify: OutcomeSender | undefined) {
  const { db, log, config } = k;

  async function templateFor(serviceId: string): Promise<string> {
    const existing = (await notify!.templates(serviceId, 'email')).find((t) => t.name === OUTCOME_TEMPLATE);
    if (existing) return existing.id;
    return (
      await notify!.createTemplate(
        serviceId,
        {
          type: 'email',
          name: OUTCOME_TEMPLATE,
          subject: 'What came of “((title))”',
          body: 'You took part in “((title))” and asked to be told what came of it.\n\n((response))\n\n((outcome))\n\nRead the full response: ((url))',
        },
        'cityscape',
      )
    ).id;
  }

  /** Email everyone who asked and has not been told yet. Returns how many were told. */
  async function tellParticipants(consultationId: string): Promise<number> {
    const c = await svc.get(consultationId);
    if (!c.response || !notify) return 0;
    const waiting = (await store.participants(db, c.id)).filter((p) => p.notify_email && !p.told_at);
    if (!waiting.length) return 0;
    const templateId = await templateFor(c.service_id);
    const outcome = c.response_decision
      ? `What was decided: ${c.response_decision.decision} (${c.response_decision.decided_by}, ${c.response_decision.decided_on})`
      : c.response_why_not
        ? `Why nothing changed: ${c.response_why_not}`
        : '';
    let told = 0;
    for (const p of waiting) {
      try {
        await notify.sendEmail(c.service_id, {
          templateId,
          to: p.notify_email!,
          personalisation: { title: c.title, response: c.response, outcome, url: `${config.publicUrl}${consultationPath(c)}#outcome` },
          reference: `consultation-${c.id}-${p.pid}`,
        });
        await store.markTold(db, p.id);
        told++;
      } catch (err) {
        log.warn({ err, consultation: c.id }, 'engagement: telling a participant the outcome failed (retried later)');
      }
    }
    return told;
  }

  return {
    tellParticipants,
    async respond(actor: Actor, consultationId: string, input: ResponseInput) {
      const c = await svc.get(consultationId);
      await svc.manageable(actor, c);
      if (svc.statusOf(c) !== 'closed') throw new Conflict('Respond once the consultation has closed', 'consultation_not_closed');
      const response = input.response.trim();
      if (!response)
        throw new BadRequest('Enter the response', [{ field: 'response', message: 'Enter what you heard and what you will do' }]);
      const whyNot = input.why_not?.trim() || null;
      if (!input.decision && !whyNot)
        throw new BadRequest('Link a decision or say why there is none', [
          { field: 'outcome', message: 'Record the decision this led to, or explain why nothing was decided' },
        ]);
      const s = await catalogue.getServiceById(c.service_id);
      if (!s) throw new BadRequest('The service no longer exists');
      // One transaction: the decision in the catalogue's log (the consultation page is its
      // evidence), the response, and the outbox event whose subscriber tells participants.
      // If any part fails, none of it is kept.
      const decision = await svc.change(
        {
          type: 'consultation.responded',
          c,
          actor,
          payload: (d: LinkedDecision | null) => ({ decision_id: d?.id ?? null, why_not: d ? null : whyNot }),
        },
        async (tx) => {
          const d = input.decision
            ? await catalogue.addDecision(
                actor,
                s.slug,
                {
                  decided_on: input.decision.decided_on,
                  decision: input.decision.decision.trim(),
                  reasoning: input.decision.reasoning?.trim() ?? `In response to the consultation “${c.title}”.`,
                  decided_by: input.decision.decided_by.trim(),
                  evidence_url: `${config.publicUrl}${consultationPath(c)}`,
                },
                tx,
              )
            : null;
          const linked: LinkedDecision | null = d
            ? { id: d.id, decided_on: d.decided_on, decision: d.decision, decided_by: d.decided_by }
            : null;
          await store.setResponse(tx, c.id, {
            response,
            response_cy: input.response_cy?.trim() || null,
            decision: linked,
            whyNot: linked ? null : whyNot,
            by: actorName(actor),
          });
          return linked;
        },
      );
      const told = await tellParticipants(c.id);
      return { decision, told };
    },
  };
}
export type Responses = ReturnType<typeof createResponses>;
