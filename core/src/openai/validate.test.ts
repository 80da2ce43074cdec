import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { MAX_JSON_DEPTH } from "./json-depth.js";
import { parseChatCompletionRequest, parseCompletionRequest } from "./validate.js";

const user = { role: "user", content: "Hi" };
const chat = (extra: Record<string, unknown> = {}) => ({ model: "m", messages: [user], ...extra });
const text = (extra: Record<string, unknown> = {}) => ({ model: "m", prompt: "Once", ...extra });

/** Runs `fn`, expecting a 400 invalid_parameter, and returns the error for further checks. */
function rejection(fn: () => unknown): ShimmyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ShimmyError);
    const e = err as ShimmyError;
    expect(e.status).toBe(400);
    expect(e.code).toBe("invalid_parameter");
    expect(e.type).toBe("invalid_request_error");
    return e;
  }
  throw new Error("expected the body to be rejected");
}

const chatError = (body: unknown) => rejection(() => parseChatCompletionRequest(body));
const textError = (body: unknown) => rejection(() => parseCompletionRequest(body));

describe("parseChatCompletionRequest: the body", () => {
  it("returns a valid body unchanged, unknown fields included", () => {
    const body = chat({ metadata: { a: 1 }, store: false, parallel_tool_calls: true, whatever: 1 });
    expect(parseChatCompletionRequest(body)).toBe(body);
  });

  it.each([null, [], "text", 3, true])("rejects a body that is not a JSON object (%j) with param null", (body) => {
    const e = chatError(body);
    expect(e.param).toBeNull();
    expect(e.message).toBe("The request body must be a JSON object");
  });

  it("names a missing model", () => {
    const e = chatError({ messages: [user] });
    expect(e.param).toBe("model");
    expect(e.message).toBe("Missing required parameter: model");
  });

  it("rejects an empty model", () => {
    expect(chatError(chat({ model: "" })).param).toBe("model");
  });

  it("names missing or empty messages", () => {
    expect(chatError({ model: "m" }).message).toBe("Missing required parameter: messages");
    const e = chatError(chat({ messages: [] }));
    expect(e.param).toBe("messages");
    expect(e.message).toMatch(/at least one message/);
  });

  it("accepts tools, tool_choice and response_format without checking them", () => {
    expect(() =>
      parseChatCompletionRequest(chat({ tools: "junk", tool_choice: 5, response_format: { type: "json_schema" } })),
    ).not.toThrow();
  });
});

