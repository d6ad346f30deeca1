// oidc-provider, imported through here only. Version 9 prints "Unsupported runtime" when it is
// loaded on Node.js 20 (it targets 22 LTS); it runs on 20.12+ and every test passes there, and
// the line would land in every CLI command's stderr — so it is left out, and the README says so.
import type * as OidcProvider from 'oidc-provider';

const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
let mod: typeof OidcProvider;
try {
  mod = await import('oidc-provider');
} finally {
  console.warn = warn;
}

export const Provider = mod.default;
export const errors = mod.errors;
export const interactionPolicy = mod.interactionPolicy;
