/**
 * Upstream servers end to end: a second real Shimmy on 127.0.0.1 (the chat and BERT fixtures) is
 * the upstream `node1` of the first (which has only the FIM fixture and the calculator plugin);
 * `node1` and a small OpenAI-compatible stand-in (`spare`, a real HTTP server in this process) form
 * the pool `pool`. The official `openai` client talks to the front: proxied answers equal the
 * upstream's own, streaming included; an upstream that is killed leaves the pool (the pool keeps
 * answering) and comes back when restarted on its port.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import OpenAI from "openai";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import type { ToolTraceEntry } from "../core/src/tools/tool-trace.js";
import { startOpenAIUpstream, type OpenAIUpstream } from "../core/src/routing/upstreams/openai-upstream.fixture.js";
import { adminApi, waitForPlugins } from "./helpers/plugins-api.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import { tokenize } from "./helpers/tokenize.js";

let node1: ShimmyProcess;
let front: ShimmyProcess;
let spare: OpenAIUpstream;
let client: OpenAI;
let direct: OpenAI;
let work: string;
let node1Port: string;
/** A bias that makes the chat fixture write `"` wherever its grammar lets it: a forced call closes its strings at once. */
let quotes: Record<string, number>;

function startNode1(port = "0"): Promise<ShimmyProcess> {
  const { chat, bert } = inject("fixtureModels");
  return startShimmy({ args: ["--model", chat, "--model", bert, "--no-discovery", "--parallel", "2", "--port", port] });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-upstreams-"));
  const home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  const [started] = await Promise.all([
    startNode1(),
    (async () => {
      spare = await startOpenAIUpstream({ models: ["chat-llama"], name: "spare" });
    })(),
    pluginCli(home, ["install", packedPlugin(inject("firstPartyPlugins"), "calculator").tgz, "--yes"]).then((run) => expect(run.code, run.stderr).toBe(0)),
    tokenize(inject("fixtureModels").chat, ['"']).then(([tokens]) => (quotes = { [String(tokens?.[0])]: 100 })),
  ]);
  node1 = started;
  node1Port = new URL(node1.url).port;
  fs.writeFileSync(
    path.join(home, ".shimmy/config.json"),
    JSON.stringify({
      upstreams: [
        { name: "node1", baseURL: node1.baseURL, pool: "pool", healthCheckSeconds: 1 },
        // Its key from the environment (apiKeyEnv), as a container's secrets would give it.
        { name: "spare", baseURL: spare.baseURL, pool: "pool", models: ["chat-llama"], healthCheckSeconds: 1, apiKeyEnv: "SPARE_API_KEY" },
      ],
    }),
  );
  front = await startShimmy({ args: ["--model", inject("fixtureModels").fim, "--no-discovery"], home, env: { SPARE_API_KEY: "sk-spare" } });
  client = front.client();
  direct = node1.client();
  await waitForPlugins(front.url, (plugins) => plugins.some((p) => p.name === "calculator" && p.status === "ready"));
}, 120_000);

