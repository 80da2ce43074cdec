/**
 * How a validated chat request is generated: its structured-output checks, and either a plain chat
 * on the engine or, when it is offered plugin tools, the server's tool loop. The one composition of
 * `planToolLoop`, `parseStructured`, `engine.chat` and `runToolLoop`, shared by
 * `/v1/chat/completions`, `/v1/responses` (its request translated to chat fields) and a workflow's
 * `llm` step.
 *
 * Planning (every check that can refuse the request) comes before the turns are known, so a route
 * that reads stored history (Responses) still refuses a bad request before it looks anything up.
 */
import type { KeepAlive } from "../config/duration.js";
import type { ChatTurn, Engine, GenerationResult, SamplingParams, ToolCallDelta } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import { planToolLoop } from "../tools/plan-tool-loop.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { runToolLoop } from "../tools/tool-loop.js";
import type { ToolTraceEntry } from "../tools/tool-trace.js";
import { toSamplingParams } from "./convert-request.js";
import { parseStructured, type StructuredRequest } from "./structured.js";
import type { ChatCompletionRequest } from "./types.js";

/** What a generation may report as it goes. */
export interface ChatGenerationCallbacks {
  onText?: (text: string) => void;
  onToolCall?: (delta: ToolCallDelta) => void;
  onTrace?: (entries: ToolTraceEntry[]) => void;
}

/** Options of {@link planChatGeneration}. */
export interface ChatGenerationOptions {
  engine: Engine;
  /** The installed plugins whose tools the request may get; none without it. */
  plugins?: PluginToolSource;
  /** The plugins a request that names none gets. @default none */
  defaultPlugins?: DefaultPlugins;
  /** Written on each plugin call's audit line. */
  requestId?: string;
  /** The model's keep-alive from this request on. @default the model's own */
  keepAlive?: KeepAlive;
  /** The sampling parameters, when the request's own fields do not give them (a translated request). @default toSamplingParams(request) */
  sampling?: SamplingParams;
  /**
   * Rewords a refusal of the request's tools or format for the API the request came in by (the
   * Responses API names `text.format` what chat names `response_format`). @default as it is
   */
  renameError?: (err: ShimmyError) => ShimmyError;
}

/** A request ready to generate. */
export interface ChatGeneration {
  /** Throws `output_invalid` when a finished answer is not what was asked for (structured output). */
  check(result: GenerationResult): void;
  /** Generates the answer to `turns` (through its tool loop, when it has one); `signal` aborts it and frees its slot. */
  generate(turns: ChatTurn[], signal: AbortSignal, callbacks?: ChatGenerationCallbacks): Promise<GenerationResult & { trace?: ToolTraceEntry[] }>;
}

/**
 * Checks a request's tools, format and plugins, and returns how to generate it.
 * @throws ShimmyError as `/v1/chat/completions` answers them (`invalid_parameter`, a `plugins` entry that is not installed or cannot run).
 * @example
 * const request = parseChatCompletionRequest(body);
 * const generation = planChatGeneration(request, { engine, plugins });
 * const result = await generation.generate(toChatTurns(request.messages), signal);
 * generation.check(result);
 */
export function planChatGeneration(request: ChatCompletionRequest, options: ChatGenerationOptions): ChatGeneration {
  const { engine, plugins } = options;
  const loop = planToolLoop(request, plugins, options.defaultPlugins ?? {});
  // A tool_choice about plugin tools is the loop's; the client's tools are checked without it.
  const { checkResult, ...structured } = structuredOf(loop?.toolChoice ? { ...request, tool_choice: undefined } : request, options.renameError);
  const sampling = options.sampling ?? toSamplingParams(request);
  const keepAlive = options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive };
  return {
    check: checkResult,
    generate: (turns, signal, callbacks = {}) => {
      const { onText, onToolCall, onTrace } = callbacks;
      if (!loop || !plugins) return engine.chat({ model: request.model, turns, ...structured, sampling, signal, onText, onToolCall, ...keepAlive });
      const { tools: clientTools = [], toolChoice: clientChoice, ...rest } = structured;
      const toolChoice = loop.toolChoice ?? clientChoice;
      return runToolLoop({
        ...rest,
        engine, source: plugins, model: request.model, signal, turns, sampling, clientTools,
        pluginTools: loop.pluginTools, maxRounds: loop.maxRounds, pluginToolChoice: loop.pluginToolChoice,
        onText, onToolCall, onTrace,
        ...keepAlive,
        ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
        ...(toolChoice ? { toolChoice } : {}),
      });
    },
  };
}

/** {@link parseStructured}, its refusals reworded by `rename` when given. */
function structuredOf(request: ChatCompletionRequest, rename: ChatGenerationOptions["renameError"]): StructuredRequest {
  try {
    return parseStructured(request);
  } catch (err) {
    if (!rename || !(err instanceof ShimmyError)) throw err;
    throw rename(err);
  }
}
