import { describe, expect, it } from "vitest";
import { paint } from "./ansi.js";
import { formatBytes, formatDuration, formatLogLine, formatRequestLine, tokensPerSecond, type LogRecord } from "./text-line.js";

const plain = paint(false);
const colored = paint(true);

const chat: LogRecord = {
  level: 30,
  time: "2026-12-03T06:00:00.000Z",
  event: "request",
  requestId: "req_1",
  method: "POST",
  route: "/v1/chat/completions",
  status: 200,
  model: "stories260K",
  stream: false,
  promptTokens: 12,
  completionTokens: 60,
  ttftMs: 41.5,
  durationMs: 1234.56,
};

describe("formatRequestLine", () => {
  it("writes status, method, route, model, tokens, tokens/s and duration on one line", () => {
    // 59 tokens after the first, over 1.193 s after it.
    expect(formatRequestLine(chat, plain)).toBe("200 POST /v1/chat/completions stories260K 60 tok 49 tok/s 1.2s");
  });

  it("adds the time to the first token on a stream, and why a request ended early", () => {
    expect(formatRequestLine({ ...chat, stream: true, status: 499, outcome: "client_closed" }, plain)).toBe(
      "499 POST /v1/chat/completions stories260K 60 tok 49 tok/s 1.2s first token 42ms client closed",
    );
  });

  it("writes a request without a model or tokens as status, method, route and duration", () => {
    expect(formatRequestLine({ level: 30, event: "request", method: "GET", route: "/v1/models", status: 200, durationMs: 3.2 }, plain)).toBe("200 GET /v1/models 3ms");
  });

  it("names the tool of a tool call", () => {
    expect(formatRequestLine({ level: 30, event: "request", method: "POST", route: "/api/tools/call", status: 200, tool: "calculator/calculate", durationMs: 12 }, plain)).toBe(
      "200 POST /api/tools/call calculator/calculate 12ms",
    );
  });

  it("colours the status by its class and the model, and nothing else changes", () => {
    expect(formatRequestLine(chat, colored)).toBe("\u001b[32m200\u001b[39m POST /v1/chat/completions \u001b[36mstories260K\u001b[39m 60 tok 49 tok/s 1.2s");
    expect(formatRequestLine({ ...chat, status: 404, model: undefined, completionTokens: undefined }, colored)).toBe("\u001b[33m404\u001b[39m POST /v1/chat/completions 1.2s");
    expect(formatRequestLine({ ...chat, status: 503, model: undefined, completionTokens: undefined }, colored)).toBe("\u001b[31m503\u001b[39m POST /v1/chat/completions 1.2s");
  });
});

describe("formatLogLine", () => {
  it("says model loads and unloads in a few words", () => {
    expect(formatLogLine({ level: 30, event: "model_load", model: "qwen", path: "/m/qwen.gguf", msg: "loading model" }, plain)).toBe("loading qwen");
    expect(formatLogLine({ level: 30, event: "model_loaded", model: "qwen", ms: 2345, memoryBytes: 1_572_864, msg: "model loaded" }, plain)).toBe("loaded qwen in 2.3s, 1.5 MB");
    expect(formatLogLine({ level: 30, event: "model_unloaded", model: "qwen", reason: "expired", msg: "model unloaded" }, plain)).toBe("unloaded qwen (idle)");
    expect(formatLogLine({ level: 30, event: "model_load_progress", model: "qwen", percent: 40 }, plain)).toBeNull();
  });

  it("lists reloaded plugins, the ones that cannot run with their status", () => {
    const plugins = [
      { name: "calculator", version: "0.1.0", status: "ready" },
      { name: "time", version: "0.1.0", status: "disabled" },
      { name: "web-search", version: "0.2.0", status: "error" },
    ];
    expect(formatLogLine({ level: 30, event: "plugins_loaded", plugins, msg: "plugins loaded" }, plain)).toBe("plugins: calculator, web-search (error)");
    expect(formatLogLine({ level: 30, event: "plugins_loaded", plugins: [], msg: "plugins loaded" }, plain)).toBe("plugins: none");
  });

  it("labels warnings and errors, adds the error's message, and names the component", () => {
    expect(formatLogLine({ level: 40, event: "no_models", msg: "No model to serve." }, plain)).toBe("warn No model to serve.");
    expect(formatLogLine({ level: 50, err: { type: "Error", message: "EACCES", stack: "…" }, msg: "reloading the plugins failed" }, plain)).toBe("error reloading the plugins failed: EACCES");
    expect(formatLogLine({ level: 20, component: "llama.cpp", msg: "load: special tokens cache size = 3" }, plain)).toBe("debug llama.cpp: load: special tokens cache size = 3");
    expect(formatLogLine({ level: 40, msg: "careful" }, colored)).toBe("\u001b[33mwarn \u001b[39mcareful");
    expect(formatLogLine({ level: 60, msg: "gone" }, colored)).toBe("\u001b[31mfatal \u001b[39mgone");
  });

  it("writes the fields of a record without a message, rather than lose them", () => {
    expect(formatLogLine({ level: 30, time: "t", event: "something_new", count: 2 }, plain)).toBe('{"event":"something_new","count":2}');
  });
});

describe("units", () => {
  it("writes durations, sizes and rates as a person reads them", () => {
    expect([formatDuration(0.4), formatDuration(999.4), formatDuration(1000), formatDuration(59_949), formatDuration(123_000)]).toEqual(["0ms", "999ms", "1.0s", "59.9s", "2m03s"]);
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3), formatBytes(20 * 1024 ** 2)]).toEqual(["512 B", "1.5 KB", "5.0 GB", "20 MB"]);
    expect(tokensPerSecond(11, 2000, 1000)).toBe(10);
    expect(tokensPerSecond(10, 2000, undefined)).toBe(5);
    expect(tokensPerSecond(0, 2000, undefined)).toBeNull();
  });
});
