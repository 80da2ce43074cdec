/**
 * The Ollama listener's model routes: `GET/HEAD /`, `/api/version`, `/api/tags`, `/api/ps`,
 * `POST /api/show`, and a clear 501 for the routes that manage models Ollama's way.
 */
import Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import type { ShimmyState } from "../http/request-context.js";
import { modelIdOf } from "./generation-routes.js";
import { runningList, tagsList } from "./model-list.js";
import { showModel } from "./model-show.js";
import { parseOllamaShow } from "./schemas.js";

/**
 * The Ollama version whose API this listener follows. Clients compare it to turn features on
 * (tools, structured outputs, `think`), so it is Ollama's numbering, not Shimmy's: we follow the
 * API of Ollama 0.12.0.
 */
export const OLLAMA_VERSION = "0.12.0";

/** What to use instead of each Ollama route that manages models. */
const NOT_SERVED: Record<string, { method: "post" | "delete"; instead: string }> = {
  pull: { method: "post", instead: "Shimmy serves GGUF files it finds on disk: run `shimmy pull REPO` (a Hugging Face repository) or POST /api/models/pull on the main listener, and the model appears in /api/tags" },
  push: { method: "post", instead: "Shimmy does not publish models: upload the GGUF file to Hugging Face" },
  create: { method: "post", instead: "Shimmy has no Modelfiles: put the GGUF file in a models folder (or pass --model FILE); a system prompt goes in the request, and a second name is an alias in $SHIMMY_HOME/config.json" },
  copy: { method: "post", instead: "Shimmy names a model once: add an alias in $SHIMMY_HOME/config.json (\"aliases\": {\"NEW\": \"ID\"})" },
  delete: { method: "delete", instead: "run `shimmy rm MODEL` to delete a model's files" },
};

/** The model routes. */
export function ollamaModelRouter(engine: Engine): Router<ShimmyState> {
  const router = new Router<ShimmyState>();

  // Clients probe the root to find Ollama; HEAD comes with GET.
  router.get("/", (ctx) => {
    ctx.type = "text/plain";
    ctx.body = "Ollama is running";
  });

  router.get("/api/version", (ctx) => {
    ctx.body = { version: OLLAMA_VERSION };
  });

  router.get("/api/tags", (ctx) => {
    ctx.body = tagsList(engine.listModels());
  });

  router.get("/api/ps", (ctx) => {
    ctx.body = runningList(engine.listModels(), (id) => engine.modelState(id));
  });

  router.post("/api/show", async (ctx) => {
    const request = ctx.state.body as { verbose?: boolean | null };
    const name = parseOllamaShow(ctx.state.body);
    const id = modelIdOf(engine, name);
    const info = engine.listModels().find((m) => m.id === id && !m.invalidReason);
    if (!info) throw new ShimmyError("model_not_found", `model "${name}" not found: GET /api/tags lists the models served`, { param: "model" });
    ctx.body = await showModel(info, request.verbose === true);
  });

  for (const [route, { method, instead }] of Object.entries(NOT_SERVED)) {
    router[method](`/api/${route}`, () => {
      throw new ShimmyError("not_implemented", `/api/${route} is not served by Shimmy: ${instead}.`);
    });
  }

  return router;
}
