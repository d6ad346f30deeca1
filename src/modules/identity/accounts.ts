// Citizen accounts: registration with an emailed code, password rules, password sign-in with
// lockout, second factors (authenticator app or text message), password reset, identity
// checks against evidence sources, and the sign-ins (browser sessions) that name an account.
// Rules only: no HTTP, no SQL (store.ts). Failures are IdentityErrors whose `code` the pages
// turn into copy (locales: identity.errors.<code>).
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import { HttpError } from '../../kernel/errors.js';
import { hashPassword, hmac, safeEqual, seal, unseal, verifyPassword } from '../../kernel/crypto.js';
import type { IdentityConfig } from '../../config.js';
import { store, type AccountRow } from './store.js';
import { levelFor, type EvidenceInput, type EvidenceSource } from './evidence.js';
import { newTotpSecret, timeStep, verifyTotp } from './totp.js';
import { locAtLeast, type CredentialLevel, type IdentityLevel } from './vtr.js';
import type { Messages, Lang } from './messages.js';

export class IdentityError extends HttpError {
  constructor(
    code: string,
    status = 400,
    public params: Record<string, string | number> = {},
  ) {
    super(status, code, code);
  }
}

const COMMON = new Set([
  'password',
  'password1',
  'password123',
  '12345678',
  '123456789',
  'qwerty123',
  'iloveyou',
  'letmein1',
  'welcome1',
  'passw0rd',
  'abc12345',
  'football1',
  'monkey123',
  'sunshine1',
  'trustno1',
]);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CODE_WINDOW_SECONDS = 15 * 60;
const CHECK_WINDOW_SECONDS = 24 * 60 * 60;
const MAX_FAILED_CHECKS = 5;

const ACCOUNT_CACHE_MS = 60_000;

export type CodePurpose = 'confirm_email' | 'reset_password' | 'sms_setup' | 'sms_sign_in';

