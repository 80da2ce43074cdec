/**
 * The client guides of docs/guides/, tried end to end against a real `shimmy serve` with the demo
 * model. Each block marked `<!-- tested: NAME -->` in a guide runs as it is written: a `js` block in
 * node, from a file under the repository so that its imports resolve, with only the base URL changed
 * to this server's; an `sh` block gives the `npx shimmy serve` flags a server is started with (Cursor
 * behind a tunnel, Open WebUI in Docker), and requests arrive at it as those clients' would. The last
 * test checks that every marked block was run.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "./helpers/raw-http.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const run = promisify(execFile);
const GUIDES = path.join(ROOT, "docs/guides");
const DOCUMENTED_URL = "http://127.0.0.1:11435";
const KEY = "guide-test-key";
const TUNNEL_HOST = "random-words.trycloudflare.com";
/** What Open WebUI's backend sends from a container: the base URL's host and port. */
const DOCKER_HOST = "host.docker.internal:11435";

/** The marked blocks of every guide, by name. */
function markedBlocks(): Map<string, { guide: string; lang: string; code: string }> {
  const blocks = new Map<string, { guide: string; lang: string; code: string }>();
  for (const guide of fs.readdirSync(GUIDES).filter((f) => f.endsWith(".md"))) {
    const text = fs.readFileSync(path.join(GUIDES, guide), "utf8");
    for (const m of text.matchAll(/<!-- tested: ([\w-]+) -->\n```(\w+)\n([\s\S]*?)\n```/g)) {
      if (blocks.has(m[1]!)) throw new Error(`two blocks are marked ${m[1]}`);
      blocks.set(m[1]!, { guide, lang: m[2]!, code: m[3]! });
    }
  }
  return blocks;
}

const BLOCKS = markedBlocks();
const ran = new Set<string>();

function block(name: string, lang: string): { guide: string; code: string } {
  const found = BLOCKS.get(name);
  if (!found) throw new Error(`no block is marked ${name} in docs/guides`);
  expect(found.lang).toBe(lang);
  ran.add(name);
  return found;
}

function guideText(guide: string): string {
  return fs.readFileSync(path.join(GUIDES, guide), "utf8");
}

let shimmy: ShimmyProcess;
let work: string;

beforeAll(async () => {
  // Under the repository, so that `import "openai"` in a block finds the root node_modules.
  fs.mkdirSync(path.join(ROOT, ".shimmy-test"), { recursive: true });
  work = fs.mkdtempSync(path.join(ROOT, ".shimmy-test", "guides-"));
  // What each guide starts with: `npx shimmy serve` in the repository serves the demo model.
  shimmy = await startShimmy({ cwd: ROOT });
});
afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs a marked `js` block against the test server and returns what it printed. */
async function runJs(name: string): Promise<string> {
  const { code } = block(name, "js");
  expect(code).toContain(DOCUMENTED_URL);
  const file = path.join(work, `${name}.mjs`);
  fs.writeFileSync(file, code.replaceAll(DOCUMENTED_URL, shimmy.url));
  const { stdout } = await run(process.execPath, [file], { cwd: work, timeout: 90_000, env: { PATH: process.env.PATH ?? "" } });
  return stdout;
}

/** The `npx shimmy serve` flags of a marked `sh` block, and whether it exports SHIMMY_API_KEY first. */
function serveFlags(name: string): { args: string[]; exportsKey: boolean } {
  const { code } = block(name, "sh");
  const lines = code.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim());
  const serve = lines.filter((line) => line.startsWith("npx shimmy serve"));
  expect(serve).toHaveLength(1);
  return { args: serve[0]!.split(/\s+/).slice(3), exportsKey: lines.some((line) => line.startsWith("export SHIMMY_API_KEY=")) };
}

/** A server started as a guide's marked block says, with the test's key when the block exports one. */
async function startAsGuide(name: string): Promise<{ server: ShimmyProcess; base: string; port: string }> {
  const { args, exportsKey } = serveFlags(name);
  const server = await startShimmy({ cwd: ROOT, args, env: exportsKey ? { SHIMMY_API_KEY: KEY } : {} });
  // Listening on 0.0.0.0 prints that address; this machine reaches it on loopback.
  const port = new URL(server.url).port;
  return { server, base: `http://127.0.0.1:${port}`, port };
}

const words = (text: string) => text.match(/\b[a-z]{3,}\b/gi)?.length ?? 0;

