/** `Authorization: Bearer TOKEN`: who a request acts for, and the 401 when a write has no valid token. */
import type { Context } from "koa";
import type { Account, Accounts } from "./accounts.js";
import { RegistryError } from "./errors.js";

/** The account of the request's bearer token. */
export function requireAccount(ctx: Context, accounts: Accounts): Account {
  const header = ctx.get("authorization");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new RegistryError("unauthorized", header ? "only bearer tokens are accepted (Authorization: Bearer TOKEN)" : "this needs a token: set //HOST:PORT/:_authToken in .npmrc (Authorization: Bearer TOKEN)");
  }
  const account = accounts.authenticate(match[1]!);
  if (!account) throw new RegistryError("unauthorized", "the token is not valid on this registry");
  return account;
}
