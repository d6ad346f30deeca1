// The step two journeys share: "check your email" (the emailed code) and then a new password.
// Creating an account and resetting a forgotten password both run it; each gives its paths,
// its copy, where its journey keeps the address and when the code was checked, and what the
// new password does. A password may be set only within 15 minutes of a checked code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { Lang } from './messages.js';
import { LIMITED, type JourneyState, type Web } from './web.js';
import { page, pageWithErrors } from './render.js';

export interface CodeThenPassword {
  /** The journey's first page (the email form): its steps are `${start}${code}` and `${start}${password}`. */
  start: string;
  code: string;
  password: string;
  /** Locale keys of the code page's and the password page's copy. */
  copy: {
    code: { title: string; intro: string; label: string; button: string };
    password: { title: string; hint: string; password: string; confirm: string; button: string };
  };
  /** Where the journey keeps the address the code went to, and when (epoch ms) that code was checked. */
  keys: { email: keyof JourneyState; checkedAt: keyof JourneyState };
  checkCode(email: string, code: string): Promise<void>;
  /** "Send a new code", when offered: its link text (a locale key) and what it does. */
  resend?: { text: string; send(email: string, lang: Lang): Promise<void> };
  /** Sets the password (IdentityErrors become the form's errors) and answers where to go next. */
  setPassword(req: FastifyRequest, reply: FastifyReply, email: string, password: string): Promise<string>;
}

export function codeThenPasswordPages(app: FastifyInstance, k: Kernel, web: Web, s: CodeThenPassword) {
  const v = k.views;
  const codePath = `${s.start}${s.code}`;
  const passwordPath = `${s.start}${s.password}`;
  const resendPath = `${s.start}/resend`;
  const emailOf = (j: JourneyState) => j[s.keys.email] as string | undefined;
  const restart = (req: FastifyRequest, reply: FastifyReply) => reply.redirect(web.to(s.start, web.uid(req)), 303);

  const codeForm = (req: FastifyRequest, email: string) => {
    const t = web.t(req);
    return {
      title: t(s.copy.code.title),
      paragraphs: [t(s.copy.code.intro, { email })],
      action: codePath,
      uid: web.uid(req),
      button: t(s.copy.code.button),
      fields: [{ name: 'code', type: 'code', label: t(s.copy.code.label) }],
      ...(s.resend ? { links: [{ href: resendPath, text: t(s.resend.text), post: true }] } : {}),
    };
  };
  app.get(codePath, async (req, reply) => {
    const email = emailOf(await web.journey(req));
    if (!email) return restart(req, reply);
    return page(v, req, reply, 'form', codeForm(req, email));
  });
  if (s.resend) {
    const { send } = s.resend;
    app.post(resendPath, { config: LIMITED }, async (req, reply) => {
      const email = emailOf(await web.journey(req));
      if (!email) return restart(req, reply);
      try {
        await send(email, web.lang(req));
      } catch (err) {
        const e = web.errors(req, err, 'code');
        return pageWithErrors(v, req, reply, 'form', e.fields, codeForm(req, email), e.status);
      }
      return reply.redirect(web.to(codePath, web.uid(req)), 303);
    });
  }
  app.post(codePath, { config: LIMITED }, async (req, reply) => {
    const j = await web.journey(req);
    const email = emailOf(j);
    if (!email) return restart(req, reply);
    const code = web.str(req, 'code', 20);
    if (!code) return pageWithErrors(v, req, reply, 'form', [web.field(req, 'code', 'codeMissing')], codeForm(req, email));
    try {
      await s.checkCode(email, code);
    } catch (err) {
      const e = web.errors(req, err, 'code');
      return pageWithErrors(v, req, reply, 'form', e.fields, codeForm(req, email), e.status);
    }
    await web.save(req, reply, { ...j, [s.keys.checkedAt]: Date.now() });
    return reply.redirect(web.to(passwordPath, web.uid(req)), 303);
  });

  const passwordForm = (req: FastifyRequest) => {
    const t = web.t(req);
    return {
      title: t(s.copy.password.title),
      action: passwordPath,
      uid: web.uid(req),
      button: t(s.copy.password.button),
      fields: [
        {
          name: 'password',
          type: 'password',
          label: t(s.copy.password.password),
          hint: t(s.copy.password.hint),
          autocomplete: 'new-password',
        },
        { name: 'confirm', type: 'password', label: t(s.copy.password.confirm), autocomplete: 'new-password' },
      ],
    };
  };
  /** The address whose code was checked within the last 15 minutes, or null. */
  const checked = (j: JourneyState) => {
    const email = emailOf(j);
    return email && web.fresh(j[s.keys.checkedAt] as number | undefined) ? email : null;
  };
  app.get(passwordPath, async (req, reply) => {
    if (!checked(await web.journey(req))) return restart(req, reply);
    return page(v, req, reply, 'form', passwordForm(req));
  });
  app.post(passwordPath, async (req, reply) => {
    const email = checked(await web.journey(req));
    if (!email) return restart(req, reply);
    const password = web.password(req, 'password');
    // An empty password is "enter a password" (from the rules), not "the passwords differ".
    if (password && password !== web.password(req, 'confirm'))
      return pageWithErrors(v, req, reply, 'form', [web.field(req, 'confirm', 'passwordsDiffer')], passwordForm(req));
    let next: string;
    try {
      next = await s.setPassword(req, reply, email, password);
    } catch (err) {
      const e = web.errors(req, err, 'password');
      return pageWithErrors(v, req, reply, 'form', e.fields, passwordForm(req), e.status);
    }
    return reply.redirect(next, 303);
  });
}