describe("the openai SDK guide (JavaScript)", () => {
  it("chat: a story and its usage", { timeout: 120_000 }, async () => {
    const out = await runJs("openai-js-chat");
    expect(words(out)).toBeGreaterThan(4);
    expect(out).toMatch(/completion_tokens: \d+/);
  });

  it("streaming: the story as it is written, then the token count", { timeout: 120_000 }, async () => {
    const out = await runJs("openai-js-stream");
    expect(words(out)).toBeGreaterThan(4);
    expect(out).toMatch(/\n\d+ tokens\n$/);
  });

  it("tools: a forced call with JSON arguments for the schema", { timeout: 120_000 }, async () => {
    expect(await runJs("openai-js-tools")).toMatch(/^get_weather \{ city: .+ \}\n$/);
  });

  it("embeddings: one vector per input", { timeout: 120_000 }, async () => {
    expect(await runJs("openai-js-embeddings")).toBe("2 64\n");
  });

  it("errors: an unknown model is a 404 model_not_found, printed as the guide says", { timeout: 120_000 }, async () => {
    const out = await runJs("openai-js-errors");
    expect(out.trimEnd()).toMatch(/^404 model_not_found /);
    expect(guideText("openai-sdk.md")).toContain(`prints \`${out.trimEnd()}\``);
  });
});

describe("the Vercel AI SDK guide", () => {
  it("generateText: a story, why it ended and its usage", { timeout: 120_000 }, async () => {
    const out = await runJs("ai-sdk-generate");
    expect(words(out)).toBeGreaterThan(4);
    expect(out).toMatch(/^(length|stop) \d+$/m);
  });

  it("streamText: the story as it is written, then the token count", { timeout: 120_000 }, async () => {
    const out = await runJs("ai-sdk-stream");
    expect(words(out)).toBeGreaterThan(4);
    expect(out).toMatch(/\n[1-9]\d* tokens\n$/);
  });

  it("tools: a forced call with its input", { timeout: 120_000 }, async () => {
    expect(await runJs("ai-sdk-tools")).toMatch(/^weather \{ city: .+ \}\n$/);
  });

  it("embedMany: one vector per value", { timeout: 120_000 }, async () => {
    expect(await runJs("ai-sdk-embed")).toBe("2 64\n");
  });
});

describe("the LangChain guide", () => {
  it("invoke: a story and its usage", { timeout: 120_000 }, async () => {
    const out = await runJs("langchain-invoke");
    expect(words(out)).toBeGreaterThan(4);
    expect(out).toMatch(/output_tokens: [1-9]\d*/);
  });

  it("stream: the story as it is written, then the token count from the last chunk", { timeout: 120_000 }, async () => {
    const out = await runJs("langchain-stream");
    expect(words(out)).toBeGreaterThan(4);
    expect(out).toMatch(/\n[1-9]\d* tokens\n$/);
  });

  it("bindTools: a forced call lands in tool_calls", { timeout: 120_000 }, async () => {
    expect(await runJs("langchain-tools")).toMatch(/^get_weather \{ city: .+ \}\n$/);
  });

  it("OpenAIEmbeddings: one vector per document", { timeout: 120_000 }, async () => {
    expect(await runJs("langchain-embeddings")).toBe("2 64\n");
  });
});

/** The `data` of each server-sent event of a response. */
async function sseEvents(response: Response): Promise<string[]> {
  const text = await response.text();
  return text.split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice("data: ".length));
}

describe("the Continue guide: the requests Continue sends", () => {
  const post = (route: string, body: unknown) =>
    fetch(`${shimmy.baseURL}${route}`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer local" }, body: JSON.stringify(body) });

  it("chat (agent mode): streamed, with tools", { timeout: 120_000 }, async () => {
    const response = await post("/chat/completions", {
      model: "stories260K", stream: true, max_tokens: 40, temperature: 0.7,
      messages: [{ role: "system", content: "You are a coding assistant." }, { role: "user", content: "Read main.ts" }],
      tools: [{ type: "function", function: { name: "read_file", description: "Reads a file", parameters: { type: "object", properties: { filepath: { type: "string" } }, required: ["filepath"] } } }],
    });
    expect(response.status).toBe(200);
    const events = await sseEvents(response);
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.length).toBeGreaterThan(2);
  });

  it("autocomplete: a fill-in-the-middle prompt to /v1/completions, streamed, with Continue's stop words", { timeout: 120_000 }, async () => {
    // Qwen coder's template, as Continue renders it for an id with "qwen" and "coder" in it.
    const response = await post("/completions", {
      model: "stories260K", stream: true, max_tokens: 24, temperature: 0.01,
      prompt: "<|fim_prefix|>function add(a, b) {\n  return <|fim_suffix|>\n}\n<|fim_middle|>",
      stop: ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|im_start|>", "<|im_end|>", "\n\n", "\r\n\r\n", "/src/", "#- coding: utf-8", "```", "\nfunction", "\nclass"],
    });
    expect(response.status).toBe(200);
    const events = await sseEvents(response);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: { text: string }[] });
    expect(chunks.every((c) => c.object === "text_completion")).toBe(true);
  });

  it("embeddings: a batch of chunks", { timeout: 120_000 }, async () => {
    const response = await post("/embeddings", { model: "stories260K", input: ["export function add(a, b) {", "  return a + b;", "}"] });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { data: { index: number; embedding: number[] }[] };
    expect(answer.data.map((d) => [d.index, d.embedding.length])).toEqual([[0, 64], [1, 64], [2, 64]]);
  });
});