describe("parseChatCompletionRequest: messages", () => {
  const withMessages = (...messages: unknown[]) => chat({ messages });

  it("names a wrong role with the allowed ones", () => {
    const e = chatError(withMessages(user, user, { role: "bot", content: "x" }));
    expect(e.param).toBe("messages.2.role");
    expect(e.message).toBe("messages.2.role must be one of system, developer, user, assistant, tool");
  });

  it("names a missing role", () => {
    expect(chatError(withMessages({ content: "x" })).param).toBe("messages.0.role");
  });

  it("accepts every role with string content and optional names", () => {
    const body = withMessages(
      { role: "system", content: "s", name: "x" },
      { role: "developer", content: "d" },
      { role: "user", content: "u", name: null },
      { role: "assistant", content: "a" },
      { role: "tool", content: "t", tool_call_id: "call_1" },
    );
    expect(() => parseChatCompletionRequest(body)).not.toThrow();
  });

  it("accepts content as an array of text parts", () => {
    const body = withMessages({ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] });
    expect(() => parseChatCompletionRequest(body)).not.toThrow();
  });

  it.each(["image_url", "input_audio", "file"])("refuses a %s part, naming its type, as text-only", (type) => {
    const e = chatError(withMessages({ role: "user", content: [{ type: "text", text: "a" }, { type, [type]: {} }] }));
    expect(e.param).toBe("messages.0.content.1.type");
    expect(e.message).toContain(`"${type}"`);
    expect(e.message).toMatch(/text only/);
  });

  it("names a text part without text", () => {
    const e = chatError(withMessages({ role: "user", content: [{ type: "text" }] }));
    expect(e.param).toBe("messages.0.content.0.text");
    expect(e.message).toBe("Missing required parameter: messages.0.content.0.text");
  });

  it("accepts null or absent content for an assistant turn that called tools", () => {
    const call = { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
    const body = withMessages(
      user,
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", content: "r", tool_call_id: "call_1" },
      { role: "assistant", tool_calls: [call] },
      { role: "assistant", content: "", tool_calls: null, refusal: null, audio: null },
    );
    expect(() => parseChatCompletionRequest(body)).not.toThrow();
  });

  it.each(["system", "developer", "user", "tool"])("refuses null content for a %s turn", (role) => {
    const e = chatError(withMessages({ role, content: null, tool_call_id: "c" }));
    expect(e.param).toBe("messages.0.content");
    expect(e.message).toBe("messages.0.content must be a string or an array of text parts");
  });

  it("names missing content of a user turn", () => {
    expect(chatError(withMessages({ role: "user" })).message).toBe("Missing required parameter: messages.0.content");
  });

  it("requires tool_call_id on a tool turn", () => {
    const e = chatError(withMessages(user, { role: "tool", content: "r" }));
    expect(e.param).toBe("messages.1.tool_call_id");
  });

  it("checks the shape of assistant tool calls", () => {
    const bad = (call: unknown) => chatError(withMessages({ role: "assistant", content: null, tool_calls: [call] }));
    expect(bad({ type: "function", function: { name: "f", arguments: "{}" } }).param).toBe("messages.0.tool_calls.0.id");
    expect(bad({ id: "c", type: "tool", function: { name: "f", arguments: "{}" } }).param).toBe(
      "messages.0.tool_calls.0.type",
    );
    const e = bad({ id: "c", type: "function", function: { name: "f", arguments: { a: 1 } } });
    expect(e.param).toBe("messages.0.tool_calls.0.function.arguments");
  });

  it("names a name that is not a string", () => {
    expect(chatError(withMessages({ role: "user", content: "x", name: 3 })).param).toBe("messages.0.name");
  });
});

