// Creating an account (email → emailed code → password, then signed in; the code and password
// steps are pages-code-password.ts) and setting up a second factor (authenticator app with a
// TOTP secret, or a mobile number confirmed by a code).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { seal, unseal } from '../../kernel/crypto.js';
import type { Accounts } from './accounts.js';
import { LIMITED, type Web } from './web.js';
import { page, pageWithErrors } from './render.js';
import QRCode from 'qrcode';
import { otpauthUri } from './totp.js';
import { codeThenPasswordPages } from './pages-code-password.js';

const QR_SIZE = 240;

export function registerPages(
  app: FastifyInstance,
  k: Kernel,
  web: Web,
  accounts: Accounts,
  raise: (req: FastifyRequest, reply: FastifyReply, signInId: string) => Promise<void>,
) {
  const v = k.views;
  const key = k.config.encryptionKey;

  const emailForm = (req: FastifyRequest, email = '') => {
    const t = web.t(req);
    const uid = web.uid(req);
    const service = web.cameFromNow(req);
    return {
      title: t('identity.register.title'),
      paragraphs: [...(service ? [t('identity.register.continueTo', { service })] : []), t('identity.register.intro')],
      action: '/identity/create-account',
      uid,
      button: t('identity.register.button'),
      fields: [{ name: 'email', label: t('identity.register.email'), inputType: 'email', autocomplete: 'email', value: email }],
      links: [{ href: web.to('/identity/sign-in', uid), text: t('identity.register.signIn') }],
    };
  };
  app.get('/identity/create-account', async (req, reply) => {
    if (!web.uid(req)) await web.rememberReturn(req, reply);
    return page(v, req, reply, 'form', emailForm(req));
  });
  app.post('/identity/create-account', { config: LIMITED }, async (req, reply) => {
    const raw = web.str(req, 'email', 320);
    const uid = web.uid(req);
    let r: { exists: boolean; email: string };
    try {
      r = await accounts.startRegistration(raw, web.lang(req));
    } catch (err) {
      const e = web.errors(req, err, 'email');
      return pageWithErrors(v, req, reply, 'form', e.fields, emailForm(req, raw), e.status);
    }
    if (r.exists) return reply.redirect(web.to('/identity/sign-in?exists=1', uid), 303);
    await web.save(req, reply, { ...(await web.journey(req)), registerEmail: r.email, registerVerifiedAt: undefined });
    return reply.redirect(web.to('/identity/create-account/code', uid), 303);
  });

  codeThenPasswordPages(app, k, web, {
    start: '/identity/create-account',
    code: '/code',
    password: '/password',
    copy: {
      code: {
        title: 'identity.register.checkEmail.title',
        intro: 'identity.register.checkEmail.intro',
        label: 'identity.register.checkEmail.label',
        button: 'identity.register.checkEmail.button',
      },
      password: {
        title: 'identity.register.password.title',
        hint: 'identity.register.password.hint',
        password: 'identity.register.password.password',
        confirm: 'identity.register.password.confirm',
        button: 'identity.register.password.button',
      },
    },
    keys: { email: 'registerEmail', checkedAt: 'registerVerifiedAt' },
    checkCode: (email, code) => accounts.checkCode('confirm_email', email, code),
    resend: {
      text: 'identity.register.checkEmail.resend',
      send: (email, lang) => accounts.sendCode('confirm_email', email, { email }, lang),
    },
    async setPassword(req, reply, email, password) {
      const account = await accounts.createAccount(email, password);
      await web.signIn(req, reply, account.id, 'Cl');
      const uid = web.uid(req);
      return uid ? web.done(uid) : '/identity/two-factor';
    },
  });

  // Second factor set-up. Replacing an existing one needs a sign-in that already used it.
  async function mayChange(req: FastifyRequest, reply: FastifyReply) {
    const si = await web.signedIn(req);
    if (!si) {
      reply.redirect(web.to('/identity/sign-in', web.uid(req)), 303);
      return null;
    }
    if (si.account.mfa_method && si.level !== 'Cl.Cm') {
      reply.redirect(web.to('/identity/sign-in/code', web.uid(req)), 303);
      return null;
    }
    return si;
  }

  const chooseForm = (req: FastifyRequest, value = '') => {
    const t = web.t(req);
    return {
      title: t('identity.twoFactor.title'),
      paragraphs: [t('identity.twoFactor.intro')],
      action: '/identity/two-factor',
      uid: web.uid(req),
      button: t('identity.twoFactor.button'),
      fields: [
        {
          type: 'radios',
          name: 'method',
          legend: t('identity.twoFactor.legend'),
          value,
          items: [
            { value: 'app', text: t('identity.twoFactor.appOption'), hint: { text: t('identity.twoFactor.appHint') } },
            { value: 'sms', text: t('identity.twoFactor.smsOption'), hint: { text: t('identity.twoFactor.smsHint') } },
          ],
        },
      ],
    };
  };
  app.get('/identity/two-factor', async (req, reply) => {
    if (!(await mayChange(req, reply))) return reply;
    return page(v, req, reply, 'form', chooseForm(req));
  });
  app.post('/identity/two-factor', async (req, reply) => {
    if (!(await mayChange(req, reply))) return reply;
    const method = web.str(req, 'method');
    if (method !== 'app' && method !== 'sms')
      return pageWithErrors(v, req, reply, 'form', [web.field(req, 'method', 'chooseMethod')], chooseForm(req));
    return reply.redirect(web.to(`/identity/two-factor/${method}`, web.uid(req)), 303);
  });

  // The key as a QR code drawn here (a PNG data URI: no script, nothing fetched), beside the key as text.
  const appForm = async (req: FastifyRequest, secret: string, email: string) => {
    const t = web.t(req);
    const uri = otpauthUri(secret, email, 'Cityscape');
    return {
      title: t('identity.twoFactor.app.title'),
      paragraphs: [t('identity.twoFactor.app.p1')],
      action: '/identity/two-factor/app',
      uid: web.uid(req),
      button: t('identity.twoFactor.app.button'),
      secret: secret.replace(/(.{4})/g, '$1 ').trim(),
      secretUri: uri,
      qr: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 4, width: QR_SIZE }),
      qrSize: QR_SIZE,
      fields: [{ name: 'code', type: 'code', label: t('identity.twoFactor.app.label') }],
    };
  };
  app.get('/identity/two-factor/app', async (req, reply) => {
    const si = await mayChange(req, reply);
    if (!si) return reply;
    const j = await web.journey(req);
    let secret = j.totpSecret ? unseal(key, j.totpSecret) : null;
    if (!secret) {
      secret = accounts.newTotpSecret();
      await web.save(req, reply, { ...j, totpSecret: seal(key, secret) });
    }
    return page(v, req, reply, 'form', await appForm(req, secret, si.account.email));
  });
  app.post('/identity/two-factor/app', { config: LIMITED }, async (req, reply) => {
    const si = await mayChange(req, reply);
    if (!si) return reply;
    const j = await web.journey(req);
    if (!j.totpSecret) return reply.redirect(web.to('/identity/two-factor/app', web.uid(req)), 303);
    const secret = unseal(key, j.totpSecret);
    const code = web.str(req, 'code', 20);
    if (!code)
      return pageWithErrors(v, req, reply, 'form', [web.field(req, 'code', 'codeMissing')], await appForm(req, secret, si.account.email));
    try {
      await accounts.confirmTotp(si.account.id, secret, code);
    } catch (err) {
      const e = web.errors(req, err, 'code');
      return pageWithErrors(v, req, reply, 'form', e.fields, await appForm(req, secret, si.account.email), e.status);
    }
    await raise(req, reply, si.signInId);
    return reply.redirect(
      web.uid(req) ? web.done(web.uid(req)) : await web.finish(req, reply, null, '/identity/account?done=second-factor'),
      303,
    );
  });

  const phoneForm = (req: FastifyRequest, phone = '') => {
    const t = web.t(req);
    return {
      title: t('identity.twoFactor.sms.title'),
      action: '/identity/two-factor/sms',
      uid: web.uid(req),
      button: t('identity.twoFactor.sms.button'),
      fields: [
        {
          name: 'phone',
          label: t('identity.twoFactor.sms.phone'),
          hint: t('identity.twoFactor.sms.phoneHint'),
          inputType: 'tel',
          autocomplete: 'tel',
          value: phone,
          classes: 'govuk-!-width-one-half',
        },
      ],
    };
  };
  app.get('/identity/two-factor/sms', async (req, reply) => {
    if (!(await mayChange(req, reply))) return reply;
    return page(v, req, reply, 'form', phoneForm(req));
  });
  app.post('/identity/two-factor/sms', { config: LIMITED }, async (req, reply) => {
    const si = await mayChange(req, reply);
    if (!si) return reply;
    const raw = web.str(req, 'phone', 40);
    let phone: string;
    try {
      phone = await accounts.startSmsSetup(si.account.id, raw, web.lang(req));
    } catch (err) {
      const e = web.errors(req, err, 'phone');
      return pageWithErrors(v, req, reply, 'form', e.fields, phoneForm(req, raw), e.status);
    }
    await web.save(req, reply, { ...(await web.journey(req)), smsPhone: phone });
    return reply.redirect(web.to('/identity/two-factor/sms/code', web.uid(req)), 303);
  });

  const smsCodeForm = (req: FastifyRequest, phone: string) => {
    const t = web.t(req);
    return {
      title: t('identity.twoFactor.smsCode.title'),
      paragraphs: [t('identity.twoFactor.smsCode.intro', { phone })],
      action: '/identity/two-factor/sms/code',
      uid: web.uid(req),
      button: t('identity.twoFactor.smsCode.button'),
      fields: [{ name: 'code', type: 'code', label: t('identity.twoFactor.smsCode.label') }],
    };
  };
  app.get('/identity/two-factor/sms/code', async (req, reply) => {
    if (!(await mayChange(req, reply))) return reply;
    const j = await web.journey(req);
    if (!j.smsPhone) return reply.redirect(web.to('/identity/two-factor/sms', web.uid(req)), 303);
    return page(v, req, reply, 'form', smsCodeForm(req, j.smsPhone));
  });
  app.post('/identity/two-factor/sms/code', { config: LIMITED }, async (req, reply) => {
    const si = await mayChange(req, reply);
    if (!si) return reply;
    const j = await web.journey(req);
    if (!j.smsPhone) return reply.redirect(web.to('/identity/two-factor/sms', web.uid(req)), 303);
    const code = web.str(req, 'code', 20);
    if (!code) return pageWithErrors(v, req, reply, 'form', [web.field(req, 'code', 'codeMissing')], smsCodeForm(req, j.smsPhone));
    try {
      await accounts.confirmSms(si.account.id, j.smsPhone, code);
    } catch (err) {
      const e = web.errors(req, err, 'code');
      return pageWithErrors(v, req, reply, 'form', e.fields, smsCodeForm(req, j.smsPhone), e.status);
    }
    await raise(req, reply, si.signInId);
    return reply.redirect(
      web.uid(req) ? web.done(web.uid(req)) : await web.finish(req, reply, null, '/identity/account?done=second-factor'),
      303,
    );
  });
}
