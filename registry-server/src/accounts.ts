/**
 * Who may publish: tokens from the token file (`{"TOKEN": "owner"}`, or
 * `{"TOKEN": {"owner": "shimmy", "firstParty": true}}` for the owner of the first-party names),
 * and, with open registration, accounts made by `npm adduser`. Tokens are looked up by their
 * sha256, so neither a lookup's timing nor the accounts file gives a token away.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promises as fs } from "node:fs";
import { promisify } from "node:util";
import { RegistryError } from "./errors.js";
import type { AccountsRecord, RegistryStorage } from "./storage/storage.js";

/** Who a request acts for. */
export interface Account {
  owner: string;
  /** May publish the reserved first-party names. */
  firstParty: boolean;
}

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;
// An owner name, as npm's user names: lowercase, URL-safe.
const OWNER = /^[a-z0-9][a-z0-9-._~]{0,213}$/;

function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Reads a token file. Each key is a token; each value an owner name, or `{owner, firstParty}`.
 *
 * @throws {Error} naming the file and the bad entry.
 */
export async function readTokenFile(file: string): Promise<Map<string, Account>> {
  const parsed = JSON.parse(await fs.readFile(file, "utf8")) as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${file}: a token file is a JSON object {"TOKEN": "owner"}`);
  const accounts = new Map<string, Account>();
  for (const [token, value] of Object.entries(parsed)) {
    const entry = typeof value === "string" ? { owner: value, firstParty: false } : (value as Partial<Account> | null);
    if (!entry || typeof entry.owner !== "string" || !OWNER.test(entry.owner)) {
      throw new Error(`${file}: the token ending "${token.slice(-4)}" names no valid owner (lowercase letters, digits, - . _ ~)`);
    }
    if (token.length < 16) throw new Error(`${file}: the token ending "${token.slice(-4)}" is shorter than 16 characters`);
    accounts.set(tokenHash(token), { owner: entry.owner, firstParty: entry.firstParty === true });
  }
  return accounts;
}

/** Options of {@link Accounts}. */
export interface AccountsOptions {
  storage: RegistryStorage;
  /** From {@link readTokenFile}. @default none */
  tokens?: Map<string, Account>;
  /** Whether `npm adduser` may make accounts. @default false */
  openRegistration?: boolean;
}

/** Authenticates tokens and, when open, registers users. */
export class Accounts {
  private readonly storage: RegistryStorage;
  private readonly tokens: Map<string, Account>;
  private readonly openRegistration: boolean;
  private registered: AccountsRecord = { users: {}, tokens: {} };
  private writes: Promise<unknown> = Promise.resolve();

  constructor(options: AccountsOptions) {
    this.storage = options.storage;
    this.tokens = options.tokens ?? new Map();
    this.openRegistration = options.openRegistration ?? false;
  }

  /** Loads the registered accounts. */
  async open(): Promise<void> {
    this.registered = await this.storage.loadAccounts();
  }

  /** The account a bearer token acts for, or null when the token is unknown. */
  authenticate(token: string): Account | null {
    const hash = tokenHash(token);
    const fromFile = this.tokens.get(hash);
    if (fromFile) return fromFile;
    const user = this.openRegistration && Object.hasOwn(this.registered.tokens, hash) ? this.registered.tokens[hash] : undefined;
    return user === undefined ? null : { owner: user, firstParty: false };
  }

  /** Whether an owner name appears in the token file (such a name is never open for registration). */
  private isFileOwner(owner: string): boolean {
    for (const account of this.tokens.values()) if (account.owner === owner) return true;
    return false;
  }

  /**
   * `npm adduser`/`npm login`: makes the user, or checks the password of an existing one, and
   * returns a new token.
   *
   * @throws {RegistryError} `registration_closed`, `invalid_request`, `user_exists` or `unauthorized`.
   */
  async register(name: string, password: unknown): Promise<string> {
    if (!this.openRegistration) throw new RegistryError("registration_closed", "registration is closed on this registry; ask its operator for a token");
    if (!OWNER.test(name)) throw new RegistryError("invalid_request", "a user name is lowercase letters, digits, '-', '.', '_' or '~'");
    if (typeof password !== "string" || password.length < 8) throw new RegistryError("invalid_request", "a password of at least 8 characters is required");
    if (this.isFileOwner(name)) throw new RegistryError("user_exists", `the user "${name}" already exists`);
    const token = randomBytes(32).toString("base64url");
    const run = this.writes.then(async () => {
      const existing = this.registered.users[name];
      if (existing) {
        const hash = await scryptAsync(password, Buffer.from(existing.salt, "hex"), 32);
        if (!timingSafeEqual(hash, Buffer.from(existing.hash, "hex"))) throw new RegistryError("unauthorized", `wrong password for the user "${name}"`);
      }
      const salt = randomBytes(16);
      const user = existing ?? { salt: salt.toString("hex"), hash: (await scryptAsync(password, salt, 32)).toString("hex"), created: new Date().toISOString() };
      const next: AccountsRecord = {
        users: { ...this.registered.users, [name]: user },
        tokens: { ...this.registered.tokens, [tokenHash(token)]: name },
      };
      await this.storage.writeAccounts(next);
      this.registered = next;
    });
    this.writes = run.catch(() => undefined);
    await run;
    return token;
  }
}
