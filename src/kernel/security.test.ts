// The content security policy's form-action: 'self' on every page, plus exactly the origins a
// page names with reply.allowFormAction (only http and https), however it orders that and its
// nonce; a route's own policy is left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { installSecurityHeaders } from './security.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  installSecurityHeaders(app, { https: true });
  app.get('/plain', async () => 'plain');
  app.get('/service', async (_req, reply) => {
    reply.allowFormAction('https://service.example.org/done?x=1');
    reply.allowFormAction('https://service.example.org/other');
    return reply.type('text/html').send(`nonce ${reply.cspNonce.script}`);
  });
  app.get('/nonce-first', async (_req, reply) => {
    const nonce = reply.cspNonce.script;
    reply.allowFormAction('http://localhost:8080/callback');
    return `nonce ${nonce}`;
  });
  app.get('/refused', async (_req, reply) => {
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,x',
      '/relative',
      'not a url',
      null,
      undefined,
      "https://a.example/'; script-src *",
    ])
      reply.allowFormAction(url);
    return 'x';
  });
  app.get('/own', async (_req, reply) => {
    reply.header('content-security-policy', "default-src 'none'");
    reply.allowFormAction('https://service.example.org/');
    return 'own';
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

const formAction = async (url: string) =>
  /form-action ([^;]*)/.exec(String((await app.inject({ url })).headers['content-security-policy']))?.[1];

describe('form-action', () => {
  it('is only self, unless a page names where its form leads', async () => {
    expect(await formAction('/plain')).toBe("'self'");
    expect(await formAction('/service')).toBe("'self' https://service.example.org");
    expect(await formAction('/nonce-first')).toBe("'self' http://localhost:8080");
    const res = await app.inject({ url: '/service' });
    const nonce = res.body.split(' ')[1];
    expect(res.headers['content-security-policy']).toContain(`script-src 'self' 'nonce-${nonce}'`);
    expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });

  it('takes only http(s) origins, never a scheme, a path or text of the caller’s', async () => {
    expect(await formAction('/refused')).toBe("'self' https://a.example");
  });

  it('leaves a route’s own policy as it is', async () => {
    expect((await app.inject({ url: '/own' })).headers['content-security-policy']).toBe("default-src 'none'");
  });
});
