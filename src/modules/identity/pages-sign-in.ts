// Signing in: email and password, then the security code (authenticator app or text message)
// when the service needs Cl.Cm; forgotten password (code by email, then a new password, which
// signs every other device out: pages-code-password.ts); signing out here and everywhere.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { FieldError } from '../../kernel/errors.js';
import type { Accounts } from './accounts.js';
import type { IdentityService } from './service.js';
import { LIMITED, type Web } from './web.js';
import { codeThenPasswordPages } from './pages-code-password.js';
import { page, pageWithErrors } from './render.js';

export function signInPages(app: FastifyInstance, k: Kernel, web: Web, accounts: Accounts, identity: IdentityService) {
  const v = k.views;

  // Email and password.
  const signInForm = (req: FastifyRequest, extra: Record<string, unknown> = {}) => {
    const t = web.t(req);
    const uid = web.uid(req);
    const service = web.cameFromNow(req);
    return {
      title: t('identity.signIn.title'),
      paragraphs: [...(service ? [t('identity.signIn.continueTo', { service })] : []), t('identity.signIn.intro')],
      action: '/identity/sign-in',
      uid,
      button: t('identity.signIn.button'),
      fields: [
        { name: 'email', label: t('identity.signIn.email'), inputType: 'email', autocomplete: 'username', value: extra.email ?? '' },
        { name: 'password', type: 'password', label: t('identity.signIn.password') },
      ],
      links: [
        { href: web.to('/identity/forgotten-password', uid), text: t('identity.signIn.forgotten') },
        { href: web.to('/identity/create-account', uid), text: t('identity.signIn.create') },
        ...(uid ? [{ href: `/identity/interaction/${uid}/abort`, text: t('identity.cancel'), post: true }] : []),
      ],
      ...extra,
    };
  };

  app.get('/identity/sign-in', async (req, reply) => {
    if (!web.uid(req)) await web.rememberReturn(req, reply);
    const exists = (req.query as Record<string, unknown>).exists === '1';
    return page(
      v,
      req,
      reply,
      'form',
      signInForm(
        req,
        exists ? { banner: { title: web.t(req)('identity.account.success'), text: web.t(req)('identity.signIn.exists'), type: null } } : {},
      ),
    );
  });

  app.post('/identity/sign-in', { config: LIMITED }, async (req, reply) => {
    const email = web.str(req, 'email', 320);
    const password = web.password(req, 'password');
    const uid = web.uid(req);
    const missing: FieldError[] = [
      ...(email ? [] : [web.field(req, 'email', 'emailMissing')]),
      ...(password ? [] : [web.field(req, 'password', 'passwordEnter')]),
    ];
    if (missing.length) return pageWithErrors(v, req, reply, 'form', missing, signInForm(req, { email }));
    let accountId: string;
    let hasSecondFactor: boolean;
    try {
      const a = await accounts.signInWithPassword(email, password);
      accountId = a.id;
      hasSecondFactor = !!a.mfa_method;
    } catch (err) {
      const e = web.errors(req, err, 'email');
      return pageWithErrors(v, req, reply, 'form', e.fields, signInForm(req, { email }), e.status);
    }
    await web.signIn(req, reply, accountId, 'Cl');
    // Inside an authorization the interaction decides whether a code is needed; "Your account" always asks.
    if (!uid && hasSecondFactor) return reply.redirect('/identity/sign-in/code', 303);
    return reply.redirect(await web.finish(req, reply, uid), 303);
  });

  // The security code (second factor).
  const codeForm = async (req: FastifyRequest) => {
    const t = web.t(req);
    const uid = web.uid(req);
    const si = (await web.signedIn(req))!;
    const sms = si.account.mfa_method === 'sms';
    return {
      title: t('identity.code.title'),
      action: '/identity/sign-in/code',
      uid,
      button: t('identity.code.button'),
      paragraphs: [sms ? t('identity.code.smsIntro', { ending: (si.account.phone ?? '').slice(-4) }) : t('identity.code.appIntro')],
      fields: [{ name: 'code', type: 'code', label: t('identity.code.label') }],
      links: [
        ...(sms ? [{ href: '/identity/sign-in/code/resend', text: t('identity.code.resend'), post: true }] : []),
        ...(uid ? [{ href: `/identity/interaction/${uid}/abort`, text: t('identity.cancel'), post: true }] : []),
      ],
    };
  };

  app.get('/identity/sign-in/code', async (req, reply) => {
    const si = await web.signedIn(req);
    if (!si) return reply.redirect(web.to('/identity/sign-in', web.uid(req)), 303);
    if (!si.account.mfa_method) return reply.redirect(web.to('/identity/two-factor', web.uid(req)), 303);
    if (si.account.mfa_method === 'sms') {
      try {
        await accounts.sendSignInSms(si.account.id, web.lang(req), { unlessSentWithinSeconds: 60 });
      } catch (err) {
        const e = web.errors(req, err, 'code');
        return pageWithErrors(v, req, reply, 'form', e.fields, await codeForm(req), e.status);
      }
    }
    return page(v, req, reply, 'form', await codeForm(req));
  });

  app.post('/identity/sign-in/code/resend', { config: LIMITED }, async (req, reply) => {
    const si = await web.signedIn(req);
    if (!si) return reply.redirect(web.to('/identity/sign-in', web.uid(req)), 303);
    try {
      await accounts.sendSignInSms(si.account.id, web.lang(req));
    } catch (err) {
      const e = web.errors(req, err, 'code');
      return pageWithErrors(v, req, reply, 'form', e.fields, await codeForm(req), e.status);
    }
    return reply.redirect(web.to('/identity/sign-in/code', web.uid(req)), 303);
  });

  app.post('/identity/sign-in/code', { config: LIMITED }, async (req, reply) => {
    const si = await web.signedIn(req);
    const uid = web.uid(req);
    if (!si) return reply.redirect(web.to('/identity/sign-in', uid), 303);
    const code = web.str(req, 'code', 20);
    if (!code) return pageWithErrors(v, req, reply, 'form', [web.field(req, 'code', 'codeMissing')], await codeForm(req));
    try {
      await accounts.verifySecondFactor(si.account.id, code);
    } catch (err) {
      const e = web.errors(req, err, 'code');
      return pageWithErrors(v, req, reply, 'form', e.fields, await codeForm(req), e.status);
    }
    await raise(req, reply, si.signInId);
    return reply.redirect(await web.finish(req, reply, uid), 303);
  });

  /** The sign-in now has a second factor: Cl.Cm, under a new session id. */
  async function raise(req: FastifyRequest, reply: FastifyReply, signInId: string) {
    await accounts.raiseSignIn(signInId, 'Cl.Cm');
    await web.save(req, reply, { signInId });
  }

  // Forgotten password: email → code → new password.
  const resetEmailForm = (req: FastifyRequest, email = '') => {
    const t = web.t(req);
    return {
      title: t('identity.forgotten.title'),
      paragraphs: [t('identity.forgotten.intro')],
      action: '/identity/forgotten-password',
      uid: web.uid(req),
      button: t('identity.forgotten.button'),
      fields: [{ name: 'email', label: t('identity.forgotten.email'), inputType: 'email', autocomplete: 'username', value: email }],
    };
  };
  app.get('/identity/forgotten-password', async (req, reply) => page(v, req, reply, 'form', resetEmailForm(req)));
  app.post('/identity/forgotten-password', { config: LIMITED }, async (req, reply) => {
    const raw = web.str(req, 'email', 320);
    let email: string;
    try {
      email = await accounts.requestPasswordReset(raw, web.lang(req));
    } catch (err) {
      const e = web.errors(req, err, 'email');
      return pageWithErrors(v, req, reply, 'form', e.fields, resetEmailForm(req, raw), e.status);
    }
    await web.save(req, reply, { ...(await web.journey(req)), resetEmail: email, resetVerifiedAt: undefined });
    return reply.redirect(web.to('/identity/forgotten-password/code', web.uid(req)), 303);
  });

  codeThenPasswordPages(app, k, web, {
    start: '/identity/forgotten-password',
    code: '/code',
    password: '/new',
    copy: {
      code: {
        title: 'identity.forgotten.code.title',
        intro: 'identity.forgotten.code.intro',
        label: 'identity.forgotten.code.label',
        button: 'identity.forgotten.code.button',
      },
      password: {
        title: 'identity.forgotten.new.title',
        hint: 'identity.forgotten.new.hint',
        password: 'identity.forgotten.new.password',
        confirm: 'identity.forgotten.new.confirm',
        button: 'identity.forgotten.new.button',
      },
    },
    keys: { email: 'resetEmail', checkedAt: 'resetVerifiedAt' },
    checkCode: (email, code) => accounts.checkResetCode(email, code),
    async setPassword(req, reply, email, password) {
      // Someone who knew the old password is signed out everywhere; this browser signs in afresh.
      const account = await identity.resetPassword(email, password);
      await web.signIn(req, reply, account.id, 'Cl');
      const uid = web.uid(req);
      return uid ? web.done(uid) : account.mfa_method ? '/identity/sign-in/code' : '/identity/account';
    },
  });

  // Signing out of this browser, or everywhere.
  async function endHere(req: FastifyRequest, reply: FastifyReply) {
    const si = await web.signedIn(req);
    // The provider's own session (and every relying service in it) ends too.
    await identity.endBrowserSignIn(si?.signInId ?? null, req.cookies.cs_oidc_session ?? null);
    reply.clearCookie('cs_oidc_session', { path: '/identity' });
    reply.clearCookie('cs_oidc_session.sig', { path: '/identity' });
    if (req.cookies.cs_session) await k.sessions.destroy(req, reply);
  }

  app.post('/identity/sign-out', async (req, reply) => {
    await endHere(req, reply);
    return reply.redirect('/identity/signed-out', 303);
  });
  app.get('/identity/signed-out', async (req, reply) =>
    page(v, req, reply, 'signed-out', { title: web.t(req)('identity.signedOut.title') }),
  );

  app.get('/identity/sign-out-everywhere', async (req, reply) => {
    if (!(await web.signedIn(req))) return reply.redirect('/identity/sign-in', 303);
    const t = web.t(req);
    return page(v, req, reply, 'confirm', {
      title: t('identity.everywhere.title'),
      paragraphs: [t('identity.everywhere.p1'), t('identity.everywhere.p2')],
      action: '/identity/sign-out-everywhere',
      button: t('identity.everywhere.button'),
      warning: true,
      backUrl: '/identity/account',
      backText: t('identity.everywhere.back'),
    });
  });
  app.post('/identity/sign-out-everywhere', async (req, reply) => {
    const si = await web.signedIn(req);
    if (si) await identity.signOutEverywhere(si.account.id);
    await endHere(req, reply);
    return reply.redirect('/identity/signed-out', 303);
  });

  return { raise };
}
