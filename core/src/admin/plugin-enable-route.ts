/**
 * `POST /api/plugins/enable` and `/disable` (`{"name": "calculator"}`): what `shimmy plugin enable`
 * and `disable` do, for the web page. The one store change the server makes itself: switching a
 * plugin on or off grants nothing the user did not approve at install, so a page may do it;
 * installing, removing and configuring stay the CLI's, which shows the permissions at a terminal.
 * The change commits through the store (its guard, one rename of the lock file) and the answer
 * waits until this server has applied it: the plugin as `GET /api/plugins` now lists it.
 */
import Router from "@koa/router";
import { ShimmyError, retryLater } from "../errors.js";
import type { ShimmyState } from "../http/request-context.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import type { InstalledPlugins } from "../plugins/installed-plugins.js";
import type { StoreLayout } from "../plugins/store/layout.js";
import { StoreError } from "../plugins/store/store-error.js";
import { setPluginEnabled } from "../plugins/store/store.js";

/** Options of {@link adminPluginEnableRouter}. */
export interface AdminPluginEnableOptions {
  plugins: InstalledPlugins;
  /** The store the server's plugins come from. */
  layout: StoreLayout;
}

const NAME_MESSAGE = "Missing required parameter: name (a plugin's name from GET /api/plugins)";

const validateName = compileBodySchema({
  type: "object",
  required: ["name"],
  [MESSAGE_KEYWORD]: { required: NAME_MESSAGE },
  properties: { name: { type: "string", minLength: 1, [MESSAGE_KEYWORD]: { type: NAME_MESSAGE, minLength: NAME_MESSAGE } } },
});

/** A store failure as the catalog error a client sees; anything else is left as it is (a 500). */
function storeFailure(err: unknown, name: string): unknown {
  if (!(err instanceof StoreError)) return err;
  if (err.code === "not_installed") return new ShimmyError("plugin_not_found", `No plugin named ${name} is installed; GET /api/plugins lists them.`, { param: "name", cause: err });
  if (err.code === "busy") return retryLater(err.message, { cause: err });
  return err;
}

/** The enable and disable routes. */
export function adminPluginEnableRouter({ plugins, layout }: AdminPluginEnableOptions): Router<ShimmyState> {
  const router = new Router<ShimmyState>({ prefix: "/api/plugins" });
  for (const enabled of [true, false]) {
    router.post(enabled ? "/enable" : "/disable", async (ctx) => {
      const { name } = checkBody<{ name: string }>(validateName, ctx.state.body);
      await setPluginEnabled(layout, name, enabled).catch((err: unknown) => {
        throw storeFailure(err, name);
      });
      // The store watcher would reload too; waiting here makes the answer the plugin's new state.
      await plugins.reload();
      ctx.body = plugins.list().find((p) => p.name === name) ?? { name, enabled };
    });
  }
  return router;
}
