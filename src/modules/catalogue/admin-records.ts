// Staff console: the accountable office-holder (a change keeps the previous one in the
// history), decisions and roadmap items of a service. Each form posts, then redirects back
// to the service's admin page with a banner.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { NotFound, type FieldError } from '../../kernel/errors.js';
import { list, type FormBody } from '../../kernel/forms.js';
import type { CatalogueService } from './service.js';
import { ROADMAP_STATUSES, type RoadmapItem, type Service } from './schema.js';
import { checker, dateParts, serviceFor, redirectDone, render, renderErrors, ruleErrors, tr, values, type T } from './admin-common.js';
import { options, radioItems, selectItems } from './admin-form-items.js';

export function adminRecordPages(app: FastifyInstance, kernel: Kernel, catalogue: CatalogueService) {
  const back = (s: Service) => `/admin/services/${s.slug}`;

  // Office-holder
  const holderPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    service: Service,
    vals: Record<string, string>,
    fields: FieldError[] = [],
  ) => {
    const t = tr(kernel, req);
    const [detail, orgs] = await Promise.all([catalogue.getServiceDetail(service.slug), catalogue.listOrganisations()]);
    const ctx = {
      title: t('catalogue.admin.officeHolder.title'),
      service: detail,
      values: vals,
      organisationItems: selectItems(
        orgs.map((o) => ({ value: o.slug, text: o.name })),
        vals.organisation,
        t('catalogue.admin.chooseOrganisation'),
      ),
    };
    return fields.length
      ? renderErrors(kernel, req, reply, 'office-holder', fields, ctx)
      : render(kernel, req, reply, 'office-holder', ctx);
  };

  app.get('/admin/services/:slug/office-holder', async (req, reply) => {
    const { service } = await serviceFor(catalogue, req, 'org');
    return holderPage(req, reply, service, { organisation: service.organisation.slug });
  });

  app.post('/admin/services/:slug/office-holder', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req, 'org');
    const t = tr(kernel, req);
    const body = req.body as FormBody | undefined;
    const vals: Record<string, string> = {
      ...values(body, [
        'name',
        'role',
        'role_cy',
        'organisation',
        'contact',
        'in_post_since-day',
        'in_post_since-month',
        'in_post_since-year',
      ]),
      is_demo: list(body, 'is_demo').includes('yes') ? 'yes' : '',
    };
    const c = checker(t);
    c.required('name', vals.name, 'holderNameMissing');
    c.required('role', vals.role, 'holderRoleMissing');
    c.optional('role_cy', vals.role_cy, 200);
    if (vals.organisation && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(vals.organisation)) c.add('organisation', 'organisationMissing');
    c.optional('contact', vals.contact, 500);
    const since = c.date(body, 'in_post_since', 'officeHolder.inPostSinceLabel');
    if (c.errors.length) return holderPage(req, reply, service, vals, c.errors);
    try {
      await catalogue.setOfficeHolder(actor, service.slug, {
        name: vals.name,
        role: vals.role,
        role_cy: vals.role_cy || null,
        organisation_slug: vals.organisation || undefined,
        contact: vals.contact,
        in_post_since: since!,
        is_demo: vals.is_demo === 'yes',
      });
    } catch (err) {
      return holderPage(
        req,
        reply,
        service,
        vals,
        ruleErrors(err, 'name', t, { in_post_since: 'in_post_since-day', organisation_slug: 'organisation' }),
      );
    }
    return redirectDone(reply, back(service), 'office-holder-set');
  });

  // Decisions
  const decisionPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    service: Service,
    vals: Record<string, string>,
    fields: FieldError[] = [],
  ) => {
    const ctx = { title: tr(kernel, req)('catalogue.admin.decision.title'), service, values: vals };
    return fields.length ? renderErrors(kernel, req, reply, 'decision', fields, ctx) : render(kernel, req, reply, 'decision', ctx);
  };

  app.get('/admin/services/:slug/decisions/new', async (req, reply) => {
    const { service } = await serviceFor(catalogue, req, 'service');
    return decisionPage(req, reply, service, {});
  });

  app.post('/admin/services/:slug/decisions/new', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req, 'service');
    const t = tr(kernel, req);
    const body = req.body as FormBody | undefined;
    const vals = values(body, [
      'decision',
      'decision_cy',
      'reasoning',
      'reasoning_cy',
      'decided_by',
      'decided_by_cy',
      'evidence_url',
      'decided_on-day',
      'decided_on-month',
      'decided_on-year',
    ]);
    const c = checker(t);
    const decidedOn = c.date(body, 'decided_on', 'decision.decidedOnLabel');
    c.required('decision', vals.decision, 'decisionMissing', 2000);
    c.optional('reasoning', vals.reasoning, 5000);
    c.required('decided_by', vals.decided_by, 'decidedByMissing');
    c.optional('decision_cy', vals.decision_cy, 2000);
    c.optional('reasoning_cy', vals.reasoning_cy, 5000);
    c.optional('decided_by_cy', vals.decided_by_cy, 200);
    c.url('evidence_url', vals.evidence_url);
    if (c.errors.length) return decisionPage(req, reply, service, vals, c.errors);
    try {
      await catalogue.addDecision(actor, service.slug, {
        decided_on: decidedOn!,
        decision: vals.decision,
        decision_cy: vals.decision_cy || null,
        reasoning: vals.reasoning,
        reasoning_cy: vals.reasoning_cy || null,
        decided_by: vals.decided_by,
        decided_by_cy: vals.decided_by_cy || null,
        evidence_url: vals.evidence_url || null,
      });
    } catch (err) {
      return decisionPage(req, reply, service, vals, ruleErrors(err, 'decision', t, { decided_on: 'decided_on-day' }));
    }
    return redirectDone(reply, back(service), 'decision-added');
  });

  // Roadmap
  const roadmapPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    service: Service,
    item: RoadmapItem | null,
    vals: Record<string, string>,
    fields: FieldError[] = [],
  ) => {
    const t: T = tr(kernel, req);
    const ctx = {
      title: t(item ? 'catalogue.admin.roadmap.editTitle' : 'catalogue.admin.roadmap.newTitle'),
      service,
      item,
      values: vals,
      statusItems: radioItems(options(ROADMAP_STATUSES, t, 'roadmapStatuses'), vals.status),
    };
    return fields.length ? renderErrors(kernel, req, reply, 'roadmap', fields, ctx) : render(kernel, req, reply, 'roadmap', ctx);
  };
  const roadmapItem = async (service: Service, id: string | undefined) => {
    if (!id) return null;
    const item = await catalogue.getRoadmapItem(service.id, id);
    if (!item) throw new NotFound('No such roadmap item', 'roadmap_item_not_found');
    return item;
  };

  const showRoadmap = async (req: FastifyRequest, reply: FastifyReply) => {
    const { service } = await serviceFor(catalogue, req, 'service');
    const item = await roadmapItem(service, (req.params as { id?: string }).id);
    const vals = item
      ? {
          status: item.status,
          title: item.title,
          title_cy: item.title_cy ?? '',
          description: item.description,
          description_cy: item.description_cy ?? '',
          ...dateParts('target_date', item.target_date),
        }
      : {};
    return roadmapPage(req, reply, service, item, vals);
  };
  const saveRoadmap = async (req: FastifyRequest, reply: FastifyReply) => {
    const { actor, service } = await serviceFor(catalogue, req, 'service');
    const item = await roadmapItem(service, (req.params as { id?: string }).id);
    const t = tr(kernel, req);
    const body = req.body as FormBody | undefined;
    const vals = values(body, [
      ...['status', 'title', 'title_cy', 'description', 'description_cy'],
      ...['target_date-day', 'target_date-month', 'target_date-year'],
    ]);
    const c = checker(t);
    c.oneOf('status', vals.status, ROADMAP_STATUSES, 'statusMissing');
    c.required('title', vals.title, 'titleMissing');
    c.optional('description', vals.description, 5000);
    c.optional('title_cy', vals.title_cy, 200);
    c.optional('description_cy', vals.description_cy, 5000);
    const target = c.date(body, 'target_date', 'roadmap.targetDateLabel', false);
    if (c.errors.length) return roadmapPage(req, reply, service, item, vals, c.errors);
    try {
      await catalogue.saveRoadmapItem(actor, service.slug, item?.id ?? null, {
        status: vals.status as RoadmapItem['status'],
        title: vals.title,
        title_cy: vals.title_cy || null,
        description: vals.description,
        description_cy: vals.description_cy || null,
        target_date: target,
      });
    } catch (err) {
      return roadmapPage(req, reply, service, item, vals, ruleErrors(err, 'title', t, { target_date: 'target_date-day' }));
    }
    return redirectDone(reply, back(service), item ? 'roadmap-updated' : 'roadmap-added');
  };
  app.get('/admin/services/:slug/roadmap/new', showRoadmap);
  app.post('/admin/services/:slug/roadmap/new', saveRoadmap);
  app.get('/admin/services/:slug/roadmap/:id/edit', showRoadmap);
  app.post('/admin/services/:slug/roadmap/:id/edit', saveRoadmap);
}
