/**
 * Plugin tools as the model's own tools, end to end: the real server on the ChatML fixture, real
 * compiled plugins (calculator and http-get from plugins/, a test plugin that traps or spins from
 * core/test-plugins/), and the official `openai` client. Random weights never call a tool unforced,
 * so these force calls (`tool_choice`, `plugin_tool_choice: "required"`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import type { RoundTrace, ToolCallTrace, ToolTraceEntry } from "../core/src/tools/tool-trace.js";
import { countTokens } from "./helpers/count-tokens.js";
import { pluginCommandHere } from "./helpers/plugin-cli.js";
import { waitForPlugins } from "./helpers/plugins-api.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import { packTestPlugin } from "./helpers/test-plugin-package.js";
import { tokenize } from "./helpers/tokenize.js";

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming & Record<string, unknown>;
type Answer = OpenAI.Chat.Completions.ChatCompletion & { tool_trace?: ToolTraceEntry[] };

let shimmy: ShimmyProcess;
let client: OpenAI;
let work: string;
let model: string;
/** A bias that makes the fixture write the digit 7 wherever its grammar lets it choose. */
let sevens: Record<string, number>;

const EMPTY = { type: "object", properties: {}, additionalProperties: false };
const WEATHER: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { enum: ["Oslo", "Lima"] } }, required: ["city"], additionalProperties: false } },
};

const ask = (extra: Partial<Params>) =>
  client.chat.completions.create({ model: "chat-llama", messages: [{ role: "user", content: "What is 6 times 7?" }], max_tokens: 1200, seed: 1, ...extra } as Params) as Promise<Answer>;
const calls = (trace: ToolTraceEntry[] = []) => trace.filter((e): e is ToolCallTrace => e.type === "tool_call");
const rounds = (trace: ToolTraceEntry[] = []) => trace.filter((e): e is RoundTrace => e.type === "round");

