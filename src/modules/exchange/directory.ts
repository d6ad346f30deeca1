// The exchange's directory in memory: members, subsystems, services with their attributes and
// endpoints, legal bases, live access rights, peers and keys. Every request reads it, so it
// is loaded once and reloaded in every process when anything changes (LISTEN/NOTIFY), which
// makes a revoked right effective for the very next request everywhere.
import type { Db, Queryable } from '../../kernel/db.js';
import type { Logger } from 'pino';
import {
  store,
  type AttributeRow,
  type BasisRow,
  type KeyRow,
  type MemberRow,
  type PeerRow,
  type RightRow,
  type ServiceRow,
  type SubsystemRow,
} from './store.js';
import { attributeId, memberKey, type ServiceRef } from './ids.js';

export const CHANNEL = 'cityscape_exchange';

export interface Member {
  row: MemberRow;
  key: string;
  keys: KeyRow[];
  subsystems: Subsystem[];
}
export interface Subsystem {
  row: SubsystemRow;
  key: string;
  member: Member;
  services: Service[];
}
export interface Service {
  row: ServiceRow;
  key: string;
  ref: ServiceRef;
  subsystem: Subsystem;
  attributes: AttributeRow[];
  endpoints: Array<{ method: string; path: string }>;
}
export interface RemoteMember {
  peer: PeerRow;
  member: { id: string; name: string; keys: Array<Record<string, unknown>>; subsystems: Array<{ code: string; services: string[] }> };
}
export interface Directory {
  node: { id: string; instance: string };
  members: Map<string, Member>;
  subsystems: Map<string, Subsystem>;
  services: Map<string, Service>;
  servicesById: Map<string, Service>;
  bases: Map<string, BasisRow>;
  rights: Map<string, RightRow[]>; // `${client}|${serviceId}`
  peers: PeerRow[];
  remote: Map<string, RemoteMember>; // member key → the peer that serves it
  nodeKeys: KeyRow[];
}

/** OpenAPI paths → X-Road's endpoint list (path parameters become `*`). */
export function endpointsOf(openapi: Record<string, any>): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const [path, ops] of Object.entries((openapi?.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const m of Object.keys(ops ?? {}))
      if (['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(m))
        out.push({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, '*') });
  }
  return out;
}

async function load(db: Queryable): Promise<Directory> {
  const [node, members, subsystems, services, attributes, bases, rights, peers, keys] = await Promise.all([
    store.node(db),
    store.members(db),
    store.subsystems(db),
    store.services(db),
    store.attributes(db),
    store.bases(db),
    store.rights(db),
    store.peers(db),
    store.keys(db),
  ]);
  const d: Directory = {
    node: node ?? { id: 'cityscape', instance: 'UK' },
    members: new Map(),
    subsystems: new Map(),
    services: new Map(),
    servicesById: new Map(),
    bases: new Map(bases.map((b) => [b.id, b])),
    rights: new Map(),
    peers,
    remote: new Map(),
    nodeKeys: keys.filter((k) => !k.member_id),
  };
  const membersById = new Map<string, Member>();
  for (const row of members) {
    const m: Member = {
      row,
      key: memberKey({ instance: row.instance, memberClass: row.member_class, memberCode: row.member_code }),
      keys: [],
      subsystems: [],
    };
    m.keys = keys.filter((k) => k.member_id === row.id);
    membersById.set(row.id, m);
    d.members.set(m.key, m);
  }
  const subsById = new Map<string, Subsystem>();
  for (const row of subsystems) {
    const member = membersById.get(row.member_id)!;
    const s: Subsystem = { row, key: `${member.key}/${row.code}`, member, services: [] };
    member.subsystems.push(s);
    subsById.set(row.id, s);
    d.subsystems.set(s.key, s);
  }
  for (const row of services) {
    const sub = subsById.get(row.subsystem_id)!;
    const m = sub.member.row;
    const s: Service = {
      row,
      key: `${sub.key}/${row.code}`,
      ref: { instance: m.instance, memberClass: m.member_class, memberCode: m.member_code, subsystem: sub.row.code, service: row.code },
      subsystem: sub,
      attributes: attributes.filter((a) => a.service_id === row.id),
      endpoints: endpointsOf(row.openapi),
    };
    sub.services.push(s);
    d.services.set(s.key, s);
    d.servicesById.set(row.id, s);
  }
  for (const r of rights) {
    const k = `${r.client}|${r.service_id}`;
    d.rights.set(k, [...(d.rights.get(k) ?? []), r]);
  }
  for (const peer of peers) {
    for (const m of (peer.trust?.members ?? []) as RemoteMember['member'][])
      if (!d.members.has(m.id)) d.remote.set(m.id, { peer, member: m });
  }
  return d;
}

export function createDirectory(db: Db, log: Logger) {
  let current: Promise<Directory> | null = null;
  let generation = 0;
  const listeners = new Set<() => void>();
  const invalidate = () => {
    generation++;
    current = null;
    for (const l of listeners) l();
  };
  void db.listen(CHANNEL, invalidate).catch((err) => log.warn({ err }, 'exchange: change notifications unavailable'));
  return {
    get(): Promise<Directory> {
      if (!current) {
        const gen = generation;
        const p = load(db);
        current = p;
        p.catch(() => {
          if (generation === gen) current = null;
        });
      }
      return current;
    },
    /** Call inside the changing transaction: every process reloads once it commits. */
    notify: (tx: Queryable) => tx.query(`SELECT pg_notify('${CHANNEL}', '')`),
    invalidate,
    onChange(fn: () => void) {
      listeners.add(fn);
    },
  };
}
export type DirectoryCache = ReturnType<typeof createDirectory>;

/** The attributes of a service in the contract's shape. */
export function attributeView(s: Service) {
  return s.attributes.map((a) => ({
    id: attributeId(s.ref.memberCode, s.ref.subsystem, a.name),
    name: a.title,
    nameCy: a.title_cy,
    provider: s.subsystem.member.key,
    providerName: s.subsystem.member.row.name,
    service: s.key,
    dpvCategory: a.dpv_category,
    sensitivity: a.sensitivity,
  }));
}
