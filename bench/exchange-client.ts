// The exchange benchmark's load client, in its own process: closed loop, CONNECTIONS requests in
// flight over keep-alive sockets for DURATION seconds; each direct request is signed afresh as the
// exchange would sign it (a new nonce each time), each exchange request carries the consumer's key.
// Prints one JSON line: { count, errors, p50, p99, rps }.
import http from 'node:http';
import { createPrivateKey } from 'node:crypto';
import { signRequest, bodyHash } from '../src/modules/exchange/jws.js';

const w = JSON.parse(process.env.BENCH_CLIENT!) as {
  mode: 'direct' | 'exchange';
  url: string;
  headers: Record<string, string>;
  kid?: string;
  pem?: string;
  claims?: Record<string, unknown>;
  connections: number;
  seconds: number;
};
const agent = new http.Agent({ keepAlive: true, maxSockets: w.connections });
const key = w.pem ? createPrivateKey(w.pem) : null;
const url = new URL(w.url);
const lat: number[] = [];
let errors = 0;
const end = Date.now() + w.seconds * 1000;

function once(): Promise<void> {
  const headers = { ...w.headers };
  if (w.mode === 'direct')
    headers['exchange-signature'] = signRequest(w.kid!, key!, {
      ...(w.claims as any),
      method: 'GET',
      path: url.pathname + url.search,
      body_sha256: bodyHash(undefined),
    });
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        else errors++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end();
  });
}
async function loop() {
  while (Date.now() < end) await once();
}
const t0 = Date.now();
await Promise.all(Array.from({ length: w.connections }, loop));
const secs = (Date.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
process.stdout.write(JSON.stringify({ count: lat.length, errors, p50: q(0.5), p99: q(0.99), rps: lat.length / secs }) + '\n');
agent.destroy();
