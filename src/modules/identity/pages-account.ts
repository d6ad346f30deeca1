// "Your account": details, security (password, how security codes come), identity level and
// when it was reached, and the services signed in to — each can be disconnected.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { SignedIn } from './accounts.js';
import type { IdentityService } from './service.js';
import type { Web } from './web.js';
import { page } from './render.js';

const DONE: Record<string, string> = { disconnected: 'identity.account.disconnected', 'second-factor': 'identity.account.secondFactorSet' };

export function accountPages(app: FastifyInstance, k: Kernel, web: Web, identity: IdentityService) {
  const v = k.views;

  /** The account page needs the second factor when the account has one. */
  async function owner(req: FastifyRequest): Promise<{ redirect: string } | { si: SignedIn }> {
    const si = await web.signedIn(req);
    if (!si) return { redirect: '/identity/sign-in' };
    if (si.account.mfa_method && si.level !== 'Cl.Cm') return { redirect: '/identity/sign-in/code' };
    return { si };
  }

  app.get('/identity/account', async (req, reply) => {
    const o = await owner(req);
    if ('redirect' in o) return reply.redirect(o.redirect, 303);
    const a = o.si.account;
    const t = web.t(req);
    const lang = web.lang(req);
    const dateText = (d: Date | string | null) => (d ? (v.env.getFilter('date') as (d: unknown, l: string) => string)(d, lang) : '');
    const row = (key: string, value: string, action?: { href: string; text: string }) => ({
      key: { text: t(key) },
      value: { text: value },
      ...(action ? { actions: { items: [{ href: action.href, text: action.text, visuallyHiddenText: t(key).toLowerCase() }] } } : {}),
    });
    const secondFactor =
      a.mfa_method === 'app'
        ? t('identity.account.twoFactorApp')
        : a.mfa_method === 'sms'
          ? t('identity.account.twoFactorSms', { phone: a.phone ?? '' })
          : t('identity.account.twoFactorNone');
    const addr = a.address
      ? [
          a.address.subBuildingName,
          a.address.buildingName,
          [a.address.buildingNumber, a.address.streetName].filter(Boolean).join(' '),
          a.address.addressLocality,
          a.address.postalCode,
        ]
          .filter(Boolean)
          .join(', ')
      : '';
    const done = (req.query as Record<string, unknown>).done;
    return page(v, req, reply, 'account', {
      title: t('identity.account.title'),
      banner: typeof done === 'string' && DONE[done] ? t(DONE[done]) : null,
      detailRows: [
        row('identity.account.email', a.email),
        ...(a.phone && a.mfa_method === 'sms' ? [row('identity.account.phone', a.phone)] : []),
      ],
      securityRows: [
        row('identity.account.password', t('identity.account.passwordValue'), {
          href: '/identity/forgotten-password',
          text: t('identity.account.change'),
        }),
        row('identity.account.twoFactor', secondFactor, {
          href: '/identity/two-factor',
          text: t(a.mfa_method ? 'identity.account.change' : 'identity.account.setUp'),
        }),
      ],
      identityRows: [
        row('identity.account.level', t(`identity.account.levels.${a.identity_level}`)),
        ...(a.identity_level_at ? [row('identity.account.provedAt', dateText(a.identity_level_at))] : []),
        ...(a.given_name ? [row('identity.account.name', `${a.given_name} ${a.family_name}`)] : []),
        ...(a.birth_date ? [row('identity.account.birthDate', dateText(a.birth_date))] : []),
        ...(addr ? [row('identity.account.address', addr)] : []),
      ],
      canProve: a.identity_level !== 'P2',
      services: await identity.connectedServices(a.id),
    });
  });

  app.get('/identity/account/services/:clientId/disconnect', async (req, reply) => {
    const o = await owner(req);
    if ('redirect' in o) return reply.redirect(o.redirect, 303);
    const { clientId } = req.params as { clientId: string };
    const svc = (await identity.connectedServices(o.si.account.id)).find((s) => s.clientId === clientId);
    if (!svc) return reply.callNotFound();
    const t = web.t(req);
    return page(v, req, reply, 'confirm', {
      title: t('identity.disconnect.title', { service: svc.name }),
      paragraphs: [t('identity.disconnect.p1', { service: svc.name })],
      action: `/identity/account/services/${encodeURIComponent(clientId)}/disconnect`,
      button: t('identity.disconnect.button'),
      warning: true,
      backUrl: '/identity/account',
      backText: t('identity.disconnect.back'),
    });
  });

  app.post('/identity/account/services/:clientId/disconnect', async (req, reply) => {
    const o = await owner(req);
    if ('redirect' in o) return reply.redirect(o.redirect, 303);
    const { clientId } = req.params as { clientId: string };
    if (!(await identity.disconnect(o.si.account.id, clientId))) return reply.callNotFound();
    return reply.redirect('/identity/account?done=disconnected', 303);
  });
}