afterAll(async () => {
  await Promise.all([front?.stop(), node1?.stop(), spare?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const ask = { messages: [{ role: "user" as const, content: "Tell me about the sea." }], max_tokens: 8, temperature: 0, seed: 3 };

describe("upstream servers as models", () => {
  it("lists the local model, each upstream's models as UPSTREAM/MODEL and the pool's, with their owners", async () => {
    const models = (await client.models.list()).data.map((m) => `${m.id} ${m.owned_by}`);
    expect(models).toEqual(expect.arrayContaining(["fim-llama shimmy", "node1/chat-llama node1", "node1/bert node1", "pool/chat-llama pool", "pool/bert pool", "spare/chat-llama spare"]));
    expect(models).not.toContain("spare/bert spare");
    const admin = await adminApi(front.url, "/api/models");
    expect(admin.json.models.find((m: { id: string }) => m.id === "pool/chat-llama")).toMatchObject({
      source: "upstream",
      upstreams: [{ name: "node1", healthy: true }, { name: "spare", healthy: true }],
    });
    expect(spare.requests.find((r) => r.path === "/models")?.headers.authorization).toBe("Bearer sk-spare");
    // node1 is a Shimmy: its /api/models says what each model can do; the stand-in's cannot say.
    const capabilities = (id: string) => admin.json.models.find((m: { id: string }) => m.id === id)?.capabilities;
    expect(capabilities("node1/bert")).toEqual(["embedding"]);
    expect(capabilities("node1/chat-llama")).toContain("chat");
    expect(capabilities("spare/chat-llama")).toEqual(["chat", "completion", "embedding"]);
  });

  it("answers a chat through the upstream exactly as the upstream answers it, streamed or not", async () => {
    const own = await direct.chat.completions.create({ model: "chat-llama", ...ask });
    const proxied = await client.chat.completions.create({ model: "node1/chat-llama", ...ask });
    expect(proxied.model).toBe("node1/chat-llama");
    expect(proxied.choices[0]!.message.content).toBe(own.choices[0]!.message.content);
    expect(proxied.usage).toMatchObject({ prompt_tokens: own.usage!.prompt_tokens, completion_tokens: own.usage!.completion_tokens });
    const stream = await client.chat.completions.create({ model: "node1/chat-llama", ...ask, stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
      usage = chunk.usage ?? usage;
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(own.choices[0]!.message.content);
    expect(usage?.completion_tokens).toBe(own.usage!.completion_tokens);
  });

  it("embeds with a model only the upstream has, and serves raw completions", async () => {
    const own = await direct.embeddings.create({ model: "bert", input: ["hello world", "the sea"], encoding_format: "float" });
    const proxied = await client.embeddings.create({ model: "node1/bert", input: ["hello world", "the sea"], encoding_format: "float" });
    expect(proxied.data.map((d) => d.embedding.map((x) => x.toFixed(5)))).toEqual(own.data.map((d) => d.embedding.map((x) => x.toFixed(5))));
    expect(proxied.usage.prompt_tokens).toBe(own.usage.prompt_tokens);
    const completion = await client.completions.create({ model: "node1/chat-llama", prompt: "Once upon", max_tokens: 4, temperature: 0 });
    const ownCompletion = await direct.completions.create({ model: "chat-llama", prompt: "Once upon", max_tokens: 4, temperature: 0 });
    expect(completion.choices[0]!.text).toBe(ownCompletion.choices[0]!.text);
  });

  it("runs the front's plugin tools on an upstream model: the upstream writes the call, the front runs it", async () => {
    const answer = (await client.chat.completions.create({
      model: "node1/chat-llama", messages: [{ role: "user", content: "What is 6 times 7?" }], max_tokens: 100, seed: 1, logit_bias: quotes,
      plugins: ["calculator"], tool_choice: "required", max_tool_rounds: 1,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)) as OpenAI.Chat.Completions.ChatCompletion & { tool_trace?: ToolTraceEntry[] };
    const calls = (answer.tool_trace ?? []).filter((e) => e.type === "tool_call");
    // The calculator's answer to an empty expression is an error, which the next round reads.
    expect(calls[0]).toMatchObject({ name: "calculator__calculate", plugin: "calculator", arguments: { expression: "" }, error: { code: "tool_failed" } });
    expect((answer.tool_trace ?? []).filter((e) => e.type === "round")).toHaveLength(2);
  });

  it("maps the upstream's refusal to our error, naming the upstream", async () => {
    // Longer than the upstream's context: only the upstream can tell.
    const err = await client.chat.completions.create({ model: "node1/chat-llama", ...ask, messages: [{ role: "user", content: "sea ".repeat(5000) }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('upstream "node1"');
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("context_length_exceeded");
  });

  it("takes a killed upstream out of the pool, keeps the pool answering, and takes it back when it restarts", async () => {
    node1.child.kill("SIGKILL");
    await new Promise((resolve) => node1.child.once("exit", resolve));
    for (let i = 0; i < 4; i++) {
      const { data: answer, response } = await client.chat.completions.create({ model: "pool/chat-llama", ...ask, max_completion_tokens: 8 }).withResponse();
      expect(answer.choices[0]!.message.content).toMatch(/^spare says/);
      // The log line names the member that served; the key came from SPARE_API_KEY; the cap kept its name.
      const requestId = response.headers.get("x-request-id");
      expect(await front.waitForLog((l) => l.event === "request" && l.requestId === requestId)).toMatchObject({ upstream: "spare" });
    }
    const sent = spare.requests.filter((r) => r.path === "/chat/completions").at(-1)!;
    expect(sent.headers.authorization).toBe("Bearer sk-spare");
    expect(sent.body).toMatchObject({ max_completion_tokens: 8 });
    expect(sent.body).not.toHaveProperty("max_tokens");
    const health = await adminApi(front.url, "/health");
    expect(health.json).toMatchObject({ status: "degraded", upstreams: [{ name: "node1", healthy: false }, { name: "spare", healthy: true }] });
    expect(health.json.reasons.join(" ")).toContain("upstream node1");
    const gone = await client.chat.completions.create({ model: "node1/chat-llama", ...ask }).catch((e: unknown) => e);
    expect((gone as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((gone as InstanceType<typeof OpenAI.APIError>).message).toContain("node1");

    await node1.stop();
    node1 = await startNode1(node1Port);
    const deadline = Date.now() + 10_000;
    while ((await adminApi(front.url, "/health")).json.status !== "ok") {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const back = await client.chat.completions.create({ model: "node1/chat-llama", ...ask });
    expect(back.choices[0]!.message.content).toBeTruthy();
    const spread = await Promise.all([1, 2, 3, 4].map(() => client.chat.completions.create({ model: "pool/chat-llama", ...ask })));
    expect(spread.some((a) => !a.choices[0]!.message.content!.startsWith("spare says"))).toBe(true);
  });
});
