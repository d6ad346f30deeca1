// Proving identity: choose a document, enter its details, and the evidence source checks
// them with the organisation that issued it. Needs a sign-in with a second factor (P1 and
// P2 only go with Cl.Cm).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { FieldError } from '../../kernel/errors.js';
import { dateFromParts, type FormBody } from '../../kernel/forms.js';
import type { Accounts } from './accounts.js';
import type { EvidenceKind } from './evidence.js';
import { LIMITED, localPath, type Web } from './web.js';
import { page, pageWithErrors } from './render.js';

const KINDS: Record<string, EvidenceKind> = { passport: 'passport', 'driving-licence': 'driving_licence' };

export function provePages(app: FastifyInstance, k: Kernel, web: Web, accounts: Accounts) {
  const v = k.views;

  async function ready(req: FastifyRequest, reply: FastifyReply) {
    const si = await web.signedIn(req);
    const uid = web.uid(req);
    if (!si) {
      reply.redirect(web.to('/identity/sign-in', uid), 303);
      return null;
    }
    if (si.level !== 'Cl.Cm') {
      reply.redirect(web.to(si.account.mfa_method ? '/identity/sign-in/code' : '/identity/two-factor', uid), 303);
      return null;
    }
    return si;
  }

  const chooseForm = (req: FastifyRequest) => {
    const t = web.t(req);
    const service = web.cameFromNow(req);
    return {
      title: t('identity.prove.title'),
      paragraphs: [service ? t('identity.prove.introService', { service }) : t('identity.prove.intro'), t('identity.prove.how')],
      action: '/identity/prove',
      uid: web.uid(req),
      button: t('identity.prove.button'),
      fields: [
        {
          type: 'radios',
          name: 'document',
          legend: t('identity.prove.legend'),
          items: [
            { value: 'passport', text: t('identity.prove.passport'), hint: { text: t('identity.prove.passportHint') } },
            { value: 'driving-licence', text: t('identity.prove.licence'), hint: { text: t('identity.prove.licenceHint') } },
          ],
        },
      ],
    };
  };
  app.get('/identity/prove', async (req, reply) => {
    if (!web.uid(req)) await web.rememberReturn(req, reply);
    if (!(await ready(req, reply))) return reply;
    return page(v, req, reply, 'form', chooseForm(req));
  });
  app.post('/identity/prove', async (req, reply) => {
    if (!(await ready(req, reply))) return reply;
    const doc = web.str(req, 'document');
    if (!KINDS[doc]) return pageWithErrors(v, req, reply, 'form', [web.field(req, 'document', 'chooseEvidence')], chooseForm(req));
    return reply.redirect(web.to(`/identity/prove/${doc}`, web.uid(req)), 303);
  });

  const detailsForm = (req: FastifyRequest, doc: string, values: Record<string, string> = {}) => {
    const t = web.t(req);
    const passport = doc === 'passport';
    const date = (name: string) => ({
      day: values[`${name}-day`] ?? '',
      month: values[`${name}-month`] ?? '',
      year: values[`${name}-year`] ?? '',
    });
    return {
      title: t(passport ? 'identity.prove.details.passportTitle' : 'identity.prove.details.licenceTitle'),
      action: `/identity/prove/${doc}`,
      uid: web.uid(req),
      button: t('identity.prove.details.button'),
      fields: [
        {
          name: 'documentNumber',
          label: t(passport ? 'identity.prove.details.passportNumber' : 'identity.prove.details.licenceNumber'),
          hint: t(passport ? 'identity.prove.details.passportNumberHint' : 'identity.prove.details.licenceNumberHint'),
          value: values.documentNumber ?? '',
          classes: passport ? 'govuk-input--width-10' : 'govuk-input--width-20',
        },
        { name: 'givenName', label: t('identity.prove.details.givenName'), autocomplete: 'given-name', value: values.givenName ?? '' },
        { name: 'familyName', label: t('identity.prove.details.familyName'), autocomplete: 'family-name', value: values.familyName ?? '' },
        {
          type: 'date',
          name: 'birthDate',
          legend: t('identity.prove.details.birthDate'),
          hint: t('identity.prove.details.birthDateHint'),
          values: date('birthDate'),
        },
        {
          type: 'date',
          name: 'expiryDate',
          legend: t('identity.prove.details.expiryDate'),
          hint: t('identity.prove.details.expiryDateHint'),
          values: date('expiryDate'),
        },
      ],
    };
  };
  app.get('/identity/prove/:doc', async (req, reply) => {
    const { doc } = req.params as { doc: string };
    if (!KINDS[doc]) return reply.callNotFound();
    if (!(await ready(req, reply))) return reply;
    return page(v, req, reply, 'form', detailsForm(req, doc));
  });
  app.post('/identity/prove/:doc', { config: LIMITED }, async (req, reply) => {
    const { doc } = req.params as { doc: string };
    if (!KINDS[doc]) return reply.callNotFound();
    const si = await ready(req, reply);
    if (!si) return reply;
    const t = web.t(req);
    const body = req.body as FormBody | undefined;
    const values = Object.fromEntries(
      [
        'documentNumber',
        'givenName',
        'familyName',
        'birthDate-day',
        'birthDate-month',
        'birthDate-year',
        'expiryDate-day',
        'expiryDate-month',
        'expiryDate-year',
      ].map((n) => [n, web.str(req, n, 200)]),
    );
    const errors: FieldError[] = [];
    if (!values.documentNumber) errors.push(web.field(req, 'documentNumber', 'documentNumberMissing'));
    if (!values.givenName) errors.push(web.field(req, 'givenName', 'givenNameMissing'));
    if (!values.familyName) errors.push(web.field(req, 'familyName', 'familyNameMissing'));
    const dates: Record<string, string | null> = {};
    for (const name of ['birthDate', 'expiryDate']) {
      const r = dateFromParts(body, name, name);
      dates[name] = r.value;
      if (r.error) {
        const blank = !values[`${name}-day`] && !values[`${name}-month`] && !values[`${name}-year`];
        const label = t(`identity.prove.details.${name}`).toLowerCase();
        errors.push(web.field(req, `${name}-day`, blank ? 'dateMissing' : 'dateInvalid', { label }));
      }
    }
    if (errors.length) return pageWithErrors(v, req, reply, 'form', errors, detailsForm(req, doc, values));
    let result: { matched: boolean; level: string };
    try {
      result = await accounts.proveIdentity(si.account.id, {
        kind: KINDS[doc],
        documentNumber: values.documentNumber,
        givenName: values.givenName,
        familyName: values.familyName,
        birthDate: dates.birthDate!,
        expiryDate: dates.expiryDate!,
      });
    } catch (err) {
      const e = web.errors(req, err, 'documentNumber');
      return pageWithErrors(v, req, reply, 'form', e.fields, detailsForm(req, doc, values), e.status);
    }
    if (!result.matched)
      return pageWithErrors(v, req, reply, 'form', [web.field(req, 'documentNumber', 'notMatched')], detailsForm(req, doc, values));
    // POST-redirect-GET: the success page has its own address (reloading it sends nothing again).
    const uid = web.uid(req);
    const next = await web.finish(req, reply, uid);
    await web.save(req, reply, { ...(await web.journey(req)), provedNext: next });
    return reply.redirect(web.to('/identity/prove/done', uid), 303);
  });

  app.get('/identity/prove/done', async (req, reply) => {
    const si = await ready(req, reply);
    if (!si) return reply;
    if (si.account.identity_level === 'P0') return reply.redirect(web.to('/identity/prove', web.uid(req)), 303);
    const t = web.t(req);
    const uid = web.uid(req);
    const next = localPath((await web.journey(req)).provedNext) ?? web.done(uid);
    const service = web.cameFromNow(req);
    return page(v, req, reply, 'message', {
      title: t('identity.prove.proved.title'),
      panel: t(`identity.prove.proved.panel.${si.account.identity_level}`),
      paragraphs: [t('identity.prove.proved.p1')],
      continueUrl: next,
      continueText: service ? t('identity.prove.proved.continueTo', { service }) : null,
    });
  });
}