describe("the Cursor guide: the server behind a tunnel", () => {
  let tunneled: { server: ShimmyProcess; base: string };
  beforeAll(async () => {
    tunneled = await startAsGuide("cursor-serve");
  });
  afterAll(() => tunneled?.server.stop());

  it("answers a request that arrives with the tunnel's Host and the key", { timeout: 120_000 }, async () => {
    const headers = { host: TUNNEL_HOST, authorization: `Bearer ${KEY}` };
    const models = await rawRequest(`${tunneled.base}/v1/models`, { headers });
    expect(models.status).toBe(200);
    expect((models.json.data as { id: string }[]).map((m) => m.id)).toContain("stories260K");
    const chat = await rawRequest(`${tunneled.base}/v1/chat/completions`, {
      method: "POST", headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ model: "stories260K", messages: [{ role: "user", content: "Hi" }], max_tokens: 8, stream: true }),
    });
    expect(chat.status).toBe(200);
    expect(chat.text).toMatch(/data: \[DONE\]\n\n$/);
  });

  it("refuses it without the key: 401 invalid_api_key", async () => {
    const answer = await rawRequest(`${tunneled.base}/v1/models`, { headers: { host: TUNNEL_HOST } });
    expect(answer.status).toBe(401);
    expect(answer.json.error?.code).toBe("invalid_api_key");
    const wrong = await rawRequest(`${tunneled.base}/v1/models`, { headers: { host: TUNNEL_HOST, authorization: "Bearer nope" } });
    expect(wrong.json.error?.message).toBe("Incorrect API key provided.");
    expect(guideText("cursor.md")).toContain("`Incorrect API key provided.`");
  });

  it("without --allowed-hosts, refuses the tunnel's Host with the 403 the guide shows", async () => {
    const answer = await rawRequest(`${shimmy.url}/v1/models`, { headers: { host: TUNNEL_HOST } });
    expect(answer.status).toBe(403);
    expect(answer.json.error?.code).toBe("forbidden_host");
    expect(guideText("cursor.md")).toContain(`403 \`forbidden_host\`: \`${answer.json.error?.message}\``);
  });
});

describe("the Open WebUI guide: the server as a container reaches it", () => {
  describe("Linux: listening beyond loopback, with a key", () => {
    let open: { server: ShimmyProcess; base: string };
    beforeAll(async () => {
      open = await startAsGuide("open-webui-linux-serve");
    });
    afterAll(() => open?.server.stop());

    it("answers Host host.docker.internal with the key, no --allowed-hosts needed", { timeout: 120_000 }, async () => {
      expect(serveFlags("open-webui-linux-serve").args).not.toContain("--allowed-hosts");
      const answer = await rawRequest(`${open.base}/v1/models`, { headers: { host: DOCKER_HOST, authorization: `Bearer ${KEY}` } });
      expect(answer.status).toBe(200);
      expect((answer.json.data as { id: string }[]).map((m) => m.id)).toContain("stories260K");
    });

    it("refuses it without the key: 401 invalid_api_key", async () => {
      const answer = await rawRequest(`${open.base}/v1/models`, { headers: { host: DOCKER_HOST } });
      expect(answer.status).toBe(401);
      expect(answer.json.error?.code).toBe("invalid_api_key");
    });
  });

  describe("Docker Desktop: loopback, with --allowed-hosts host.docker.internal", () => {
    let desktop: { server: ShimmyProcess; base: string };
    beforeAll(async () => {
      desktop = await startAsGuide("open-webui-desktop-serve");
    });
    afterAll(() => desktop?.server.stop());

    it("answers Host host.docker.internal", { timeout: 120_000 }, async () => {
      const answer = await rawRequest(`${desktop.base}/v1/models`, { headers: { host: DOCKER_HOST, authorization: "Bearer local" } });
      expect(answer.status).toBe(200);
    });

    it("without --allowed-hosts, refuses it with the 403 the guide shows", async () => {
      const answer = await rawRequest(`${shimmy.url}/v1/models`, { headers: { host: DOCKER_HOST, authorization: "Bearer local" } });
      expect(answer.status).toBe(403);
      expect(answer.json.error?.code).toBe("forbidden_host");
      expect(guideText("open-webui.md")).toContain(`403 \`forbidden_host\`: \`${answer.json.error?.message}\``);
    });
  });

  it("regenerating samples afresh: the same unseeded request, twice at once, gives two answers", { timeout: 120_000 }, async () => {
    const body = { model: "stories260K", messages: [{ role: "user" as const, content: "Tell me a story" }], max_tokens: 24 };
    const [a, b] = await Promise.all([0, 1].map(() => shimmy.client().chat.completions.create(body)));
    expect(a!.choices[0]!.message.content).not.toBe(b!.choices[0]!.message.content);
  });
});

describe("the guides", () => {
  it("have no marked block that this file did not run", () => {
    expect([...BLOCKS.keys()].filter((name) => !ran.has(name))).toEqual([]);
  });
});
