/** User routes: `npm whoami` and `npm adduser`/`npm login` (CouchDB's user document PUT). */
import Router from "@koa/router";
import type { Accounts } from "../accounts.js";
import { requireAccount } from "../auth.js";
import { readJsonBody } from "../body.js";
import { RegistryError } from "../errors.js";

const USER_ID = "org.couchdb.user:";

/** The `/-/whoami` and `/-/user/…` routes. */
export function userRoutes(accounts: Accounts): Router {
  const router = new Router();
  router.get("/-/whoami", (ctx) => {
    ctx.body = { username: requireAccount(ctx, accounts).owner };
  });
  router.put("/-/user/:id", async (ctx) => {
    const id = ctx.params.id ?? "";
    if (!id.startsWith(USER_ID)) throw new RegistryError("not_found", "not found");
    const name = id.slice(USER_ID.length);
    const body = await readJsonBody(ctx, 64 * 1024);
    if (body.name !== undefined && body.name !== name) throw new RegistryError("invalid_request", "the body's name differs from the URL's");
    const token = await accounts.register(name, body.password);
    ctx.status = 201;
    ctx.body = { ok: true, id: `${USER_ID}${name}`, token };
  });
  return router;
}
