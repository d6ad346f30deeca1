// X-Road's metaservices on the wire as PR-META and PR-MREST give them: listClients at the root
// (JSON or X-Road's clientList XML by Accept), and per provider subsystem listMethods,
// allowedMethods (what this client may call) and getOpenAPI?serviceCode=. listClients,
// listMethods and getOpenAPI are public catalogue information; allowedMethods needs the key.
import type { Directory, Service, Subsystem } from './directory.js';

export const METASERVICES = new Set(['listMethods', 'allowedMethods', 'getOpenAPI']);

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function listClients(d: Directory, instance: string | undefined, json: boolean): { type: string; body: string } {
  const members = [...d.members.values()].filter((m) => !instance || m.row.instance === instance);
  const items: Array<{ id: Record<string, string>; name: string; subsystem_name?: string }> = [];
  for (const m of members) {
    const base = { member_class: m.row.member_class, member_code: m.row.member_code, xroad_instance: m.row.instance };
    items.push({ id: { ...base, object_type: 'MEMBER' }, name: m.row.name });
    for (const s of m.subsystems)
      items.push({ id: { ...base, subsystem_code: s.row.code, object_type: 'SUBSYSTEM' }, name: m.row.name, subsystem_name: s.row.name });
  }
  if (json) return { type: 'application/json; charset=utf-8', body: JSON.stringify({ member: items }) };
  const xml = items
    .map(
      (i) => `    <ns2:member>
        <ns2:id ns1:objectType="${i.id.object_type}">
            <ns1:xRoadInstance>${esc(i.id.xroad_instance)}</ns1:xRoadInstance>
            <ns1:memberClass>${esc(i.id.member_class)}</ns1:memberClass>
            <ns1:memberCode>${esc(i.id.member_code)}</ns1:memberCode>${i.id.subsystem_code ? `\n            <ns1:subsystemCode>${esc(i.id.subsystem_code)}</ns1:subsystemCode>` : ''}
        </ns2:id>
        <ns2:name>${esc(i.name)}</ns2:name>${i.subsystem_name ? `\n        <ns2:subsystemName>${esc(i.subsystem_name)}</ns2:subsystemName>` : ''}
    </ns2:member>`,
    )
    .join('\n');
  return {
    type: 'text/xml; charset=utf-8',
    body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ns2:clientList xmlns:ns1="http://x-road.eu/xsd/identifiers" xmlns:ns2="http://x-road.eu/xsd/xroad.xsd">\n${xml}\n</ns2:clientList>\n`,
  };
}

/** One service in PR-MREST's restServiceDetails shape. */
export function serviceDetails(s: Service, endpoints = s.endpoints) {
  return {
    member_class: s.ref.memberClass,
    member_code: s.ref.memberCode,
    object_type: 'SERVICE',
    service_code: s.ref.service,
    service_type: 'OPENAPI',
    subsystem_code: s.ref.subsystem,
    xroad_instance: s.ref.instance,
    endpoint_list: endpoints,
  };
}

export function listMethods(sub: Subsystem) {
  return { service: sub.services.map((s) => serviceDetails(s)) };
}

/** The provider's services this client holds a live right to. */
export function allowedMethods(d: Directory, sub: Subsystem, client: string) {
  return { service: sub.services.filter((s) => d.rights.get(`${client}|${s.row.id}`)?.length).map((s) => serviceDetails(s)) };
}
