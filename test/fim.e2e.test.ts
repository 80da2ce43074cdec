/**
 * Fill in the middle over llama.cpp: `suffix` on `/v1/completions` through the `openai` client and
 * llama.cpp's `POST /infill`, streamed and not, on the FIM fixture (Qwen2.5-Coder's FIM tokens, a
 * BOS before every prompt). The prompt's layout is proved by its token count, computed apart from
 * the server, and by the same seeded answer from the FIM markup sent as a plain completion. A model
 * without FIM tokens (the chat fixture) is refused. One server; its `/metrics` is scraped at the end.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import OpenAI from "openai";
import { countTokens } from "./helpers/count-tokens.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import { tokenize } from "./helpers/tokenize.js";

const PREFIX = "def add(a, b):\n    ";
const SUFFIX = "\n\nprint(add(1, 2))\n";
const FILE = { filename: "util.py", text: "def sub(a, b):\n    return a - b\n" };
/** Seeded and greedy-free, so equal prompts give equal answers on the one slot. */
const SAMPLING = { seed: 42, temperature: 0.8 };

let shimmy: ShimmyProcess;
let client: OpenAI;
/** Token counts of the pieces, as the FIM fixture's tokenizer writes them apart from the server. */
let counts: { prefix: number; suffix: number; bos: number; file: number };

beforeAll(async () => {
  const { fim, chat } = inject("fixtureModels");
  const pieces = [PREFIX, SUFFIX, "myproject\n", `${FILE.filename}\n`, FILE.text, "filename\n"];
  const [tokens, [bos], server] = await Promise.all([
    tokenize(fim, pieces),
    countTokens(fim, [""]),
    // One slot: a seeded request that runs alone samples the same tokens every time.
    startShimmy({ args: ["--model", fim, "--model", chat, "--parallel", "1"] }),
  ]);
  shimmy = server;
  client = shimmy.client();
  const [prefix, suffix, repo, name, text, last] = tokens.map((ids) => ids.length) as [number, number, number, number, number, number];
  // <|repo_name|>myproject\n <|file_sep|>util.py\n TEXT <|file_sep|>filename\n
  counts = { prefix, suffix, bos: bos!, file: 1 + repo + 1 + name + text + 1 + last };
});
afterAll(() => shimmy?.stop());

/** The FIM prompt's tokens: BOS, the three FIM tokens, prefix and suffix. */
const fimPromptTokens = () => counts.bos + 3 + counts.prefix + counts.suffix;

const infill = (body: Record<string, unknown>) =>
  fetch(`${shimmy.url}/infill`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("suffix on /v1/completions", () => {
  it("evaluates BOS, prefix, suffix and the three FIM tokens, as the FIM markup sent as a plain prompt does", async () => {
    expect(counts.bos).toBe(1);
    const answer = await client.completions.create({ model: "fim-llama", prompt: PREFIX, suffix: SUFFIX, max_tokens: 8, ...SAMPLING });
    expect(answer.usage?.prompt_tokens).toBe(fimPromptTokens());
    // Random weights seldom end early; when they run to the limit, it is exactly max_tokens.
    if (answer.choices[0]!.finish_reason === "length") expect(answer.usage?.completion_tokens).toBe(8);
    const markup = await client.completions.create({ model: "fim-llama", prompt: `<|fim_prefix|>${PREFIX}<|fim_suffix|>${SUFFIX}<|fim_middle|>`, max_tokens: 8, ...SAMPLING });
    expect(markup.usage).toEqual(answer.usage);
    expect(markup.choices[0]!.text).toBe(answer.choices[0]!.text);
  });

  it("streams the same answer with usage", async () => {
    const whole = await client.completions.create({ model: "fim-llama", prompt: PREFIX, suffix: SUFFIX, max_tokens: 6, ...SAMPLING });
    const chunks = await client.completions.create({ model: "fim-llama", prompt: PREFIX, suffix: SUFFIX, max_tokens: 6, ...SAMPLING, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of chunks) {
      text += chunk.choices[0]?.text ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(whole.choices[0]!.text);
    expect(usage).toEqual(whole.usage);
  });

  it("refuses a model without FIM tokens with model_lacks_infill", async () => {
    const failure = await client.completions.create({ model: "chat-llama", prompt: PREFIX, suffix: SUFFIX, max_tokens: 4 }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ status: 400, code: "model_lacks_infill", param: "model" });
  });
});

describe("POST /infill", () => {
  it("answers as llama.cpp's /completion, with the same answer as suffix on /v1/completions", async () => {
    const answer = await infill({ model: "fim-llama", input_prefix: PREFIX, input_suffix: SUFFIX, n_predict: 8, ...SAMPLING });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, unknown>;
    const openai = await client.completions.create({ model: "fim-llama", prompt: PREFIX, suffix: SUFFIX, max_tokens: 8, ...SAMPLING });
    expect(body).toMatchObject({ content: openai.choices[0]!.text, stop: true, model: "fim-llama", tokens_evaluated: fimPromptTokens() });
    expect(body.tokens_predicted).toBe(openai.usage?.completion_tokens);
  });

  it("streams data events whose text adds up to the whole answer, then one with stop and the counts", async () => {
    const request = { model: "fim-llama", input_prefix: PREFIX, input_suffix: SUFFIX, n_predict: 8, ...SAMPLING };
    const whole = (await (await infill(request)).json()) as { content: string; tokens_predicted: number };
    const answer = await infill({ ...request, stream: true });
    expect(answer.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = (await answer.text()).split("\n\n").filter(Boolean).map((event) => JSON.parse(event.replace(/^data: /, "")) as Record<string, unknown>);
    const last = events.at(-1)!;
    expect(events.slice(0, -1).map((event) => event.content).join("")).toBe(whole.content);
    expect(last).toMatchObject({ content: "", stop: true, tokens_predicted: whole.tokens_predicted, tokens_evaluated: fimPromptTokens() });
  });

  it("puts input_extra files before the prefix with the repository and file separator tokens", async () => {
    const answer = await infill({ model: "fim-llama", input_prefix: PREFIX, input_suffix: SUFFIX, input_extra: [FILE], n_predict: 2 });
    expect(((await answer.json()) as { tokens_evaluated: number }).tokens_evaluated).toBe(fimPromptTokens() + counts.file);
  });

  it("refuses a model without FIM tokens with a 400 naming the reason", async () => {
    const answer = await infill({ model: "chat-llama", input_prefix: PREFIX, input_suffix: SUFFIX, stream: true });
    expect(answer.status).toBe(400);
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("model_lacks_infill");
    expect(error.message).toMatch(/no FIM prefix, suffix and middle tokens/);
  });
});

describe("GET /metrics after real generations", () => {
  it("shows the tokens, the time to first token, the slots and the load of the FIM model", async () => {
    const text = await (await fetch(`${shimmy.url}/metrics`)).text();
    const value = (sample: string) => Number(new RegExp(`^${sample.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    const model = '{model="fim-llama"}';
    expect(value(`shimmy_prompt_tokens_total${model}`)).toBeGreaterThan(0);
    expect(value(`shimmy_completion_tokens_total${model}`)).toBeGreaterThan(0);
    expect(value(`shimmy_time_to_first_token_seconds_count${model}`)).toBeGreaterThan(0);
    expect(value(`shimmy_slots_busy${model}`)).toBe(0);
    expect(value(`shimmy_slots${model}`)).toBe(1);
    expect(value(`shimmy_model_loads_total${model}`)).toBe(1);
    expect(value('shimmy_http_requests_total{method="POST",route="/infill",status="200"}')).toBeGreaterThan(0);
  });
});
