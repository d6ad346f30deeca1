// Experiments' commands for the `cityscape` command line (src/commands.ts spreads them into its
// table): import a whole flagd flag document for a service (validated; each problem printed
// with its JSON pointer), and export one.
import type { Command } from '../../commands.js';

const env = (v: unknown) => (v === 'test' ? 'test' : 'live');

export const EXPERIMENTS_COMMANDS: Record<string, Command> = {
  'flags import': {
    usage: 'flags import FILE --service SLUG [--environment live|test]',
    summary: 'Replace a service’s flags with a flagd flag document (JSON); refuses it with each problem’s JSON pointer',
    positionals: ['FILE'],
    options: { service: { type: 'string' }, environment: { type: 'string' } },
    check: (v) =>
      !v.service
        ? 'flags import needs --service SLUG'
        : v.environment !== undefined && v.environment !== 'live' && v.environment !== 'test'
          ? '--environment must be live or test'
          : undefined,
    async run(ctx, v, files, out) {
      const { resolve } = await import('node:path');
      const { readFile } = await import('node:fs/promises');
      if (files.length !== 1) {
        out.err('flags import needs one FILE');
        return 2;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(await readFile(resolve(ctx.cwd, files[0]), 'utf8'));
      } catch (err) {
        out.err(`Cannot read ${files[0]} as JSON: ${(err as Error).message}`);
        return 1;
      }
      const service = await ctx.built.modules.catalogue.service.getService(String(v.service)).catch(() => null);
      if (!service) {
        out.err(`No service "${v.service}"`);
        return 1;
      }
      const { flags } = ctx.built.modules.experiments;
      const problems = flags.check(doc);
      if (problems.length) {
        out.err(`${files[0]} is not a valid flag document:`);
        for (const p of problems) out.err(`  ${p.path}: ${p.message}`);
        return 1;
      }
      const saved = await flags.save(
        'cli',
        { id: service.id, organisationId: service.organisation.id },
        env(v.environment),
        doc,
        `Imported from ${files[0]}`,
      );
      out.line(
        `Imported ${saved.set.flags.size} flag${saved.set.flags.size === 1 ? '' : 's'} into ${service.slug} (${env(v.environment)}), version ${saved.version}.`,
      );
    },
  },
  'flags export': {
    usage: 'flags export --service SLUG [--environment live|test]',
    summary: 'Print a service’s flag document (flagd JSON)',
    options: { service: { type: 'string' }, environment: { type: 'string' } },
    check: (v) => (!v.service ? 'flags export needs --service SLUG' : undefined),
    async run(ctx, v, _p, out) {
      const service = await ctx.built.modules.catalogue.service.getService(String(v.service)).catch(() => null);
      if (!service) {
        out.err(`No service "${v.service}"`);
        return 1;
      }
      const loaded = ctx.built.modules.experiments.flags.get(service.id, env(v.environment));
      out.line(JSON.stringify(loaded?.set.document ?? { flags: {} }, null, 2));
    },
  },
};
