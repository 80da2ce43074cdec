/**
 * `POST /v1/messages/count_tokens`: the tokens of the prompt a Messages request renders to, counted
 * by the model's own tokenizer on the text its chat template produces, with the tools the first
 * generation round would offer (the client's, and the plugin tools the request gets, as
 * `openai/chat-generation.ts` would add them).
 */
import type { ChatRequest, Engine, ToolChoice, ToolSpec } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import { parseStructured } from "../openai/structured.js";
import { planToolLoop } from "../tools/plan-tool-loop.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { toAnthropicParam, toChatFields, toChatTurns } from "./convert-request.js";
import type { CountTokensRequest } from "./types.js";

/** Options of {@link countMessageTokens}. */
export interface CountTokensOptions {
  engine: Engine;
  signal: AbortSignal;
  plugins?: PluginToolSource;
  defaultPlugins?: DefaultPlugins;
}

/**
 * The tokens of the request's prompt. Through `engine.countChatTokens` when the engine has it;
 * otherwise (an engine wrapper that leaves it out) through a one-token chat, whose `promptTokens`
 * is the same count, at the cost of a slot for one token.
 * @throws ShimmyError as `/v1/messages` refuses the request's tools, or an unknown model.
 */
export async function countMessageTokens(request: CountTokensRequest, options: CountTokensOptions): Promise<number> {
  const { engine } = options;
  const chat = toChatFields(request);
  const loop = planToolLoop(chat, options.plugins, options.defaultPlugins ?? {});
  const structured = withAnthropicParams(() => parseStructured(loop?.toolChoice ? { ...chat, tool_choice: undefined } : chat));
  const tools: ToolSpec[] = [...(structured.tools ?? []), ...(loop?.pluginTools.map((tool) => tool.spec) ?? [])];
  const toolChoice: ToolChoice | undefined = loop?.toolChoice ?? structured.toolChoice;
  const countRequest: ChatRequest = {
    model: request.model,
    turns: toChatTurns(request),
    sampling: { stop: [] },
    signal: options.signal,
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice ? { toolChoice } : {}),
    ...(structured.parallelToolCalls === undefined ? {} : { parallelToolCalls: structured.parallelToolCalls }),
  };
  if (engine.countChatTokens) return engine.countChatTokens(countRequest);
  const result = await engine.chat({ ...countRequest, sampling: { stop: [], maxTokens: 1 } });
  return result.promptTokens;
}

/** Runs `parse`, its refusals naming the Messages API's fields. */
export function withAnthropicParams<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ShimmyError)) throw err;
    throw renameError(err);
  }
}

/** A refusal of the chat core, naming the Messages API's fields. */
export function renameError(err: ShimmyError): ShimmyError {
  return new ShimmyError(err.code, toAnthropicParam(err.message), { param: err.param === null ? null : toAnthropicParam(err.param), headers: err.headers, cause: err });
}
