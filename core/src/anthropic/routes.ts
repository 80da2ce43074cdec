/**
 * Anthropic's Messages API under `/v1/messages`: thin handlers that validate, translate onto the
 * chat core (`openai/chat-generation.ts`, the one composition chat completions, Responses and the
 * workflow `llm` step share: tools, plugin tools and `defaultPlugins`, structured checks), and
 * answer in Anthropic's shapes. Errors under this path are rendered by `errors.ts`; the
 * `anthropic-version` and `anthropic-beta` headers are accepted and ignored.
 */
import Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import { planChatGeneration } from "../openai/chat-generation.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { answerMessage } from "./answer-message.js";
import { countMessageTokens, renameError } from "./count-tokens.js";
import { toChatFields, toChatTurns, toSampling } from "./convert-request.js";
import { newMessageId } from "./convert-response.js";
import { parseCountTokensRequest, parseMessageRequest } from "./validate.js";

/** Options of {@link anthropicRouter}. */
export interface AnthropicRouterOptions {
  /** The installed plugins whose tools a request may get; none without it. */
  plugins?: PluginToolSource;
  /** `defaultPlugins` of config.json: the plugins a request that names none gets. @default none */
  defaultPlugins?: DefaultPlugins;
}

/** `POST /v1/messages` and `POST /v1/messages/count_tokens`. */
export function anthropicRouter(engine: Engine, options: AnthropicRouterOptions = {}): Router<ShimmyState> {
  const router = new Router<ShimmyState>({ prefix: "/v1/messages" });
  const pluginOptions = {
    ...(options.plugins ? { plugins: options.plugins } : {}),
    ...(options.defaultPlugins ? { defaultPlugins: options.defaultPlugins } : {}),
  };

  router.post("/", async (ctx) => {
    const request = parseMessageRequest(ctx.state.body);
    const generation = planChatGeneration(toChatFields(request), {
      engine, requestId: ctx.state.requestId, sampling: toSampling(request), renameError, ...pluginOptions,
    });
    const turns = toChatTurns(request);
    const signal = ctx.state.abort.signal;
    await answerMessage(ctx as ShimmyContext, {
      meta: { id: newMessageId(), model: request.model },
      stream: request.stream === true,
      check: generation.check,
      generate: (onText, onToolCall, onTrace) => generation.generate(turns, signal, { onText, onToolCall, onTrace }),
    });
  });

  router.post("/count_tokens", async (ctx) => {
    const request = parseCountTokensRequest(ctx.state.body);
    ctx.state.log.model = request.model;
    const inputTokens = await countMessageTokens(request, { engine, signal: ctx.state.abort.signal, ...pluginOptions });
    ctx.state.log.promptTokens = inputTokens;
    ctx.body = { input_tokens: inputTokens };
  });

  return router;
}
