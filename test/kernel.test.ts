// Kernel behaviour through HTTP: health and readiness, metrics, OpenAPI and docs, error
// shapes (400 with the field at fault, 404, 413, no 5xx details), security headers, CSRF,
// migrations safe to run twice at once, prepared reads, the audit log append-only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './helpers.js';
import { migrate } from '../src/kernel/migrations.js';
import { migrationSources } from '../src/app.js';
import { MIGRATION_SOURCES } from '../src/schema.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});
afterAll(async () => {
  await t?.close();
});

const json = { accept: 'application/json' };

describe('observability', () => {
  it('answers /health, /ready and /metrics', async () => {
    expect((await t.app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().database).toBe(process.env.DATABASE_URL ? 'postgres' : 'pglite');
    await t.app.inject({ url: '/api/catalogue/v1/services' });
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('route="/api/catalogue/v1/services"');
    expect(metrics.body).toContain('process_resident_memory_bytes');
  });

  it('publishes an OpenAPI document and the API docs', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/catalogue/v1/services/{slug}');
    expect(doc.paths['/api/catalogue/v1/services'].get.responses['200']).toBeDefined();
    const docs = await t.app.inject({ url: '/docs/' });
    expect([200, 302]).toContain(docs.statusCode);
  });

  it('gives every response a request id, echoing one it was sent', async () => {
    const r = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers['x-request-id']).toBe('abc-123');
    expect((await t.app.inject({ url: '/health' })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('errors', () => {
  it('answers 400 naming the field at fault', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/catalogue/v1/services/pay-a-parking-fine/feedback', payload: { rating: 9 } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ status: 400, code: 'validation_error', errors: [{ field: 'rating' }] });
    const missing = await t.app.inject({ method: 'POST', url: '/api/catalogue/v1/services/pay-a-parking-fine/feedback', payload: {} });
    expect(missing.json().errors[0].field).toBe('rating');
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/catalogue/v1/services/pay-a-parking-fine/feedback',
      headers: { 'content-type': 'application/json' },
      payload: '{"rating":',
    });
    expect(badJson.statusCode).toBe(400);
  });

  it('answers 404 as JSON for APIs and as a GOV.UK page for browsers', async () => {
    const api = await t.app.inject({ url: '/api/catalogue/v1/services/no-such-service' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ status: 404, code: 'service_not_found' });
    const page = await t.app.inject({ url: '/no/such/page', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Page not found');
    expect(page.body).toContain('govuk-template');
    const welsh = await t.app.inject({ url: '/no/such/page?lang=cy', headers: { accept: 'text/html' } });
    expect(welsh.body).toContain('Heb ddod o hyd i&#39;r dudalen');
    expect(welsh.body).toContain('lang="cy"');
  });

  it('answers 413 for an oversized body', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/catalogue/v1/services/pay-a-parking-fine/feedback',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ rating: 5, improvement: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().code).toBe('payload_too_large');
  });

  it('never shows the details of a server error', async () => {
    const boom = await buildTestApp({
      routes: (app) => {
        app.get('/__boom', { config: { api: true } }, async () => {
          throw new Error('secret internals: password=hunter2');
        });
        app.get('/__boom-page', async () => {
          throw new Error('secret internals: password=hunter2');
        });
      },
    });
    try {
      const r = await boom.app.inject({ url: '/__boom', headers: json });
      expect(r.statusCode).toBe(500);
      expect(r.body).not.toContain('hunter2');
      expect(r.json()).toMatchObject({ status: 500, code: 'internal_error' });
      const page = await boom.app.inject({ url: '/__boom-page', headers: { accept: 'text/html' } });
      expect(page.statusCode).toBe(500);
      expect(page.body).toContain('Sorry, there is a problem with the service');
      expect(page.body).not.toContain('hunter2');
    } finally {
      await boom.close();
    }
  });
});

describe('security', () => {
  it('sends security headers with a strict content security policy', async () => {
    const r = await t.app.inject({ url: '/no/such/page', headers: { accept: 'text/html' } });
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBeDefined();
    const nonce = /'nonce-([^']+)'/.exec(String(r.headers['content-security-policy']))![1];
    expect(r.body).toContain(`nonce="${nonce}"`);
  });

  it('rejects a form post without a valid CSRF token', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/services/pay-a-parking-fine/feedback',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: 'cs_csrf=abc' },
      payload: 'rating=5&_csrf=forged',
    });
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('This form has expired');
  });

  it('rate limits with a 429', async () => {
    const limited = await buildTestApp({ rateLimitPerMinute: 3 });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await limited.app.inject({ url: '/api/catalogue/v1/services' })).statusCode);
      expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
      expect(codes[4]).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('database', () => {
  it('applies migrations safely when two processes start at once', async () => {
    const sources = migrationSources(t.modules);
    const [a, b] = await Promise.all([migrate(t.kernel.db, sources), migrate(t.kernel.db, sources)]);
    expect([...a, ...b]).toEqual([]); // everything was already applied at start-up, exactly once
    const { rows } = await t.kernel.db.query<{ n: number; d: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT (module, name))::int AS d FROM kernel.migrations',
    );
    expect(rows[0].n).toBe(rows[0].d);
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
  });

  it('runs a prepared read with new parameters each time, pooled and in a transaction', async () => {
    const sql = 'SELECT $1::int * 2 AS n, $2::text AS s';
    const prepare = { prepare: true };
    const many = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.kernel.db.query<{ n: number; s: string }>(sql, [i, `x${i}`], prepare)),
    );
    expect(many.map((r) => r.rows[0])).toEqual(Array.from({ length: 30 }, (_, i) => ({ n: i * 2, s: `x${i}` })));
    const inTx = await t.kernel.db.transaction(async (tx) => [
      (await tx.query(sql, [5, 'a'], prepare)).rows[0],
      (await tx.query(sql, [6, 'b'], prepare)).rows[0],
    ]);
    expect(inTx).toEqual([
      { n: 10, s: 'a' },
      { n: 12, s: 'b' },
    ]);
    // A bad parameter fails that call only; the statement still serves the next.
    await expect(t.kernel.db.query(sql, ['not a number', 'c'], prepare)).rejects.toThrow();
    expect((await t.kernel.db.query(sql, [7, 'd'], prepare)).rows[0]).toEqual({ n: 14, s: 'd' });
  });

  it('names the schema of every module, in mount order, without loading them (schema.ts)', () => {
    expect(MIGRATION_SOURCES).toEqual(migrationSources(t.modules));
  });

  it('keeps the audit log append-only', async () => {
    await t.kernel.db.transaction((tx) =>
      t.kernel.audit.record(tx, { actor: 'cli', action: 'test.thing', subject: 'x', before: { a: 1 }, after: { a: 2 } }),
    );
    const [entry] = await t.kernel.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ actor: 'cli', action: 'test.thing', before: { a: 1 }, after: { a: 2 } });
    await expect(t.kernel.db.query('UPDATE kernel.audit_log SET actor = $1', ['mallory'])).rejects.toThrow(/append-only/);
    await expect(t.kernel.db.query('DELETE FROM kernel.audit_log')).rejects.toThrow(/append-only/);
  });
});