describe("parseChatCompletionRequest: parameters", () => {
  it.each([
    [{ temperature: 2.5 }, "temperature", "temperature must be at most 2"],
    [{ temperature: -1 }, "temperature", "temperature must be at least 0"],
    [{ temperature: "hot" }, "temperature", "temperature must be a number or null"],
    [{ top_p: 1.1 }, "top_p", "top_p must be at most 1"],
    [{ top_k: -1 }, "top_k", "top_k must be at least 0"],
    [{ top_k: 1.5 }, "top_k", "top_k must be an integer or null"],
    [{ min_p: 2 }, "min_p", "min_p must be at most 1"],
    [{ seed: 1.5 }, "seed", "seed must be an integer or null"],
    [{ seed: 2 ** 60 }, "seed", `seed must be at most ${Number.MAX_SAFE_INTEGER}`],
    [{ max_tokens: 0 }, "max_tokens", "max_tokens must be at least 1"],
    [{ max_completion_tokens: 2.5 }, "max_completion_tokens", "max_completion_tokens must be an integer or null"],
    [{ presence_penalty: 3 }, "presence_penalty", "presence_penalty must be at most 2"],
    [{ frequency_penalty: -3 }, "frequency_penalty", "frequency_penalty must be at least -2"],
    [{ stream: "yes" }, "stream", "stream must be a boolean or null"],
    [{ stream_options: { include_usage: 1 } }, "stream_options.include_usage", "stream_options.include_usage must be a boolean or null"],
    [{ user: 5 }, "user", "user must be a string or null"],
  ])("rejects %j naming %s", (extra, param, message) => {
    const e = chatError(chat(extra));
    expect(e.param).toBe(param);
    expect(e.message).toBe(message);
  });

  it("accepts every parameter at its limits, negative seeds included", () => {
    const body = chat({
      temperature: 0, top_p: 1, top_k: 0, min_p: 0, seed: -42, max_tokens: 1, max_completion_tokens: 9,
      presence_penalty: -2, frequency_penalty: 2, n: 1, stream: true, stream_options: { include_usage: true },
      user: "u", logit_bias: { "0": -100, "50256": 100 }, logprobs: false, stop: "\n",
    });
    expect(() => parseChatCompletionRequest(body)).not.toThrow();
  });

  it("treats null for every optional parameter as absent", () => {
    const names = ["max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "min_p", "seed", "stop",
      "presence_penalty", "frequency_penalty", "logit_bias", "n", "stream", "stream_options", "user", "logprobs",
      "top_logprobs"];
    const body = chat(Object.fromEntries(names.map((n) => [n, null])));
    expect(() => parseChatCompletionRequest(body)).not.toThrow();
  });

  it("accepts stop as a string or an array of up to 16 strings", () => {
    expect(() => parseChatCompletionRequest(chat({ stop: Array(16).fill("x") }))).not.toThrow();
    expect(() => parseChatCompletionRequest(chat({ stop: [] }))).not.toThrow();
  });

  it.each([
    [{ stop: Array(17).fill("x") }, "stop", /at most 16/],
    [{ stop: ["a", ""] }, "stop.1", /stop\.1 must not be empty/],
    [{ stop: ["a", 3] }, "stop.1", /stop\.1 must be a string/],
    [{ stop: "" }, "stop", /stop must not be empty/],
    [{ stop: 3 }, "stop", /stop must be a string, an array of strings or null/],
  ])("rejects stop %j naming %s", (extra, param, message) => {
    const e = chatError(chat(extra));
    expect(e.param).toBe(param);
    expect(e.message).toMatch(message);
  });

  it("names a logit_bias key that is not a token id", () => {
    const e = chatError(chat({ logit_bias: { "12": 1, abc: 2 } }));
    expect(e.param).toBe("logit_bias.abc");
    expect(e.message).toMatch(/token ids/);
  });

  it("names a logit_bias value out of range", () => {
    const e = chatError(chat({ logit_bias: { "123": 101 } }));
    expect(e.param).toBe("logit_bias.123");
    expect(e.message).toBe("logit_bias.123 must be at most 100");
  });

  it.each([2, 0, "1"])("rejects n=%j saying only n=1 is supported", (n) => {
    const e = chatError(chat({ n }));
    expect(e.param).toBe("n");
    expect(e.message).toMatch(/Only n=1 is supported/);
  });

  it("refuses logprobs: true and top_logprobs as not supported", () => {
    const lp = chatError(chat({ logprobs: true }));
    expect(lp.param).toBe("logprobs");
    expect(lp.message).toMatch(/not supported/);
    const top = chatError(chat({ top_logprobs: 3 }));
    expect(top.param).toBe("top_logprobs");
    expect(top.message).toMatch(/not supported/);
  });

  it("reports a missing required field before a bad parameter", () => {
    expect(chatError({ messages: [user], temperature: 9 }).param).toBe("model");
  });
});

