/**
 * Native tool formats, checked without an instruct model (none is available offline): a
 * conversation with a tool call and its result, converted by `toChatHistory`, must render in each
 * tool-capable chat wrapper exactly as that wrapper writes a call and its result, which is also
 * the format it detects when a model calls a tool.
 */
import {
  DeepSeekChatWrapper, FunctionaryChatWrapper, JinjaTemplateChatWrapper, Llama3_1ChatWrapper, Llama3_2LightweightChatWrapper,
  MistralChatWrapper, QwenChatWrapper, type ChatModelFunctions, type ChatWrapper,
} from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { toChatHistory } from "./chat-history.js";
import { NativeToolCalls } from "./native-tool-calls.js";
import type { ToolCallDelta } from "./types.js";

const FUNCTIONS: ChatModelFunctions = {
  get_weather: { description: "Current weather", params: { type: "object", properties: { city: { type: "string" } } } },
};

/** Hermes-style template (Qwen 2.5, NousResearch): calls in <tool_call>, results in <tool_response>. */
const HERMES_TEMPLATE = `{%- if tools %}<|im_start|>system\n# Tools\n<tools>{%- for tool in tools %}\n{{ tool | tojson }}{%- endfor %}\n</tools><|im_end|>\n{%- endif %}{%- for message in messages %}{%- if message.role == "tool" %}<|im_start|>user\n<tool_response>\n{{ message.content }}\n</tool_response><|im_end|>\n{%- elif message.tool_calls %}<|im_start|>assistant\n{%- for tool_call in message.tool_calls %}<tool_call>\n{"name": "{{ tool_call.function.name }}", "arguments": {{ tool_call.function.arguments | tojson }}}\n</tool_call>{%- endfor %}<|im_end|>\n{%- else %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{%- endif %}{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}`;

const WRAPPERS: [string, () => ChatWrapper][] = [
  ["Llama 3.1", () => new Llama3_1ChatWrapper()],
  ["Llama 3.2 lightweight", () => new Llama3_2LightweightChatWrapper()],
  ["Qwen", () => new QwenChatWrapper()],
  ["Mistral", () => new MistralChatWrapper()],
  ["Functionary", () => new FunctionaryChatWrapper()],
  ["DeepSeek", () => new DeepSeekChatWrapper()],
  ["Hermes-style Jinja", () => new JinjaTemplateChatWrapper({ template: HERMES_TEMPLATE })],
];

const history = toChatHistory([
  { role: "system", text: "You help with weather." },
  { role: "user", text: "Weather in Oslo?" },
  { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
  { role: "tool", toolCallId: "call_1", text: "3 degrees and snow" },
]);

describe.each(WRAPPERS)("the %s chat wrapper", (_name, create) => {
  it("renders the call and its result in its native format", () => {
    const wrapper = create();
    const rendered = wrapper.generateContextState({ chatHistory: history, availableFunctions: FUNCTIONS }).contextText.toString();
    expect(rendered).toContain("get_weather");
    expect(rendered).toMatch(/"city":\s*"Oslo"/);
    expect(rendered).toContain("3 degrees and snow");
    // The result comes after the call, and the answer to write comes after both.
    expect(rendered.indexOf("3 degrees and snow")).toBeGreaterThan(rendered.indexOf("get_weather"));
    if (!(wrapper instanceof JinjaTemplateChatWrapper)) {
      // The call is written exactly as the wrapper writes (and so detects) a call of this model.
      const prefix = wrapper.settings.functions.call.prefix.toString();
      expect(rendered).toContain(prefix.trim());
    }
  });

  it("documents the offered tools for the model", () => {
    const rendered = create().generateContextState({ chatHistory: toChatHistory([{ role: "user", text: "hi" }]), availableFunctions: FUNCTIONS }).contextText.toString();
    expect(rendered).toContain("get_weather");
  });
});

describe("NativeToolCalls", () => {
  it("turns streamed parameters into OpenAI deltas whose pieces add up to the arguments", () => {
    const deltas: ToolCallDelta[] = [];
    const native = new NativeToolCalls((d) => deltas.push(d));
    for (const paramsChunk of ['{"ci', 'ty": "Os', 'lo"}']) native.push({ callIndex: 0, functionName: "get_weather", paramsChunk, done: false });
    native.push({ callIndex: 1, functionName: "get_time", paramsChunk: "{}", done: true });
    const calls = native.result([
      { functionName: "get_weather", params: { city: "Oslo" } as never, raw: [] },
      { functionName: "get_time", params: {} as never, raw: [] },
    ]);
    expect(calls.map((c) => [c.name, c.arguments])).toEqual([["get_weather", '{"city": "Oslo"}'], ["get_time", "{}"]]);
    expect(deltas[0]).toEqual({ index: 0, id: calls[0]!.id, name: "get_weather" });
    expect(deltas.filter((d) => d.index === 0 && d.arguments).map((d) => d.arguments).join("")).toBe(calls[0]!.arguments);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
  });
});
