#!/usr/bin/env node
// The `cityscape` command (`npx cityscape …`): runs src/main.ts through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/main.ts');
await run(process.argv.slice(2));
