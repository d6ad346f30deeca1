// The `cityscape` commands other than `start`: each returns its output instead of writing it,
// so the same function runs in this process or inside a running server (see main.ts).
import type { ParseArgsConfig } from 'node:util';
import type { Config } from './config.js';
import type { CommandResult } from './kernel/control.js';
import type { BuiltApp } from './app.js';
import type { Db } from './kernel/db.js';
import type { Module } from './kernel/module.js';
import { EXCHANGE_COMMANDS } from './modules/exchange/cli.js';
import { ROOMS_COMMANDS } from './modules/rooms/cli.js';
import { FORMS_COMMANDS } from './modules/forms/cli.js';
import { EXPERIMENTS_COMMANDS } from './modules/experiments/cli.js';

export interface Ctx {
  built: BuiltApp;
  config: Config;
  cwd: string;
  appliedOnOpen: string[];
}
export type Values = Record<string, string | boolean | undefined>;
export class Out {
  stdout = '';
  stderr = '';
  line(s = '') {
    this.stdout += s + '\n';
  }
  err(s: string) {
    this.stderr += s + '\n';
  }
  result(exitCode: number): CommandResult {
    return { exitCode, stdout: this.stdout, stderr: this.stderr };
  }
}
export interface Command {
  usage: string;
  summary: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  positionals?: string[];
  check?(v: Values): string | undefined;
  run(ctx: Ctx, v: Values, positionals: string[], out: Out): Promise<number | void>;
  /** Runs in this process on its own (a long-running server of its own), never inside `cityscape start`. */
  standalone?(v: Values, positionals: string[], env: Record<string, string | undefined>): Promise<number>;
}

const cli = { kind: 'cli' } as const;
const str = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join('  ')).join('\n');
}

const seedables = (built: Pick<BuiltApp, 'modules'>) =>
  Object.entries(built.modules as Record<string, Module>).filter(([, m]) => m.seedDemo);
/** Seeds every module's demo, one process at a time (processes started together on one empty
 * PostgreSQL take turns; the later one finds each module's demo there and adds nothing). */
export async function seedAll(built: Pick<BuiltApp, 'kernel' | 'modules'>, out: Out): Promise<boolean> {
  const { withAdvisoryLock } = await import('./kernel/db.js');
  let seeded = false;
  await withAdvisoryLock(built.kernel.db, 'cityscape.seed-demo', async () => {
    for (const [name, m] of seedables(built)) {
      const added = await m.seedDemo!();
      seeded ||= added;
      out.line(added ? `Seeded the demo ${name}.` : `The ${name} already has data, so the demo was not added.`);
    }
  });
  return seeded;
}

