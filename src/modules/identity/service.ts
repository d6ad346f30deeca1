// Identity use cases that join citizens' accounts (accounts.ts) to the provider's sessions and
// grants (signout.ts), relying services (clients.ts) and the catalogue: what the pages and
// other modules call. Rules only: no HTTP, no SQL.
import type { CatalogueService } from '../catalogue/index.js';
import type { Accounts } from './accounts.js';
import type { Clients } from './clients.js';
import type { SignOut } from './signout.js';

export function createIdentityService(deps: { accounts: Accounts; signOut: SignOut; clients: Clients; catalogue: CatalogueService }) {
  const { accounts, signOut, clients, catalogue } = deps;

  /** Every sign-in, provider session, grant and token of the account ends. */
  async function signOutEverywhere(accountId: string): Promise<void> {
    await accounts.signOutEverywhere(accountId);
    await signOut.endAll(accountId);
  }

  return {
    signOutEverywhere,

    /** After a checked reset code: the new password, and whoever knew the old one is signed out everywhere. */
    async resetPassword(email: string, password: string) {
      const account = await accounts.resetPassword(email, password);
      await signOutEverywhere(account.id);
      return account;
    },

    /** Ends one browser's sign-in and its provider session (every relying service in it is told). */
    async endBrowserSignIn(signInId: string | null, providerSessionId: string | null): Promise<void> {
      if (signInId) await accounts.endSignIn(signInId);
      if (providerSessionId) await signOut.endSession(providerSessionId);
    },

    /** The services an account has signed in to, with their catalogue names, newest first. */
    async connectedServices(accountId: string) {
      const out = [];
      for (const g of await signOut.services(accountId)) {
        const c = await clients.get(g.clientId).catch(() => null);
        if (!c) continue;
        const svc = await catalogue.getServiceById(c.serviceId);
        out.push({ clientId: c.clientId, name: c.name, serviceName: svc?.name ?? '', since: g.since });
      }
      return out;
    },

    /** Stops one relying service using the account (its grant and tokens); false when it had none. */
    disconnect: (accountId: string, clientId: string) => signOut.disconnect(accountId, clientId),
  };
}
export type IdentityService = ReturnType<typeof createIdentityService>;
