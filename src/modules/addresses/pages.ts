// The GOV.UK "find an address" journey, mountable by any module under its own path: enter a
// postcode (and optionally a building name or number) → choose from the addresses there → or
// enter the address by hand. Plain HTML forms, POST-redirect-GET, works without JavaScript.
// The chosen address goes to the mounting module's `onChosen`, which answers the request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { FieldError } from '../../kernel/errors.js';
import { formErrors, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import { filters, type AddressService } from './service.js';
import { formatPostcode, parsePostcode, words } from './text.js';

export interface ChosenAddress {
  /** Set when chosen from the list; absent for an address entered by hand. */
  uprn?: string;
  /** Lines without town and postcode, e.g. ["Flat 2", "10 High Street"]. */
  lines: string[];
  town: string;
  postcode: string;
  /** The one-line form, as OS Places gives it (ADDRESS). */
  address: string;
  x?: number;
  y?: number;
  manual: boolean;
}

export interface FindAddressOptions {
  /** Where the journey lives, e.g. '/pay/billing-address'. */
  prefix: string;
  /** Gets the chosen address; must answer (usually a 303 redirect to the next page). */
  onChosen(address: ChosenAddress, req: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply>;
  /** The page heading (default "Find your address"). */
  title?: string;
  /** Adds a confirmation page at <prefix>/chosen (the demo only). */
  demo?: boolean;
}

const title = (s: string) =>
  s
    .toLowerCase()
    .replace(/\b([a-z])/g, (m) => m.toUpperCase())
    .replace(/\b(And|Of|The|Y|Yr)\b/g, (m) => m.toLowerCase());
const q1 = (v: unknown) => (typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[0] === 'string' ? v[0].trim() : '');

export function findAddressPages(app: FastifyInstance, kernel: Pick<Kernel, 'views'>, service: AddressService, opts: FindAddressOptions) {
  const { views } = kernel;
  const p = opts.prefix.replace(/\/$/, '');
  const base = (req: FastifyRequest) => {
    const t = translator(views.messages, requestLang(req));
    return { t, heading: opts.title ?? t('addresses.find.title'), prefix: p };
  };

  /** The postcode's delivery addresses in the page's language, filtered by building name or number. */
  async function lookup(postcode: string, filterText: string, lang: 'en' | 'cy') {
    const page = await service.postcode(postcode, { filters: filters(['DPA']), offset: 0, maxresults: 100, outputSrs: 'EPSG:27700' });
    const byUdprn = new Map<string, Record<string, any>>();
    for (const r of page.results) {
      const d = (r as { DPA: Record<string, any> }).DPA;
      if (!byUdprn.has(d.UDPRN) || (lang === 'cy' && d.LANGUAGE === 'CY') || (lang === 'en' && d.LANGUAGE === 'EN'))
        byUdprn.set(d.UDPRN, d);
    }
    let list = [...byUdprn.values()];
    const f = words(filterText);
    if (f.length) {
      const filtered = list.filter((d) => {
        const w = words(String(d.ADDRESS));
        return f.every((x) => w.includes(x));
      });
      if (filtered.length) list = filtered;
    }
    return list;
  }

  function chosenFrom(d: Record<string, any>): ChosenAddress {
    const street = [d.BUILDING_NUMBER, d.DEPENDENT_THOROUGHFARE_NAME ? title(d.DEPENDENT_THOROUGHFARE_NAME) : null]
      .filter(Boolean)
      .join(' ');
    const lines = [
      d.ORGANISATION_NAME,
      d.DEPARTMENT_NAME,
      d.SUB_BUILDING_NAME,
      d.BUILDING_NAME,
      d.PO_BOX_NUMBER ? `PO Box ${d.PO_BOX_NUMBER}` : null,
      [d.DEPENDENT_THOROUGHFARE_NAME ? street : d.BUILDING_NUMBER, d.THOROUGHFARE_NAME].filter(Boolean).join(' '),
      d.DOUBLE_DEPENDENT_LOCALITY,
      d.DEPENDENT_LOCALITY,
    ]
      .filter((l) => l && String(l).trim())
      .map((l) => title(String(l)));
    return {
      uprn: d.UPRN,
      lines,
      town: title(d.POST_TOWN),
      postcode: d.POSTCODE,
      address: d.ADDRESS,
      x: d.X_COORDINATE,
      y: d.Y_COORDINATE,
      manual: false,
    };
  }
  const label = (d: Record<string, any>) => {
    const c = chosenFrom(d);
    return [...c.lines, c.town, c.postcode].join(', ');
  };

  app.get(p, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return renderPage(views, req, reply, 'addresses/views/find-postcode.njk', {
      ...base(req),
      values: { postcode: q1(q.postcode), filter: q1(q.filter) },
    });
  });

  app.post(p, async (req, reply) => {
    const body = req.body as FormBody;
    const postcode = str(body, 'postcode', 20),
      filter = str(body, 'filter', 100);
    const { t } = base(req);
    const errors: FieldError[] = [];
    if (!postcode) errors.push({ field: 'postcode', message: t('addresses.find.errors.postcodeMissing') });
    else if (!parsePostcode(postcode)) errors.push({ field: 'postcode', message: t('addresses.find.errors.postcodeInvalid') });
    if (errors.length)
      return renderPage(views, req, reply.status(400), 'addresses/views/find-postcode.njk', {
        ...base(req),
        ...formErrors(errors),
        values: { postcode, filter },
      });
    return reply.redirect(
      `${p}/select?${new URLSearchParams({ postcode: formatPostcode(parsePostcode(postcode)!), ...(filter ? { filter } : {}) })}`,
      303,
    );
  });

  async function renderSelect(req: FastifyRequest, reply: FastifyReply, postcode: string, filter: string, errors: FieldError[] = []) {
    const list = await lookup(postcode, filter, requestLang(req));
    return renderPage(views, req, reply, 'addresses/views/find-select.njk', {
      ...base(req),
      ...formErrors(errors),
      postcode,
      filter,
      changeUrl: `${p}?${new URLSearchParams({ postcode, filter })}`,
      manualUrl: `${p}/manual?${new URLSearchParams({ postcode })}`,
      items: list.map((d) => ({ value: d.UPRN, text: label(d) })),
    });
  }

  app.get(`${p}/select`, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const pc = parsePostcode(q1(q.postcode));
    if (!pc) return reply.redirect(p, 303);
    return renderSelect(req, reply, formatPostcode(pc), q1(q.filter));
  });

  app.post(`${p}/select`, async (req, reply) => {
    const body = req.body as FormBody;
    const pc = parsePostcode(str(body, 'postcode', 20));
    if (!pc) return reply.redirect(p, 303);
    const postcode = formatPostcode(pc),
      uprn = str(body, 'uprn', 20);
    const list = await lookup(postcode, '', requestLang(req));
    const chosen = list.find((d) => d.UPRN === uprn);
    if (!chosen)
      return renderSelect(req, reply.status(400), postcode, str(body, 'filter', 100), [
        { field: 'uprn', message: base(req).t('addresses.find.errors.choose') },
      ]);
    return opts.onChosen(chosenFrom(chosen), req, reply);
  });

  app.get(`${p}/manual`, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return renderPage(views, req, reply, 'addresses/views/find-manual.njk', { ...base(req), values: { postcode: q1(q.postcode) } });
  });

  app.post(`${p}/manual`, async (req, reply) => {
    const body = req.body as FormBody;
    const { t } = base(req);
    const values = {
      line1: str(body, 'line1', 100),
      line2: str(body, 'line2', 100),
      town: str(body, 'town', 60),
      county: str(body, 'county', 60),
      postcode: str(body, 'postcode', 20),
    };
    const errors: FieldError[] = [];
    if (!values.line1) errors.push({ field: 'line1', message: t('addresses.find.errors.line1') });
    if (!values.town) errors.push({ field: 'town', message: t('addresses.find.errors.town') });
    if (!values.postcode) errors.push({ field: 'postcode', message: t('addresses.find.errors.postcodeMissing') });
    else if (!parsePostcode(values.postcode)) errors.push({ field: 'postcode', message: t('addresses.find.errors.postcodeInvalid') });
    if (errors.length)
      return renderPage(views, req, reply.status(400), 'addresses/views/find-manual.njk', { ...base(req), ...formErrors(errors), values });
    const postcode = formatPostcode(parsePostcode(values.postcode)!);
    const lines = [values.line1, values.line2, values.county].filter(Boolean);
    return opts.onChosen(
      { lines, town: values.town, postcode, address: [...lines, values.town, postcode].join(', ').toUpperCase(), manual: true },
      req,
      reply,
    );
  });

  if (opts.demo) {
    app.get(`${p}/chosen`, async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      return renderPage(views, req, reply, 'addresses/views/find-chosen.njk', {
        ...base(req),
        uprn: q1(q.uprn),
        lines: q1(q.address).split('\n').filter(Boolean),
        postcode: q1(q.postcode),
      });
    });
  }
}
