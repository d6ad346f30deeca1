// RP-initiated logout (/identity/logout) as One Login does it: a relying service that sends a
// valid `id_token_hint` from the browser's own session gets the person signed out and sent back
// at once — every service in that session told by back-channel logout, its grants and tokens
// revoked, the Cityscape sign-in ended. Without a valid hint for this session (none, or one from
// another session), the person is asked first, so no other site can sign them out unseen.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Views } from '../../kernel/views.js';
import { renderKoa } from './render.js';

type Feature = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

export interface LogoutDeps {
  views: Views;
  log: Logger;
  /** Ends the browser's identity sign-in named by its kernel session cookie. */
  endBrowserSignIn(sessionCookie: string): Promise<void>;
  /** Deletes grants with every code and token issued under them. */
  revokeGrants(grantIds: string[]): Promise<void>;
  /** The pairwise `sub` a catalogue service's clients know the account by. */
  subjectFor(serviceId: string, accountId: string): string;
}

interface SessionLike {
  accountId?: string;
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
  state?: { postLogoutRedirectUri?: string; state?: string };
  destroy(): Promise<void>;
}

/** The browser's sign-out, ended here: what the logout confirmation does, without asking. */
async function signOutAtOnce(ctx: KoaContextWithOIDC, d: LogoutDeps): Promise<boolean> {
  const hint = (ctx.oidc.entities as { IdTokenHint?: { payload: { sub?: string; sid?: string } } }).IdTokenHint;
  const client = ctx.oidc.client;
  const session = ctx.oidc.session as unknown as SessionLike | undefined;
  // oidc-provider has validated the hint (signature, issuer, audience) before we get here; it
  // must also be about this browser's session with that service: its `sid` when the ID token
  // carries one, otherwise its (pairwise) `sub`.
  const auth = client && session?.accountId ? session.authorizations?.[client.clientId] : undefined;
  if (!hint || !client || !session?.accountId || !auth) return false;
  const ours = hint.payload.sid
    ? hint.payload.sid === auth.sid
    : hint.payload.sub === d.subjectFor(String(client.service_id), session.accountId);
  if (!ours) return false;

  const provider = ctx.oidc.provider;
  const accountId = session.accountId;
  const authorizations = Object.entries(session.authorizations ?? {});
  for (const [clientId, auth] of authorizations) {
    const c = await provider.Client.find(clientId).catch(() => undefined);
    if (!c?.backchannelLogoutUri) continue;
    try {
      await (c as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(accountId, auth.sid ?? '');
    } catch (err) {
      d.log.warn({ err, clientId }, 'back-channel logout failed');
    }
  }
  await d.revokeGrants(authorizations.map(([, a]) => a.grantId).filter((g): g is string => !!g));
  const { postLogoutRedirectUri, state } = session.state ?? {};
  await session.destroy();
  ctx.cookies.set(provider.cookieName('session'), null, { path: '/identity', signed: true });
  const kernelSession = ctx.cookies.get('cs_session', { signed: false });
  if (kernelSession) {
    await d.endBrowserSignIn(kernelSession);
    ctx.cookies.set('cs_session', null, { path: '/', signed: false });
  }
  let to = ctx.oidc.urlFor('end_session_success');
  if (postLogoutRedirectUri) {
    const u = new URL(postLogoutRedirectUri);
    if (state != null) u.searchParams.set('state', state);
    to = u.href;
  }
  ctx.status = 303;
  ctx.redirect(to);
  return true;
}

export function rpInitiatedLogout(d: LogoutDeps): Feature {
  return {
    enabled: true,
    async logoutSource(ctx, form) {
      if (await signOutAtOnce(ctx, d)) return;
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
      const returnTo = (ctx.oidc.session as unknown as SessionLike | undefined)?.state?.postLogoutRedirectUri;
      renderKoa(
        d.views,
        ctx,
        'sign-out-confirm',
        { action: ctx.oidc.urlFor('end_session_confirm'), xsrf, clientName: ctx.oidc.client?.clientName ?? null },
        returnTo,
      );
    },
    async postLogoutSuccessSource(ctx) {
      renderKoa(d.views, ctx, 'signed-out', { clientName: ctx.oidc.client?.clientName ?? null });
    },
  };
}
