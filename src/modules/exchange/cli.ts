// The exchange's and registries' commands for the `cityscape` command line (src/commands.ts
// spreads them into its table): members, services, rights, peers, verify-log, and
// `registries serve`, which runs on its own rather than inside a server.
import { table, type Command } from '../../commands.js';

const cli = { kind: 'cli' } as const;
const str = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
const list = (x: unknown) =>
  typeof x === 'string'
    ? x
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

const unknown = (group: string, action: string, out: { err(s: string): void }, usage: string) => {
  out.err(`cityscape: unknown command "exchange ${group} ${action}" (try: cityscape ${usage})`);
  return 2;
};

export const EXCHANGE_COMMANDS: Record<string, Command> = {
  'exchange members': {
    usage: 'exchange members list [--json]',
    summary: 'List the exchange members (instance/class/code), their subsystems and signing keys',
    positionals: ['ACTION'],
    options: { json: flag },
    async run(ctx, v, [action], out) {
      if (action !== 'list') return unknown('members', action, out, 'exchange members list');
      const d = await ctx.built.modules.exchange.directory.get();
      const rows = [...d.members.values()].map((m) => ({
        id: m.key,
        name: m.row.name,
        organisation_id: m.row.organisation_id,
        subsystems: m.subsystems.map((s) => ({ id: s.key, name: s.row.name, service_id: s.row.service_id })),
        keys: m.keys.map((k) => k.kid),
      }));
      if (v.json) return out.line(JSON.stringify(rows, null, 2));
      if (!rows.length) return out.line('The exchange has no members yet (try: cityscape seed-demo).');
      out.line(
        table(
          ['MEMBER', 'NAME', 'SUBSYSTEMS'],
          rows.map((r) => [r.id, r.name, r.subsystems.map((s) => s.id.split('/').pop()!).join(', ') || '-']),
        ),
      );
    },
  },
  'exchange services': {
    usage: 'exchange services (list [--json] | set-url SERVICE URL)',
    summary: 'List data services with their attributes and where they answer, or point one at another URL',
    positionals: ['ACTION...'],
    options: { json: flag },
    async run(ctx, v, [action, ...args], out) {
      const ex = ctx.built.modules.exchange;
      if (action === 'set-url') {
        if (args.length !== 2) return unknown('services', `${action} …`, out, 'exchange services set-url SERVICE URL');
        const r = await ex.service.setServiceUrl(cli, args[0], args[1]);
        return out.line(`${r.service} now answers at ${r.url}`);
      }
      if (action !== 'list') return unknown('services', action, out, 'exchange services list');
      const d = await ex.directory.get();
      const rows = [...d.services.values()].map((s) => ({
        id: s.key,
        title: s.row.title,
        version: s.row.version,
        url: s.row.url,
        attributes: s.attributes.map((a) => ({ name: a.name, title: a.title, dpv_category: a.dpv_category, sensitivity: a.sensitivity })),
      }));
      if (v.json) return out.line(JSON.stringify(rows, null, 2));
      if (!rows.length) return out.line('No data services are registered.');
      out.line(
        table(
          ['SERVICE', 'TITLE', 'ATTRIBUTES', 'URL'],
          rows.map((r) => [r.id, r.title, r.attributes.map((a) => a.name).join(','), r.url]),
        ),
      );
    },
  },
  'exchange rights': {
    usage:
      'exchange rights (list [--json] | grant --client SUBSYSTEM --service SERVICE --purposes P[,P] --attributes A[,A] --bases B[,B] [--covert-days N] | revoke ID)',
    summary: 'Access rights: which client subsystem may call which service, for which purposes, attributes and legal bases',
    positionals: ['ACTION...'],
    options: { json: flag, client: str, service: str, purposes: str, attributes: str, bases: str, 'covert-days': str },
    async run(ctx, v, [action, ...args], out) {
      const ex = ctx.built.modules.exchange;
      if (action === 'grant') {
        const r = await ex.service.grant(cli, {
          client: String(v.client ?? ''),
          service: String(v.service ?? ''),
          purposes: list(v.purposes),
          attributes: list(v.attributes),
          bases: list(v.bases),
          covertDays: v['covert-days'] ? Number(v['covert-days']) : null,
        });
        if (v.json) return out.line(JSON.stringify(r, null, 2));
        return out.line(`Granted ${r.client} → ${v.service} (right ${r.id}).`);
      }
      if (action === 'revoke') {
        if (args.length !== 1) return unknown('rights', 'revoke', out, 'exchange rights revoke ID');
        await ex.service.revoke(cli, args[0]);
        return out.line(`Revoked access right ${args[0]}; it stops working at once in every process.`);
      }
      if (action !== 'list') return unknown('rights', action, out, 'exchange rights list');
      const d = await ex.directory.get();
      const rows = [...d.rights.values()].flat().map((r) => ({ ...r, service: d.servicesById.get(r.service_id)?.key ?? r.service_id }));
      if (v.json) return out.line(JSON.stringify(rows, null, 2));
      if (!rows.length) return out.line('No access rights are granted.');
      out.line(
        table(
          ['ID', 'CLIENT', 'SERVICE', 'PURPOSES', 'BASES', 'ATTRIBUTES'],
          rows.map((r) => [
            r.id,
            r.client,
            r.service,
            r.purposes.join(','),
            r.bases.join(',') + (r.covert_days ? ` (covert ${r.covert_days}d)` : ''),
            r.attributes.join(','),
          ]),
        ),
      );
    },
  },
  'exchange peers': {
    usage: 'exchange peers (add URL | list [--json])',
    summary: 'Federation: trust another Cityscape node (its signed trust list is fetched and its keys pinned), or list peers',
    positionals: ['ACTION...'],
    options: { json: flag },
    async run(ctx, v, [action, ...args], out) {
      const ex = ctx.built.modules.exchange;
      if (action === 'add') {
        if (args.length !== 1) return unknown('peers', 'add', out, 'exchange peers add URL');
        const p = await ex.service.addPeer(cli, args[0]);
        const members = (p.trust.members ?? []).length;
        return out.line(`Added peer ${p.node_id} at ${p.url} (${members} member${members === 1 ? '' : 's'}; keys pinned).`);
      }
      if (action !== 'list') return unknown('peers', action, out, 'exchange peers list');
      const peers = (await ex.directory.get()).peers.map((p) => ({
        node_id: p.node_id,
        url: p.url,
        members: (p.trust.members ?? []).map((m: { id: string }) => m.id),
        added_at: p.added_at,
      }));
      if (v.json) return out.line(JSON.stringify(peers, null, 2));
      if (!peers.length) return out.line('No peers (add one with: cityscape exchange peers add URL).');
      out.line(
        table(
          ['NODE', 'URL', 'MEMBERS'],
          peers.map((p) => [p.node_id, p.url, p.members.join(', ')]),
        ),
      );
    },
  },
  'exchange verify-log': {
    usage: 'exchange verify-log [--json]',
    summary: 'Recompute the access log’s Merkle tree from every entry and check it against every signed tree head',
    options: { json: flag },
    async run(ctx, v, _p, out) {
      const r = await ctx.built.modules.exchange.verifyLog();
      if (v.json) out.line(JSON.stringify(r, null, 2));
      else if (r.ok)
        out.line(
          `The access log is intact: ${r.entries.toLocaleString('en-GB')} entries, ${r.treeHeads} signed tree heads checked in ${r.seconds.toFixed(1)} s.`,
        );
      else {
        out.line(
          `The access log has been tampered with (${r.entries.toLocaleString('en-GB')} entries, ${r.treeHeads} tree heads checked):`,
        );
        for (const p of r.problems) out.line(`  ${p}`);
      }
      return r.ok ? 0 : 1;
    },
  },
  'registries serve': {
    usage: 'registries serve --port N [--host H] [--exchange URL] [--data-dir DIR]',
    summary: "Run the demo agencies' systems as a separate process with their own database, answering only the exchange's signed requests",
    options: { port: str, host: str, exchange: str, 'data-dir': str },
    check: (v) => (!v.port || !/^\d+$/.test(String(v.port)) ? 'registries serve needs --port N' : undefined),
    run: async () => 2, // never runs through the server: see standalone
    async standalone(v, _p, env) {
      const { serveRegistries } = await import('../registries/serve.js');
      const { resolve } = await import('node:path');
      const server = await serveRegistries({
        port: Number(v.port),
        host: String(v.host ?? '127.0.0.1'),
        exchangeUrl: String(v.exchange ?? env.PUBLIC_URL ?? `http://localhost:${env.PORT ?? 3000}`),
        dataDir: resolve(String(v['data-dir'] ?? '.cityscape-registries')),
        databaseUrl: env.REGISTRIES_DATABASE_URL || undefined,
        say: (line) => process.stdout.write(line + '\n'),
      });
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await server.close();
      return 0;
    },
  },
};
