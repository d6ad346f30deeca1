// /metrics is not public: only the addresses in METRICS_ALLOW (loopback by default) or a
// caller with the bearer token in METRICS_TOKEN read it; behind a trusted proxy the client's
// address is the one that counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers.js';
import { ConfigError, loadConfig } from '../config.js';

const TOKEN = 'metrics-token-0123456789';
let plain: TestApp;
let guarded: TestApp;

beforeAll(async () => {
  plain = await buildTestApp({ trustProxy: '127.0.0.1' });
  guarded = await buildTestApp({ metricsAllow: ['10.0.0.0/8', 'fd00::/8'], metricsToken: TOKEN });
});
afterAll(async () => {
  await plain?.close();
  await guarded?.close();
});

const get = (t: TestApp, remoteAddress: string, headers: Record<string, string> = {}) =>
  t.app.inject({ url: '/metrics', remoteAddress, headers });

describe('/metrics', () => {
  it('is served to loopback by default, and to no one else', async () => {
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const res = await get(plain, ip);
      expect(res.statusCode, ip).toBe(200);
      expect(res.body).toContain('process_resident_memory_bytes');
    }
    for (const ip of ['203.0.113.7', '10.1.2.3', '::ffff:198.51.100.1', '2001:db8::1']) {
      const res = await get(plain, ip);
      expect(res.statusCode, ip).toBe(403);
      expect(res.body).not.toContain('process_');
    }
    // Behind a trusted proxy on loopback, the client it names is the one that counts.
    expect((await get(plain, '127.0.0.1', { 'x-forwarded-for': '203.0.113.7' })).statusCode).toBe(403);
  });

  it('is served to the addresses in METRICS_ALLOW, and to anyone with the METRICS_TOKEN', async () => {
    expect((await get(guarded, '10.20.30.40')).statusCode).toBe(200);
    expect((await get(guarded, 'fd00::5')).statusCode).toBe(200);
    const refused = await get(guarded, '127.0.0.1');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await get(guarded, '203.0.113.7', { authorization: `Bearer ${TOKEN}x` })).statusCode).toBe(401);
    const withToken = await get(guarded, '203.0.113.7', { authorization: `Bearer ${TOKEN}` });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.body).toContain('http_request_duration_seconds');
  });

  it('refuses settings it cannot read', () => {
    const env = { SESSION_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'y'.repeat(32) };
    expect(loadConfig({ ...env }).metricsAllow).toEqual(['127.0.0.1', '::1']);
    expect(loadConfig({ ...env, METRICS_ALLOW: '10.0.0.0/8, 192.0.2.1' }).metricsAllow).toEqual(['10.0.0.0/8', '192.0.2.1']);
    expect(loadConfig({ ...env, METRICS_ALLOW: '' }).metricsAllow).toEqual([]);
    expect(() => loadConfig({ ...env, METRICS_ALLOW: 'localhost' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, METRICS_ALLOW: '10.0.0.0/33' })).toThrow(/METRICS_ALLOW/);
    expect(() => loadConfig({ ...env, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
