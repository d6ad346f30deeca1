// Rooms' commands for the `cityscape` command line (src/commands.ts spreads them into its
// table): set up a call about one or more services; the room's URL is the last line printed,
// so scripts can take it with `tail -1`.
import type { Command } from '../../commands.js';

export const ROOMS_COMMANDS: Record<string, Command> = {
  'rooms create': {
    usage: 'rooms create --service SLUG [--service SLUG …] --title TITLE',
    summary: 'Set up a call about services; prints the room’s URL (staff who manage the services join from there and invite others)',
    options: { service: { type: 'string', multiple: true }, title: { type: 'string' } },
    check: (v) => (!v.service ? 'rooms create needs --service SLUG' : !v.title ? 'rooms create needs --title TITLE' : undefined),
    async run(ctx, v, _p, out) {
      const services = ([] as string[]).concat(v.service as unknown as string[] | string);
      const r = await ctx.built.modules.rooms.service.create({ kind: 'cli' }, { title: String(v.title), services });
      out.line(`Set up the call "${r.title}" about ${services.join(', ')}.`);
      out.line(ctx.built.modules.rooms.service.roomUrl(r.id));
    },
  },
};
