/**
 * llama.cpp's `POST /infill`, which editor plugins (llama.vscode, Continue's llama.cpp provider)
 * call for code completion: validated, converted and run as a fill-in-the-middle completion on the
 * engine. The answer is llama.cpp's `/completion` shape; streamed, one `data: {json}` event per
 * piece of text and a last one with `stop: true` and the counts, with no `[DONE]` (llama.cpp sends none).
 */
import Router from "@koa/router";
import type { Engine, GenerationResult } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import { answerGeneration } from "../http/answer-generation.js";
import { generationLog } from "../http/generation-answer.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import { sseData, sseError } from "../http/sse.js";
import { infillChunk, infillResponse, toInfillParts, toInfillSampling } from "./convert-infill.js";
import { parseInfillRequest } from "./infill-schema.js";

/**
 * The model of a request that names none: llama.cpp serves one model, so its clients often send no
 * `model`; Shimmy picks its only servable model, and otherwise asks for one.
 */
function defaultModel(engine: Engine): string {
  const servable = engine.listModels().filter((m) => !m.invalidReason && m.capabilities.includes("completion"));
  if (servable.length === 1) return servable[0]!.id;
  throw new ShimmyError(
    "invalid_parameter",
    `model is required: this server serves ${servable.length} models (${servable.map((m) => m.id).join(", ") || "none"}); send one of GET /v1/models's ids.`,
    { param: "model" },
  );
}

/** The `/infill` route. */
export function infillRouter(engine: Engine): Router<ShimmyState> {
  const router = new Router<ShimmyState>();
  router.post("/infill", async (ctx) => {
    const body = parseInfillRequest(ctx.state.body);
    const model = body.model ?? defaultModel(engine);
    const sampling = toInfillSampling(body);
    await answerInfill(ctx as ShimmyContext, model, body.stream === true, (onText) =>
      // `n_predict: 0` is llama.vscode's cache warm-up: nothing to generate, so nothing is run.
      sampling.maxTokens === 0
        ? Promise.resolve({ text: "", finishReason: "length", promptTokens: 0, completionTokens: 0 })
        : engine.infill({ model, ...toInfillParts(body), sampling, signal: ctx.state.abort.signal, onText }),
    );
  });
  return router;
}

/**
 * Runs the generation and writes its answer: one JSON body, or an event stream whose status waits
 * for the first text, so a failure before any (unknown model, no FIM tokens, full queue) is an
 * ordinary error response; a failure after it is an `{"error": …}` event.
 */
async function answerInfill(ctx: ShimmyContext, model: string, stream: boolean, generate: (onText: (text: string) => void) => Promise<GenerationResult>): Promise<void> {
  await answerGeneration(ctx, {
    notes: generationLog(ctx, model, stream),
    stream,
    generate: (onText) => generate(onText),
    // The stream opens with the first piece of text, or with the last event when there is none.
    events: { start: () => "", text: (text) => sseData(infillChunk(text)), toolCall: () => "" },
    whole: (result) => infillResponse(model, result),
    end: (result) => sseData(infillResponse(model, result, "")),
    error: sseError,
  });
}
