/**
 * The console of `shimmy serve`: with `--log-format text` a person reads a banner and one short line
 * per request; JSON lines stay what programs read, by flag and by default on a pipe. Polls of
 * `/health` and `GET /api/plugins` never reach the info log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const DEMO = ["--model", "models/stories260K.gguf", "--no-discovery"];

/** The lines that were not JSON: what a person reads. */
const textLines = (shimmy: ShimmyProcess) => shimmy.logs.map((l) => l.raw).filter((raw): raw is string => typeof raw === "string");

/** Polls `/health` and `GET /api/plugins` a few times, then asks for `/v1/models`, whose log line comes after theirs. */
async function pollThenList(shimmy: ShimmyProcess, requestId: string): Promise<void> {
  for (let i = 0; i < 3; i += 1) {
    expect((await fetch(`${shimmy.url}/health`)).status).toBe(200);
    expect((await fetch(`${shimmy.url}/api/plugins`)).status).toBe(200);
  }
  expect((await fetch(`${shimmy.url}/v1/models`, { headers: { "x-request-id": requestId } })).status).toBe(200);
}

describe("--log-format text", () => {
  let shimmy: ShimmyProcess;
  beforeAll(async () => {
    shimmy = await startShimmy({ cwd: ROOT, args: ["--log-format", "text", ...DEMO] });
  });
  afterAll(() => shimmy?.stop());

  it("starts with a banner that says what is served where and what to try, and no JSON", async () => {
    await shimmy.waitForLog((l) => typeof l.raw === "string" && l.raw.startsWith("    or "));
    const lines = textLines(shimmy);
    const title = lines.findIndex((line) => /^Shimmy \d+\.\d+\.\d+\S* listening on /.test(line));
    expect(title).toBeGreaterThanOrEqual(0);
    expect(lines[title]).toBe(lines[title]!.replace(/listening on .*/, `listening on ${shimmy.url}`));
    expect(lines.slice(title + 1, title + 6)).toEqual([
      "  1 model (--model)",
      "  plugins: none",
      expect.stringMatching(/^ {2}llama\.cpp: \w+, 1 thread$/),
      `  try: curl ${shimmy.url}/v1/models`,
      `    or npx shimmy run stories260K --url ${shimmy.url}`,
    ]);
    // The banner is the one `listening` on stderr; no line is JSON, and none is coloured on a pipe.
    expect(lines.filter((line) => line.includes("listening"))).toHaveLength(1);
    expect(shimmy.logs.filter((l) => l.raw === undefined)).toEqual([]);
    expect(lines.filter((line) => line.includes("\u001b["))).toEqual([]);
  });

  it("writes one short line for a chat completion, with its tokens, speed and duration", async () => {
    const answer = await shimmy.client().chat.completions.create({ model: "stories260K", messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 20, seed: 5 });
    const tokens = answer.usage!.completion_tokens;
    const line = await shimmy.waitForLog((l) => typeof l.raw === "string" && l.raw.startsWith("200 POST /v1/chat/completions"));
    expect(line.raw).toMatch(new RegExp(`^200 POST /v1/chat/completions stories260K ${tokens} tok [\\d.]+ tok/s [\\d.]+m?s$`));
    expect(textLines(shimmy).some((raw) => /^loaded stories260K in [\d.]+m?s/.test(raw))).toBe(true);
  });

  it("writes nothing for polls of /health and GET /api/plugins", async () => {
    await pollThenList(shimmy, "after-polls");
    await shimmy.waitForLog((l) => typeof l.raw === "string" && /^200 GET \/v1\/models /.test(l.raw));
    expect(textLines(shimmy).filter((raw) => raw.includes("/health") || raw.includes("/api/plugins"))).toEqual([]);
  });
});

describe("--log-format json", () => {
  let shimmy: ShimmyProcess;
  beforeAll(async () => {
    shimmy = await startShimmy({ cwd: ROOT, args: ["--log-format", "json", "--log-level", "debug", ...DEMO] });
  });
  afterAll(() => shimmy?.stop());

  it("writes a JSON request line with the request id, model and tokens, polls at debug, llama.cpp at debug", async () => {
    const answer = await shimmy.client().chat.completions.create(
      { model: "stories260K", messages: [{ role: "user", content: "Hi" }], max_tokens: 10, seed: 1 },
      { headers: { "x-request-id": "console-json" } },
    );
    const line = await shimmy.waitForLog((l) => l.event === "request" && l.requestId === "console-json");
    expect(line).toMatchObject({ level: 30, method: "POST", route: "/v1/chat/completions", status: 200, model: "stories260K", completionTokens: answer.usage!.completion_tokens });
    await pollThenList(shimmy, "json-after-polls");
    await shimmy.waitForLog((l) => l.event === "request" && l.requestId === "json-after-polls");
    const polls = shimmy.logs.filter((l) => l.event === "request" && (l.route === "/health" || l.route === "/api/plugins"));
    expect(polls.map((l) => l.level)).toEqual([20, 20, 20, 20, 20, 20]);
    expect(shimmy.logs.filter((l) => l.component === "llama.cpp" && l.level !== 20)).toEqual([]);
    expect(shimmy.logs.filter((l) => l.event === "listening")).toEqual([expect.objectContaining({ url: shimmy.url, models: ["stories260K"], sources: { path: 1 } })]);
    expect(shimmy.logs.filter((l) => l.raw !== undefined)).toEqual([]);
  });
});

describe("the default format on a pipe", () => {
  let shimmy: ShimmyProcess;
  beforeAll(async () => {
    shimmy = await startShimmy({ cwd: ROOT, args: DEMO });
  });
  afterAll(() => shimmy?.stop());

  it("is JSON lines, with requests at info and polls left out", async () => {
    await pollThenList(shimmy, "default-after-polls");
    const line = await shimmy.waitForLog((l) => l.event === "request" && l.requestId === "default-after-polls");
    expect(line).toMatchObject({ level: 30, method: "GET", route: "/v1/models", status: 200 });
    expect(shimmy.logs.filter((l) => l.event === "request" && l.route !== "/v1/models")).toEqual([]);
    expect(shimmy.logs.filter((l) => l.event === "listening")).toHaveLength(1);
    expect(shimmy.logs.filter((l) => l.raw !== undefined)).toEqual([]);
  });
});