beforeAll(async () => {
  model = inject("fixtureModels").chat;
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-plugin-chat-"));
  const home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  // Read at start: requests to the fixture that name no plugins get the calculator.
  fs.writeFileSync(path.join(home, ".shimmy/config.json"), JSON.stringify({ defaultPlugins: { "chat-llama": ["calculator"] } }));
  // The server starts, and the fixture's tokens are read, while the test plugin compiles.
  const starting = startShimmy({ args: ["--model", model, "--no-discovery", "--parallel", "2"], home });
  const tokenizing = tokenize(model, ["7"]);
  let bomb: string;
  try {
    bomb = await packTestPlugin(
      "time-bomb",
      {
        name: "bomb", version: "1.0.0", description: "test plugin", shimmy: "*",
        capabilities: ["ok", "trap", "loop"].map((t) => ({ kind: "tool", name: t, export: t, description: t, inputSchema: EMPTY })),
        limits: { memoryMaxPages: 64, timeoutMs: 1000, maxResponseBytes: 65536 },
      } as { name: string; version: string },
      work,
    );
  } finally {
    shimmy = await starting;
  }
  client = shimmy.client({ timeout: 120_000 });
  // Set-up, not under test: the install command run in this process.
  for (const tgz of [packedPlugin(inject("firstPartyPlugins"), "calculator").tgz, packedPlugin(inject("firstPartyPlugins"), "http-get").tgz, bomb]) {
    const run = await pluginCommandHere(home, ["install", tgz, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
  }
  await waitForPlugins(shimmy.url, (p) => p.filter((x) => x.status === "ready").length === 3);
  const [tokens] = await tokenizing;
  sevens = { [String(tokens?.[0])]: 100 };
}, 180_000);

afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("plugin tools in chat completions", () => {
  it("runs a forced calculator call and shows its result to the next round", async () => {
    const answer = await ask({ plugins: ["calculator"], tool_choice: "required", max_tool_rounds: 1, logit_bias: sevens, max_tokens: 700 });
    const [call] = calls(answer.tool_trace);
    const expression = (call?.arguments as { expression: string }).expression;
    expect(expression).toMatch(/^7+$/);
    expect(call).toMatchObject({ round: 1, name: "calculator__calculate", plugin: "calculator", tool: "calculate", result: { result: expression } });
    const [first, second] = rounds(answer.tool_trace);
    // Round 2's prompt holds the call and its result on top of round 1's prompt.
    const [resultTokens] = await countTokens(model, [JSON.stringify(call!.result)]);
    expect(second!.prompt_tokens - first!.prompt_tokens).toBeGreaterThanOrEqual(resultTokens!);
    expect(answer.usage).toMatchObject({ prompt_tokens: first!.prompt_tokens + second!.prompt_tokens, completion_tokens: first!.completion_tokens + second!.completion_tokens });
    expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it("gives arguments that break the tool's schema back to the model as an error, and answers", async () => {
    // http-get's url must match ^https?:// — a pattern no grammar enforces, so random weights break it.
    const answer = await ask({ plugins: ["http-get"], tool_choice: { type: "function", function: { name: "http-get__fetch" } }, max_tool_rounds: 1 });
    expect(calls(answer.tool_trace)[0]).toMatchObject({ name: "http-get__fetch", error: { code: "invalid_arguments", message: expect.stringContaining("arguments.url") } });
    expect(answer.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
  });

  it("turns a trap and a timeout into tool results, and the server goes on", async () => {
    const answer = await ask({ plugins: ["bomb"], tool_choice: { type: "function", function: { name: "bomb__trap" } }, max_tool_rounds: 1, max_tokens: 200 });
    expect(calls(answer.tool_trace)[0]).toMatchObject({ plugin: "bomb", tool: "trap", error: { code: "tool_failed" } });
    const started = Date.now();
    const slow = await ask({ plugins: ["bomb"], tool_choice: { type: "function", function: { name: "bomb__loop" } }, max_tool_rounds: 1, max_tokens: 200 });
    expect(calls(slow.tool_trace)[0]).toMatchObject({ tool: "loop", error: { code: "tool_timeout" } });
    expect(calls(slow.tool_trace)[0]!.duration_ms).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(30_000);
    const ok = await ask({ plugins: ["bomb"], tool_choice: { type: "function", function: { name: "bomb__ok" } }, max_tool_rounds: 1, max_tokens: 200 });
    expect(calls(ok.tool_trace)[0]).toMatchObject({ tool: "ok", result: { value: 1 } });
  });

  it("runs out of rounds, answers with tools off, and reuses the slot's cache in every round", async () => {
    const answer = await ask({ plugins: ["bomb"], tool_choice: { type: "function", function: { name: "bomb__ok" } }, plugin_tool_choice: "required", max_tool_rounds: 3, max_tokens: 200 });
    const all = rounds(answer.tool_trace);
    expect(all.map((r) => r.tools)).toEqual(["named", "required", "required", "off"]);
    expect(all.at(-1)).toMatchObject({ round: 4, rounds_exhausted: true, plugin_calls: 0 });
    expect(calls(answer.tool_trace).length).toBeGreaterThanOrEqual(3);
    expect(all[0]!.prompt_tokens_reused).toBeLessThan(all[0]!.prompt_tokens);
    // Round 1 offered one tool (named), round 2 all of them: they share the prompt up to that offer.
    expect(all[1]!.prompt_tokens_reused).toBeGreaterThan(0);
    // Rounds 2 and 3 make the same offer: the whole of round 2's prompt is in the cache.
    expect(all[2]!.prompt_tokens_reused).toBeGreaterThanOrEqual(all[1]!.prompt_tokens - 1);
    expect(all[2]!.prompt_tokens_evaluated).toBeLessThan(all[2]!.prompt_tokens / 2);
    for (const round of all) expect(round.prompt_tokens_evaluated).toBe(round.prompt_tokens - round.prompt_tokens_reused);
    expect(answer.choices[0]!.message.content).not.toBeNull();
  });

  it("runs the plugin calls of a turn and returns the client's own calls to it", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const answer = await ask({ seed, tools: [WEATHER], plugins: ["bomb"], tool_choice: "required", plugin_tool_choice: "required", parallel_tool_calls: true, max_tool_rounds: 3, max_tokens: 400 });
      const { message, finish_reason } = answer.choices[0]!;
      for (const call of message.tool_calls ?? []) expect((call as { function: { name: string } }).function.name).toBe("get_weather");
      for (const call of calls(answer.tool_trace)) expect(call.plugin).toBe("bomb");
      const last = rounds(answer.tool_trace).at(-1)!;
      if (finish_reason === "tool_calls") {
        expect(last.client_calls).toBe(message.tool_calls!.length);
        if (last.plugin_calls > 0) return; // a turn with both kinds: done
      }
    }
    throw new Error("no seed made one turn call both a plugin tool and a client tool");
  });

  it("streams server-side calls as tool_trace chunks the openai client reads to the end", async () => {
    const stream = await client.chat.completions.create({
      model: "chat-llama", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true }, max_tokens: 200, seed: 1,
      tool_choice: "required", ...({ plugins: ["bomb"], max_tool_rounds: 2, plugin_tool_choice: "required" } as object),
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming);
    const trace: ToolTraceEntry[] = [];
    let content = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const traced = (chunk as { tool_trace?: ToolTraceEntry[] }).tool_trace;
      if (traced) {
        expect(chunk.choices).toEqual([]);
        trace.push(...traced);
      }
      content += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(rounds(trace).map((r) => r.tools)).toEqual(["required", "required", "off"]);
    expect(calls(trace)).toHaveLength(rounds(trace)[0]!.plugin_calls + rounds(trace)[1]!.plugin_calls);
    expect(finish).toMatch(/^(stop|length)$/);
    expect(content.length).toBeGreaterThan(0);
    expect(usage!.prompt_tokens).toBe(rounds(trace).reduce((sum, r) => sum + r.prompt_tokens, 0));
  });

  it("gives a request that names no plugins its model's default plugins", async () => {
    const answer = await ask({ tool_choice: "required", max_tool_rounds: 1, logit_bias: sevens, max_tokens: 700 });
    expect(calls(answer.tool_trace)[0]).toMatchObject({ plugin: "calculator", name: "calculator__calculate" });
    const none = await ask({ plugins: [], max_tokens: 8 });
    expect(none.tool_trace).toBeUndefined();
  });

  it("refuses a plugin that is not installed with a 400 naming the param", async () => {
    const err = await ask({ plugins: ["nope"] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, param: "plugins", code: "invalid_parameter" });
  });
});
