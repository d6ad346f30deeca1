// Forms' commands for the `cityscape` command line (src/commands.ts spreads them into its
// table): import another builder's definition as a service's live form, printing what could
// not be carried over and, as the last line, the live form's URL; export a form back.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from '../../commands.js';
import { InvalidDefinition } from './definition.js';
import { exportDefinition, importDefinition } from './import.js';

export const FORMS_COMMANDS: Record<string, Command> = {
  'forms import': {
    usage: 'forms import FILE --service SLUG [--draft]',
    summary:
      'Import an XGovFormBuilder / DEFRA, GOV.UK Forms or Cityscape definition as the service’s form (live unless --draft); prints the form’s URL last',
    options: { service: { type: 'string' }, draft: { type: 'boolean' } },
    positionals: ['FILE'],
    check: (v) => (!v.service ? 'forms import needs --service SLUG' : undefined),
    async run(ctx, v, positionals, out) {
      const file = positionals[0];
      if (!file) {
        out.err('forms import needs a FILE');
        return 2;
      }
      const s = await ctx.built.modules.catalogue.service.getService(String(v.service)).catch(() => null);
      if (!s) {
        out.err(`No service "${v.service}"`);
        return 1;
      }
      let r;
      try {
        r = importDefinition(JSON.parse(await readFile(resolve(ctx.cwd, file), 'utf8')));
      } catch (e) {
        if (e instanceof InvalidDefinition) for (const x of e.errors) out.err(`${x.path || '/'}: ${x.message}`);
        else out.err(`Cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
      }
      const forms = ctx.built.modules.forms;
      const saved = await forms.service.save({ id: s.id, slug: s.slug }, r.definition, {
        by: 'cli',
        source: r.format,
        report: r.report,
        live: !v.draft,
      });
      out.line(`Imported ${file} (${r.format}) as version ${saved.version} of ${s.slug}: ${r.definition.pages.length} pages.`);
      if (r.report.length) {
        out.line('Not carried over:');
        for (const x of r.report) out.line(`  - ${x}`);
      } else out.line('Everything was carried over.');
      const base = ctx.config.publicUrl;
      out.line(v.draft ? `${base}/forms/${s.slug}/preview/${saved.form.preview_token}` : `${base}/forms/${s.slug}`);
    },
  },
  'forms export': {
    usage: 'forms export --service SLUG [--format xgovformbuilder|cityscape]',
    summary: 'Print a service’s form (the live version, or the newest draft) as XGovFormBuilder or Cityscape JSON',
    options: { service: { type: 'string' }, format: { type: 'string' } },
    check: (v) => (!v.service ? 'forms export needs --service SLUG' : undefined),
    async run(ctx, v, _p, out) {
      const s = await ctx.built.modules.catalogue.service.getService(String(v.service)).catch(() => null);
      const f = s ? await ctx.built.modules.forms.service.byService(s.id) : null;
      const ver = f ? await ctx.built.modules.forms.service.version(f.id, f.live_version ?? f.draft_version ?? 0) : null;
      if (!ver) {
        out.err(`No form for "${v.service}"`);
        return 1;
      }
      out.line(JSON.stringify(exportDefinition(ver.definition, v.format === 'cityscape' ? 'cityscape' : 'xgovformbuilder'), null, 2));
    },
  },
};