/** Password rules: 8 to 256 characters, letters and numbers, not a common password, not the email. */
export function passwordProblems(password: string, email = ''): string[] {
  if (!password) return ['passwordMissing'];
  if (password.length < 8) return ['passwordShort'];
  if (password.length > 256) return ['passwordLong'];
  const problems: string[] = [];
  if (!/[a-zA-Z\p{L}]/u.test(password) || !/\d/.test(password)) problems.push('passwordMix');
  if (COMMON.has(password.toLowerCase()) || (email && password.toLowerCase() === email.toLowerCase())) problems.push('passwordCommon');
  return problems;
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();
export const validEmail = (email: string) => EMAIL.test(email) && email.length <= 320;

/** UK mobiles (07…, +447…) become +447…; other numbers must be +country code and 8–15 digits. */
export function normalisePhone(raw: string): string | null {
  const s = raw.replace(/[\s()-]/g, '');
  if (/^07\d{9}$/.test(s)) return `+44${s.slice(1)}`;
  if (/^(\+|00)447\d{9}$/.test(s)) return `+44${s.slice(s.startsWith('+') ? 3 : 4)}`;
  if (/^\+[1-9]\d{7,14}$/.test(s)) return s;
  return null;
}

export interface Notifier {
  sendEmail(m: { to: string; subject: string; body: string; reference?: string }): Promise<void>;
  sendSms(m: { to: string; body: string; reference?: string }): Promise<void>;
}

export interface SignedIn {
  signInId: string;
  level: CredentialLevel;
  createdAt: Date;
  raisedAt: Date;
  account: AccountRow;
}

export function createAccounts(
  k: Kernel,
  deps: { notifier: Notifier; messages: Messages; evidence: EvidenceSource[]; cfg: IdentityConfig },
) {
  const { db, config } = k;
  const { cfg, messages } = deps;
  const codeHash = (id: string, code: string) => hmac(config.encryptionKey, `identity-code:${id}:${code}`);

  async function sendCode(purpose: CodePurpose, subject: string, to: { email?: string; phone?: string }, lang: Lang): Promise<void> {
    if ((await store.codesSentSince(db, purpose, subject, CODE_WINDOW_SECONDS)) >= cfg.codesPerWindow) {
      throw new IdentityError('tooManyCodes', 429, { minutes: CODE_WINDOW_SECONDS / 60 });
    }
    const id = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await store.insertCode(db, { id, purpose, subject, codeHash: codeHash(id, code), ttlSeconds: cfg.codeTtlSeconds });
    const minutes = Math.round(cfg.codeTtlSeconds / 60);
    if (to.email)
      await deps.notifier.sendEmail({
        to: to.email,
        ...messages.codeEmail(lang, purpose, code, minutes),
        reference: `identity-${purpose}`,
      });
    else if (to.phone)
      await deps.notifier.sendSms({ to: to.phone, body: messages.codeSms(lang, code, minutes), reference: `identity-${purpose}` });
  }

  /** A code works once, before it expires, within `codeMaxAttempts` tries. */
  async function checkCode(purpose: CodePurpose, subject: string, code: string): Promise<void> {
    const c = await store.latestCode(db, purpose, subject);
    if (!c || !c.live) throw new IdentityError('codeExpired');
    if (c.attempts >= cfg.codeMaxAttempts) throw new IdentityError('codeTooManyAttempts', 429);
    const given = code.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(given) || !safeEqual(codeHash(c.id, given), c.code_hash)) {
      const attempts = await store.codeAttempt(db, c.id);
      throw new IdentityError(
        attempts >= cfg.codeMaxAttempts ? 'codeTooManyAttempts' : 'codeWrong',
        attempts >= cfg.codeMaxAttempts ? 429 : 400,
      );
    }
    if (!(await store.useCode(db, c.id))) throw new IdentityError('codeExpired');
  }

  function assertNotLocked(a: AccountRow) {
    if (a.locked_until && a.locked_until > new Date()) {
      throw new IdentityError('locked', 429, { minutes: Math.max(1, Math.ceil((a.locked_until.getTime() - Date.now()) / 60000)) });
    }
  }

  async function failed(a: AccountRow, code: string): Promise<never> {
    const { locked } = await store.recordFailure(db, a.id, cfg.lockoutThreshold, cfg.lockoutSeconds);
    if (locked) throw new IdentityError('locked', 429, { minutes: Math.ceil(cfg.lockoutSeconds / 60) });
    throw new IdentityError(code, 401);
  }

  // The provider reads an account on every authorization, token and userinfo request. Rows
  // are remembered for a minute; every change the claims depend on drops them here and, by
  // NOTIFY, in every other process.
  const cache = k.caches.create<AccountRow | null>('identity.accounts', { ttlMs: ACCOUNT_CACHE_MS, max: 10_000 });
  const changed = (id: string): Promise<void> => cache.invalidate(id);

  return {
    sendCode,
    checkCode,
    byId: (id: string) => store.accountById(db, id),
    async forProvider(id: string): Promise<AccountRow | null> {
      const hit = cache.get(id);
      if (hit !== undefined) return hit;
      const generation = cache.generation;
      const row = await store.accountById(db, id);
      cache.set(id, row, generation);
      return row;
    },
    forget(id?: string) {
      if (id) cache.delete(id);
      else cache.clear();
    },

    /** Step 1 of creating an account: email a code (or say the account exists). */
    async startRegistration(rawEmail: string, lang: Lang): Promise<{ exists: boolean; email: string }> {
      const email = normaliseEmail(rawEmail);
      if (!validEmail(email)) throw new IdentityError(email ? 'emailFormat' : 'emailMissing');
      if (await store.accountByEmail(db, email)) return { exists: true, email };
      await sendCode('confirm_email', email, { email }, lang);
      return { exists: false, email };
    },

    async createAccount(email: string, password: string): Promise<AccountRow> {
      const problems = passwordProblems(password, email);
      if (problems.length) throw new IdentityError(problems[0]);
      if (await store.accountByEmail(db, email)) throw new IdentityError('accountExists', 409);
      const hash = await hashPassword(password);
      return db.transaction(async (tx) => {
        const a = await store.insertAccount(tx, email, hash);
        await k.events.append(tx, { stream: `identity.account:${a.id}`, type: 'identity.account.created', payload: { id: a.id } });
        return a;
      });
    },

    async signInWithPassword(rawEmail: string, password: string): Promise<AccountRow> {
      const a = await store.accountByEmail(db, normaliseEmail(rawEmail));
      const ok = await verifyPassword(password, a?.password_hash); // same cost whether or not the account exists
      if (!a) throw new IdentityError('badCredentials', 401);
      assertNotLocked(a);
      if (!ok) await failed(a, 'badCredentials');
      return a;
    },

    /** The second factor at sign-in (authenticator app or text message code). */
    async verifySecondFactor(accountId: string, code: string): Promise<void> {
      const a = await store.accountById(db, accountId);
      if (!a || !a.mfa_method) throw new IdentityError('noSecondFactor');
      assertNotLocked(a);
      if (a.mfa_method === 'app') {
        const step = verifyTotp(unseal(config.encryptionKey, a.totp_secret!), code.replace(/\s+/g, ''));
        if (step === null || !(await store.useTotpStep(db, a.id, step))) await failed(a, 'codeWrong');
      } else {
        try {
          await checkCode('sms_sign_in', a.id, code);
        } catch (e) {
          if (e instanceof IdentityError && e.code === 'codeWrong') await failed(a, 'codeWrong');
          throw e;
        }
      }
      await store.recordSuccess(db, a.id);
    },

    async sendSignInSms(accountId: string, lang: Lang, opts: { unlessSentWithinSeconds?: number } = {}): Promise<void> {
      const a = await store.accountById(db, accountId);
      if (!a?.phone || a.mfa_method !== 'sms') throw new IdentityError('noSecondFactor');
      if (opts.unlessSentWithinSeconds && (await store.codesSentSince(db, 'sms_sign_in', a.id, opts.unlessSentWithinSeconds)) > 0) return;
      await sendCode('sms_sign_in', a.id, { phone: a.phone }, lang);
    },

    newTotpSecret,
    async confirmTotp(accountId: string, secret: string, code: string): Promise<void> {
      const step = verifyTotp(secret, code.replace(/\s+/g, ''));
      if (step === null) throw new IdentityError('codeWrong');
      await store.setTotp(db, accountId, seal(config.encryptionKey, secret), step);
      await changed(accountId);
    },

    async startSmsSetup(accountId: string, rawPhone: string, lang: Lang): Promise<string> {
      const phone = normalisePhone(rawPhone);
      if (!phone) throw new IdentityError(rawPhone.trim() ? 'phoneFormat' : 'phoneMissing');
      await sendCode('sms_setup', `${accountId}:${phone}`, { phone }, lang);
      return phone;
    },
    async confirmSms(accountId: string, phone: string, code: string): Promise<void> {
      await checkCode('sms_setup', `${accountId}:${phone}`, code);
      await store.setSmsMfa(db, accountId, phone);
      await changed(accountId);
    },

    /** Always answers the same way, so it does not tell who has an account. */
    async requestPasswordReset(rawEmail: string, lang: Lang): Promise<string> {
      const email = normaliseEmail(rawEmail);
      if (!validEmail(email)) throw new IdentityError(email ? 'emailFormat' : 'emailMissing');
      if (await store.accountByEmail(db, email)) await sendCode('reset_password', email, { email }, lang);
      return email;
    },
    async checkResetCode(email: string, code: string): Promise<void> {
      await checkCode('reset_password', email, code);
    },
    /** After a checked reset code: the new password, and every existing sign-in ends. */
    async resetPassword(email: string, password: string): Promise<AccountRow> {
      const a = await store.accountByEmail(db, email);
      if (!a) throw new IdentityError('codeExpired');
      const problems = passwordProblems(password, email);
      if (problems.length) throw new IdentityError(problems[0]);
      await store.setPassword(db, a.id, await hashPassword(password));
      return a;
    },

    /** Checks evidence with the first source that handles its kind; records the check and any new level. */
    async proveIdentity(accountId: string, input: EvidenceInput): Promise<{ matched: boolean; level: IdentityLevel }> {
      const a = await store.accountById(db, accountId);
      if (!a) throw new IdentityError('noAccount', 404);
      if ((await store.recentFailedChecks(db, a.id, CHECK_WINDOW_SECONDS)) >= MAX_FAILED_CHECKS)
        throw new IdentityError('tooManyChecks', 429);
      const source = deps.evidence.find((s) => s.kinds.includes(input.kind));
      if (!source) throw new IdentityError('evidenceUnsupported');
      const result = await source.check(input, { accountId: a.id });
      const level = levelFor(result);
      const documentHash = createHash('sha256')
        .update(`${input.kind}:${input.documentNumber.replace(/\s+/g, '').toUpperCase()}`)
        .digest('hex');
      await db.transaction(async (tx) => {
        await store.insertCheck(tx, {
          accountId: a.id,
          source: source.name,
          kind: input.kind,
          documentHash,
          matched: result.matched,
          level: result.matched ? level : null,
        });
        if (result.matched && level !== 'P0' && !locAtLeast(a.identity_level, level)) {
          await store.setIdentity(tx, a.id, {
            level,
            ...result.person,
            address: result.address ?? null,
            passport: result.passport ?? null,
          });
          await k.events.append(tx, {
            stream: `identity.account:${a.id}`,
            type: 'identity.account.identity_proved',
            payload: { id: a.id, level, source: source.name },
          });
        }
      });
      if (result.matched) await changed(a.id);
      return {
        matched: result.matched,
        level: result.matched ? (locAtLeast(a.identity_level, level) ? a.identity_level : level) : a.identity_level,
      };
    },

    // Sign-ins: the browser session's link to an account, and how strongly it signed in.
    startSignIn: async (accountId: string, level: CredentialLevel) => {
      await store.recordSuccess(db, accountId);
      return store.insertSignIn(db, accountId, level);
    },
    raiseSignIn: (id: string, level: CredentialLevel) => store.raiseSignIn(db, id, level),
    endSignIn: (id: string) => store.endSignIn(db, id),
    async liveSignIn(id: string): Promise<SignedIn | null> {
      const s = await store.liveSignIn(db, id);
      return s ? { signInId: s.id, level: s.level, createdAt: s.created_at, raisedAt: s.raised_at, account: s.account } : null;
    },
    /** Ends every sign-in of the account (the provider's sessions are ended by the caller). */
    signOutEverywhere: (accountId: string) => store.signOutEverywhere(db, accountId),
    timeStep,
  };
}
export type Accounts = ReturnType<typeof createAccounts>;
