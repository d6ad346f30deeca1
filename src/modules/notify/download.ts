// The page behind a "file sent by email" link: the recipient confirms the email address the
// file was sent to (when the sender asked for that), then downloads it. No sign-in; the link's
// key is the credential, and only its hash is stored.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { NotFound } from '../../kernel/errors.js';
import { str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { NotifyService } from './service.js';

export function downloadPages(app: FastifyInstance, k: Kernel, service: NotifyService) {
  const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
  const find = async (req: FastifyRequest) => {
    const { serviceId, docId } = req.params as { serviceId: string; docId: string };
    const key = String((req.query as Record<string, unknown>).key ?? '');
    const doc = await service.document(serviceId, docId, key);
    if (!doc) throw new NotFound(t(req)('notify.download.expired'));
    return { doc, action: `/notify/d/${serviceId}/${docId}?key=${encodeURIComponent(key)}` };
  };
  const file = (reply: FastifyReply, doc: { filename: string | null; mime_type: string; content: Uint8Array }) => {
    const name = (doc.filename ?? 'file').replace(/["\\\r\n]/g, '_');
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('x-content-type-options', 'nosniff')
      .type(doc.mime_type)
      .send(Buffer.from(doc.content));
  };
  const page = (req: FastifyRequest, reply: FastifyReply, ctx: Record<string, unknown>) =>
    renderPage(k.views, req, reply, 'notify/views/download.njk', {
      title: t(req)(ctx.confirm ? 'notify.download.confirmTitle' : 'notify.download.downloadTitle'),
      ...ctx,
    });

  app.get('/notify/d/:serviceId/:docId', { config: { rateLimit: { max: 60, timeWindow: '1 minute' } } }, async (req, reply) => {
    const { doc, action } = await find(req);
    if ((req.query as Record<string, unknown>).download === '1' && !doc.confirm_email) return file(reply, doc);
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    return page(req, reply, { confirm: doc.confirm_email, action, downloadUrl: `${action}&download=1`, filename: doc.filename });
  });

  app.post('/notify/d/:serviceId/:docId', { config: { rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (req, reply) => {
    const { doc, action } = await find(req);
    const email = str(req.body as FormBody | undefined, 'email', 320);
    if (!doc.confirm_email || (email && service.documentEmailMatches(doc, email))) return file(reply, doc);
    const message = t(req)(email ? 'notify.download.wrongEmail' : 'notify.download.enterEmail');
    reply.status(400);
    return page(req, reply, {
      confirm: true,
      action,
      filename: doc.filename,
      email,
      errorList: [{ text: message, href: '#email' }],
      errors: { email: { text: message } },
    });
  });
}