export async function appliedMigrations(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('kernel.migrations') IS NOT NULL AS present`);
  if (!rows[0]?.present) return [];
  return (
    await db.query<{ m: string }>(
      `SELECT module || '/' || name AS m FROM kernel.migrations ORDER BY applied_at, module <> 'kernel', module, name`,
    )
  ).rows.map((r) => r.m);
}

export const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate',
    summary: 'Apply database migrations',
    async run(ctx, _v, _p, out) {
      const [{ migrate }, { migrationSources }] = await Promise.all([import('./kernel/migrations.js'), import('./app.js')]);
      const applied = [...ctx.appliedOnOpen, ...(await migrate(ctx.built.kernel.db, migrationSources(ctx.built.modules)))];
      if (!applied.length)
        return out.line(
          `The database is up to date (${(await appliedMigrations(ctx.built.kernel.db)).length} migrations applied earlier).`,
        );
      out.line(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:`);
      for (const m of applied) out.line(`  ${m}`);
    },
  },
  routes: {
    usage: 'routes [--module NAME] [--json]',
    summary: "Every route the app serves — method, path, module, authentication, schema — from the app's own registry",
    options: { module: str, json: flag },
    async run(ctx, v, _p, out) {
      const { sortedRoutes } = await import('./kernel/routes.js');
      const all = sortedRoutes(ctx.built.routes);
      const routes = v.module ? all.filter((r) => r.module === v.module) : all;
      if (v.module && !routes.length) {
        out.err(`No module "${v.module}" serves routes. Modules: ${[...new Set(all.map((r) => r.module))].sort().join(', ')}.`);
        return 2;
      }
      if (v.json) return out.line(JSON.stringify(routes, null, 2));
      out.line(
        table(
          ['METHOD', 'PATH', 'MODULE', 'AUTH', 'SCHEMA'],
          routes.map((r) => [r.method, r.path, r.module, r.auth, r.schema ? 'yes' : 'no']),
        ),
      );
      const modules = new Set(routes.map((r) => r.module)).size;
      out.line(
        `\n${routes.length} routes in ${modules} module${modules === 1 ? '' : 's'}; ${routes.filter((r) => r.schema).length} with a schema.`,
      );
    },
  },
  'seed-demo': {
    usage: 'seed-demo',
    summary: 'Add the demo catalogue (fictional organisations and services) if the catalogue is empty',
    run: async (ctx, _v, _p, out) => void (await seedAll(ctx.built, out)),
  },
  'admin create': {
    usage: 'admin create --email EMAIL (--password PASSWORD | --password-stdin) [--name NAME]',
    summary: "Create a platform administrator, or reset one's password (at least 12 characters)",
    options: { email: str, password: str, name: str },
    check: (v) =>
      !v.email
        ? 'admin create needs --email EMAIL'
        : !v.password
          ? 'admin create needs --password PASSWORD (or --password-stdin)'
          : undefined,
    async run(ctx, v, _p, out) {
      const staff = await ctx.built.modules.catalogue.service.createStaff(cli, {
        email: v.email as string,
        password: v.password as string,
        name: v.name as string | undefined,
        role: 'platform_admin',
      });
      out.line(`Platform administrator ${staff.email} is ready (id ${staff.id}).`);
      out.line(`Sign in at ${ctx.config.publicUrl}/admin/sign-in`);
    },
  },
  'keys create': {
    usage: 'keys create (--service SLUG --platform NAME [--type live|test|team] | --admin) [--name NAME]',
    summary: 'Create an API key; the key alone is the last line of output',
    options: { service: str, platform: str, type: str, name: str, admin: flag },
    check: (v) =>
      v.admin
        ? v.service
          ? 'A --admin key belongs to no service: leave out --service'
          : v.type
            ? 'A --admin key is always of type admin: leave out --type'
            : undefined
        : !v.service
          ? 'keys create needs --service SLUG (or --admin for a catalogue admin key)'
          : !v.platform
            ? 'keys create needs --platform NAME (pay, notify, addresses, identity, exchange, performance, experiments, forms or catalogue)'
            : undefined,
    async run(ctx, v, _p, out) {
      const catalogue = ctx.built.modules.catalogue.service;
      const name = v.name as string | undefined;
      const { key, secret } = v.admin
        ? await catalogue.createApiKey(cli, { serviceSlug: null, platform: (v.platform as string) ?? 'catalogue', type: 'admin', name })
        : await catalogue.createApiKey(cli, {
            serviceSlug: v.service as string,
            platform: v.platform as string,
            type: (v.type as string) ?? 'test',
            name,
          });
      out.line(
        v.admin
          ? `Created catalogue admin key "${key.name}" (id ${key.id}).`
          : `Created ${key.type} key "${key.name}" for ${v.service} on the ${key.platform} platform (id ${key.id}).`,
      );
      out.line('This is the only time the key is shown. Keep it secret:');
      out.line(secret);
    },
  },
  'keys list': {
    usage: 'keys list (--service SLUG | --admin) [--json]',
    summary: "List a service's API keys (never their secrets), or the catalogue admin keys",
    options: { service: str, admin: flag, json: flag },
    check: (v) => (!v.service === !v.admin ? 'keys list needs either --service SLUG or --admin' : undefined),
    async run(ctx, v, _p, out) {
      const catalogue = ctx.built.modules.catalogue.service;
      const keys = await catalogue.listApiKeys(v.admin ? null : (await catalogue.getService(v.service as string)).id);
      if (v.json) return out.line(JSON.stringify(keys, null, 2));
      if (!keys.length) return out.line(v.admin ? 'There are no catalogue admin keys.' : `${v.service} has no API keys.`);
      out.line(
        table(
          ['ID', 'NAME', 'PLATFORM', 'TYPE', 'ENDS IN', 'CREATED', 'LAST USED', 'STATUS'],
          keys.map((k) => [
            k.id,
            k.name,
            k.platform,
            k.type,
            `…${k.hint}`,
            when(k.created_at),
            when(k.last_used_at),
            k.revoked_at ? `revoked ${when(k.revoked_at)}` : 'active',
          ]),
        ),
      );
    },
  },
  'keys revoke': {
    usage: 'keys revoke ID',
    summary: 'Revoke an API key at once',
    positionals: ['ID'],
    async run(ctx, _v, [id], out) {
      const key = await ctx.built.modules.catalogue.service.revokeApiKey(cli, id);
      out.line(`Revoked key ${key.id} ("${key.name}", ${key.platform} ${key.type}).`);
    },
  },
  'audit verify': {
    usage: 'audit verify',
    summary: "Check the audit log's hash chain: exit 1 and name the first entry that was changed, removed or added behind Cityscape's back",
    async run(ctx, _v, _p, out) {
      const r = await ctx.built.kernel.audit.verify();
      if (r.ok) return out.line(`The audit log is intact: ${r.entries} entries, the last with hash ${r.head}.`);
      out.line(`${r.entries} entries check out before the break.`);
      out.err(`The audit log's hash chain is broken at entry ${r.badId}: ${r.problem}.`);
      return 1;
    },
  },
  'services list': {
    usage: 'services list [--json]',
    summary: 'List every service in the catalogue',
    options: { json: flag },
    async run(ctx, v, _p, out) {
      const services = await ctx.built.modules.catalogue.service.listServices();
      if (v.json) return out.line(JSON.stringify(services, null, 2));
      if (!services.length) return out.line('The catalogue has no services yet (try: cityscape seed-demo).');
      out.line(
        table(
          ['SLUG', 'NAME', 'PHASE', 'ORGANISATION'],
          services.map((s) => [s.slug, s.name, s.phase, s.organisation.name]),
        ),
      );
    },
  },
  'addresses import': {
    usage: 'addresses import FILE... [--replace]',
    summary: 'Import AddressBase Premium files (CSV or GML, full supply or change-only update) in one all-or-nothing transaction',
    positionals: ['FILE...'],
    options: { replace: flag },
    async run(ctx, v, files, out) {
      const { resolve } = await import('node:path');
      const r = await ctx.built.modules.addresses.importAddresses(
        files.map((f) => resolve(ctx.cwd, f)),
        { replace: !!v.replace },
      );
      out.line(
        `Imported ${r.records.toLocaleString('en-GB')} records from ${r.files} file${r.files === 1 ? '' : 's'} in ${r.seconds.toFixed(1)} s (${Math.round(r.records / Math.max(r.seconds, 0.001)).toLocaleString('en-GB')} records/s).`,
      );
      out.line(`${r.uprns.toLocaleString('en-GB')} properties changed; ${r.places.toLocaleString('en-GB')} address records rebuilt.`);
    },
  },
  'addresses generate': {
    usage: 'addresses generate --count N --out FILE [--seed N] [--gml]',
    summary: 'Write N generated addresses as AddressBase Premium CSV (or GML) for demos, tests and benchmarks',
    options: { count: str, out: str, seed: str, gml: flag },
    check: (v) =>
      !v.count || !/^\d+$/.test(String(v.count))
        ? 'addresses generate needs --count N (a whole number)'
        : !v.out
          ? 'addresses generate needs --out FILE'
          : v.seed && !/^\d+$/.test(String(v.seed))
            ? '--seed must be a whole number'
            : undefined,
    async run(ctx, v, _p, out) {
      const { resolve } = await import('node:path');
      const { writeAbpCsv, writeAbpGml } = await import('./modules/addresses/index.js');
      const file = resolve(ctx.cwd, String(v.out));
      const opts = { count: Number(v.count), seed: v.seed ? Number(v.seed) : 1 };
      await (v.gml ? writeAbpGml(file, opts) : writeAbpCsv(file, opts));
      out.line(`Wrote ${opts.count.toLocaleString('en-GB')} generated addresses to ${file} (seed ${opts.seed}).`);
    },
  },
  'services show': {
    usage: 'services show SLUG [--json]',
    summary: 'One service: who is accountable, decisions, roadmap, satisfaction',
    positionals: ['SLUG'],
    options: { json: flag },
    async run(ctx, v, [slug], out) {
      const s = await ctx.built.modules.catalogue.service.getServiceDetail(slug);
      if (v.json) return out.line(JSON.stringify(s, null, 2));
      out.line(`${s.name} (${s.slug}) — ${s.phase}`);
      out.line(`Run by ${s.organisation.name}${s.team ? `, ${s.team.name}` : ''}. Platforms: ${s.platforms.join(', ') || 'none'}.`);
      if (s.office_holder)
        out.line(`Accountable: ${s.office_holder.name}, ${s.office_holder.role}, since ${s.office_holder.in_post_since}`);
      out.line(
        `Satisfaction: ${s.satisfaction.score === null ? 'no responses' : `${Math.round(s.satisfaction.score * 100)}%`} (${s.satisfaction.responses} responses, ${s.satisfaction.days} days)`,
      );
      if (s.decisions.length) {
        out.line('Decisions:');
        for (const d of s.decisions) out.line(`  ${d.decided_on}  ${d.decision} (${d.decided_by})`);
      }
      if (s.roadmap.length) {
        out.line('Roadmap:');
        for (const r of s.roadmap) out.line(`  [${r.status}] ${r.title}${r.target_date ? ` (by ${r.target_date})` : ''}`);
      }
    },
  },
  'consent verify': {
    usage: 'consent verify [--json]',
    summary:
      'Check every consent revision chain (hashes, links, platform signatures); exit 1 naming any revision changed behind the triggers',
    options: { json: flag },
    async run(ctx, v, _p, out) {
      const r = await ctx.built.modules.consent.verify();
      if (v.json) out.line(JSON.stringify(r, null, 2));
      else if (!r.problems.length) out.line(`All ${r.revisions} revisions of ${r.objects} objects verify.`);
      else {
        out.line(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in ${r.revisions} revisions of ${r.objects} objects:`);
        for (const p of r.problems.slice(0, 50))
          out.line(`  ${p.schemaName} ${p.objectId} revision ${p.seq} (${p.revisionId}): ${p.problem}`);
      }
      return r.problems.length ? 1 : 0;
    },
  },
  'identity rotate-keys': {
    usage: 'identity rotate-keys',
    summary: 'New signing keys for ID tokens and core identity JWTs; the previous keys stay published, older ones retire',
    async run(ctx, _v, _p, out) {
      const { added, retired } = await ctx.built.modules.identity.rotateKeys();
      out.line(`New signing keys: ${added.join(', ')}.`);
      out.line(retired.length ? `Retired: ${retired.join(', ')}.` : 'No keys retired (the previous keys stay published).');
    },
  },
  // Two words name a command here, so "create" arrives as the positional ACTION.
  'identity clients': {
    positionals: ['create'],
    usage:
      'identity clients create --service SLUG --name NAME --redirect-uris URI[,URI…] [--public-key FILE] [--scopes email,phone,offline_access] [--claims coreIdentityJWT,address,passport] [--max-identity-level P0|P1|P2] [--post-logout-redirect-uris URI[,…]] [--backchannel-logout-uri URI] [--json]',
    summary:
      'Register a relying service (OpenID Connect client) for a catalogue service; without --public-key (PEM, JWK or JWKS) it gets a client secret, shown once as the last line',
    options: {
      service: str,
      name: str,
      'redirect-uris': str,
      'public-key': str,
      scopes: str,
      claims: str,
      'max-identity-level': str,
      'post-logout-redirect-uris': str,
      'backchannel-logout-uri': str,
      json: flag,
    },
    check: (v) =>
      !v.service
        ? 'identity clients create needs --service SLUG'
        : !v.name
          ? 'identity clients create needs --name NAME'
          : !v['redirect-uris']
            ? 'identity clients create needs --redirect-uris URI[,URI…]'
            : undefined,
    async run(ctx, v, [action], out) {
      if (action !== 'create') {
        out.err(`cityscape: unknown command "identity clients ${action}" (try: identity clients create)`);
        return 2;
      }
      const { readPublicKeys } = await import('./modules/identity/index.js');
      const list = (x: unknown) =>
        typeof x === 'string'
          ? x
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [];
      const service = await ctx.built.modules.catalogue.service.getService(v.service as string);
      const { client, secret } = await ctx.built.modules.identity.createClient(cli, {
        serviceId: service.id,
        name: v.name as string,
        redirectUris: list(v['redirect-uris']),
        postLogoutRedirectUris: list(v['post-logout-redirect-uris']),
        jwks: v['public-key'] ? await readPublicKeys(v['public-key'] as string, ctx.cwd) : null,
        scopes: list(v.scopes),
        claims: list(v.claims).map((c) => (c.includes('/') ? c : `https://vocab.account.gov.uk/v1/${c}`)),
        maxIdentityLevel: v['max-identity-level'] as 'P0' | 'P1' | 'P2' | undefined,
        backchannelLogoutUri: (v['backchannel-logout-uri'] as string | undefined) ?? null,
      });
      if (v.json)
        return out.line(
          JSON.stringify({ ...client, issuer: ctx.built.modules.identity.issuer, ...(secret ? { clientSecret: secret } : {}) }, null, 2),
        );
      out.line(`Registered "${client.name}" for ${service.name} (client ID ${client.clientId}, ${client.authMethod}).`);
      out.line(
        `Issuer: ${ctx.built.modules.identity.issuer} (discovery at ${ctx.built.modules.identity.issuer}/.well-known/openid-configuration)`,
      );
      if (secret) {
        out.line('This is the only time the client secret is shown. Keep it secret:');
        out.line(secret);
      }
    },
  },
  ...EXCHANGE_COMMANDS,
  ...ROOMS_COMMANDS,
  ...FORMS_COMMANDS,
  ...EXPERIMENTS_COMMANDS,
};
