// What this node publishes about itself, as X-Road's central server and global configuration
// do: the signed trust list at /exchange/trust (members, their subsystems and services, their
// public keys, the node's keys), and the same members as X-Road shared parameters — served
// zipped at /verificationconf and through /internalconf — so X-Road tooling such as RIA's
// xrdinfo can list members and subsystems.
import { deflateRawSync, crc32 } from 'node:zlib';
import { canonicalJson } from './canonical.js';
import { signJws, verifyJws } from './jws.js';
import type { KeyObject } from 'node:crypto';
import type { Directory } from './directory.js';

export interface TrustList {
  instance: string;
  node: { id: string; url: string; keys: Array<Record<string, unknown>> };
  members: Array<{
    id: string;
    instance: string;
    member_class: string;
    member_code: string;
    name: string;
    keys: Array<Record<string, unknown>>;
    subsystems: Array<{ code: string; name: string; services: string[] }>;
  }>;
  issued_at: string;
  signature?: string;
}

export function buildTrustList(d: Directory, url: string): Omit<TrustList, 'signature'> {
  return {
    instance: d.node.instance,
    node: { id: d.node.id, url, keys: d.nodeKeys.map((k) => k.public_jwk) },
    members: [...d.members.values()].map((m) => ({
      id: m.key,
      instance: m.row.instance,
      member_class: m.row.member_class,
      member_code: m.row.member_code,
      name: m.row.name,
      keys: m.keys.map((k) => k.public_jwk),
      subsystems: m.subsystems.map((s) => ({ code: s.row.code, name: s.row.name, services: s.services.map((x) => x.row.code) })),
    })),
    issued_at: new Date().toISOString(),
  };
}

/** The list with a JWS (by the node's key) over its canonical JSON without the signature. */
export function signTrustList(list: Omit<TrustList, 'signature'>, kid: string, key: KeyObject): TrustList {
  return { ...list, signature: signJws({ kid, typ: 'exchange-trust+jws' }, JSON.parse(canonicalJson(list)), key) };
}

/** Checks a fetched trust list against node keys (pinned, or its own when first seen). */
export function verifyTrustList(list: TrustList, keyFor: (kid: string) => KeyObject | null): boolean {
  const { signature, ...rest } = list;
  const v = verifyJws(signature, keyFor);
  return !!v && canonicalJson(v.payload) === canonicalJson(rest);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** X-Road shared parameters (PR-GCONF): members, subsystems and this node as their security server. */
export function sharedParams(d: Directory, host: string): string {
  const members = [...d.members.values()];
  const id = (m: string) => `m-${Buffer.from(m).toString('hex').slice(0, 40)}`;
  const body = members
    .map(
      (m) => `  <member id="${id(m.key)}">
    <memberClass><code>${esc(m.row.member_class)}</code><description>${esc(m.row.member_class)}</description></memberClass>
    <memberCode>${esc(m.row.member_code)}</memberCode>
    <name>${esc(m.row.name)}</name>
${m.subsystems.map((s) => `    <subsystem id="${id(s.key)}"><subsystemCode>${esc(s.row.code)}</subsystemCode></subsystem>`).join('\n')}
  </member>`,
    )
    .join('\n');
  const owner = members[0];
  const server = owner
    ? `  <securityServer>
    <owner>${id(owner.key)}</owner>
    <serverCode>${esc(d.node.id)}</serverCode>
    <address>${esc(host)}</address>
${members.flatMap((m) => m.subsystems.map((s) => `    <client>${id(s.key)}</client>`)).join('\n')}
  </securityServer>`
    : '';
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<tns:conf xmlns:tns="http://x-road.eu/xsd/xroad.xsd">
  <instanceIdentifier>${esc(d.node.instance)}</instanceIdentifier>
${body}
${server}
  <globalSettings><ocspFreshnessSeconds>600</ocspFreshnessSeconds></globalSettings>
</tns:conf>
`;
}

/** A zip archive (deflated entries) of the given files. */
export function zip(files: Array<{ name: string; data: Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const packed = deflateRawSync(f.data);
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}