describe("parseCompletionRequest", () => {
  it("accepts a string prompt or an array of one string, with the shared parameters", () => {
    expect(() => parseCompletionRequest(text({ temperature: 1, stop: ["\n"], stream: true }))).not.toThrow();
    expect(() => parseCompletionRequest(text({ prompt: ["Once"] }))).not.toThrow();
    expect(() => parseCompletionRequest(text({ prompt: "" }))).not.toThrow();
  });

  it("accepts a suffix string, empty included, for fill in the middle", () => {
    expect(parseCompletionRequest(text({ suffix: "\n}" })).suffix).toBe("\n}");
    expect(parseCompletionRequest(text({ suffix: "" })).suffix).toBe("");
  });

  it("accepts the unsupported options at their neutral values and nulls", () => {
    const body = text({ echo: false, suffix: null, logprobs: 0, best_of: 1, n: 1 });
    expect(() => parseCompletionRequest(body)).not.toThrow();
    const nulls = text({ echo: null, logprobs: null, best_of: null, n: null, stream_options: null });
    expect(() => parseCompletionRequest(nulls)).not.toThrow();
  });

  it("names a missing prompt or model", () => {
    expect(textError({ model: "m" }).message).toBe("Missing required parameter: prompt");
    expect(textError({ prompt: "x" }).param).toBe("model");
  });

  it.each([
    [["a", "b"], /single string/],
    [[1, 2, 3], /token ids/],
    [[[1, 2]], /token ids/],
    [[], /empty array/],
    [5, /string or an array of one string/],
  ])("rejects prompt %j naming prompt", (prompt, message) => {
    const e = textError(text({ prompt }));
    expect(e.param).toBe("prompt");
    expect(e.message).toMatch(message);
  });

  it.each([
    [{ echo: true }, "echo"],
    [{ suffix: 5 }, "suffix"],
    [{ logprobs: 5 }, "logprobs"],
    [{ best_of: 2 }, "best_of"],
    [{ n: 3 }, "n"],
    [{ top_p: 2 }, "top_p"],
    [{ stop: ["", "x"] }, "stop.0"],
  ])("rejects %j naming %s", (extra, param) => {
    expect(textError(text(extra)).param).toBe(param);
  });
});

describe("parseChatCompletionRequest: JSON nested too deeply to walk", () => {
  /** A JSON Schema nested `levels` deep, parsed from text as the server receives it. */
  const deepSchema = (levels: number) => JSON.parse('{"type":"array","items":'.repeat(levels) + "{}" + "}".repeat(levels)) as unknown;
  const deepJson = (levels: number) => "[".repeat(levels) + "]".repeat(levels);
  const call = (args: string) => ({ id: "c1", type: "function", function: { name: "f", arguments: args } });

  it("refuses a response_format or tool schema nested 2,000 levels or more, before any walk", () => {
    for (const levels of [2_000, 20_000]) {
      const format = chatError(chat({ response_format: { type: "json_schema", json_schema: { name: "a", schema: deepSchema(levels) } } }));
      expect(format.param).toBe("response_format.json_schema.schema");
      expect(format.message).toContain(`more than ${MAX_JSON_DEPTH} levels deep`);
      const tools = [{ type: "function", function: { name: "ok" } }, { type: "function", function: { name: "f", parameters: deepSchema(levels) } }];
      expect(chatError(chat({ tools })).param).toBe("tools.1.function.parameters");
    }
  });

  it("refuses tool-call arguments and tool results nested too deeply, naming them", () => {
    const messages = [user, { role: "assistant", content: null, tool_calls: [call("{}"), call(`{"a":${deepJson(5_000)}}`)] }];
    expect(chatError(chat({ messages })).param).toBe("messages.1.tool_calls.1.function.arguments");
    const result = [user, { role: "assistant", content: null, tool_calls: [call("{}")] }, { role: "tool", tool_call_id: "c1", content: deepJson(5_000) }];
    expect(chatError(chat({ messages: result })).param).toBe("messages.2.content");
  });

  it("keeps arguments at the limit, and text that only looks deep but is not JSON", () => {
    const atLimit = [user, { role: "assistant", content: null, tool_calls: [call(deepJson(MAX_JSON_DEPTH))] }];
    expect(() => parseChatCompletionRequest(chat({ messages: atLimit }))).not.toThrow();
    const brackets = [user, { role: "assistant", content: null, tool_calls: [call("{}")] }, { role: "tool", tool_call_id: "c1", content: "[".repeat(5_000) }];
    expect(() => parseChatCompletionRequest(chat({ messages: brackets }))).not.toThrow();
    const inStrings = [user, { role: "assistant", content: null, tool_calls: [call(JSON.stringify({ a: "[".repeat(5_000) }))] }];
    expect(() => parseChatCompletionRequest(chat({ messages: inStrings }))).not.toThrow();
  });
});
