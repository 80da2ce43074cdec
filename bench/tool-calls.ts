/**
 * A forced tool call's cost against free answers of the same length, two ways:
 * - against a free answer to the same prompt (the tool description the forced call puts in a system
 *   message, sent as that system message): the grammar and the call parsing are the difference,
 *   which is what the target (at most 1.2x) is about;
 * - against a free answer to the bare messages: the tool description's share of the prompt (a
 *   longer context to attend over, and its prefill whenever the slot held another prompt) adds to
 *   that.
 *   npx tsx bench/tool-calls.ts [--threads 1] [--rounds 8] [--model FILE.gguf]
 * Without --model it writes and uses the random SmolLM2-shaped fixture; give a trained model to see
 * what the grammar costs when the model mostly samples tokens the grammar allows anyway.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { startShimmyServer } from "./processes.js";
import { percentile } from "./stats.js";
import { benchFixture } from "./fixture.js";
import { forcedToolsSystemText } from "../core/src/engine/forced-tool-calls.js";
import { prepareJsonSchema } from "../core/src/openai/json-schema/prepare-schema.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { threads: { type: "string", default: "1" }, rounds: { type: "string", default: "8" }, model: { type: "string" } } });
const rounds = Number(values.rounds);

const TOOL = {
  type: "function",
  function: {
    name: "create_event",
    description: "Create a calendar event",
    parameters: {
      type: "object",
      properties: {
        title: { type: "string", maxLength: 40 },
        day: { enum: ["monday", "tuesday", "wednesday", "thursday", "friday"] },
        attendees: { type: "array", items: { type: "string", maxLength: 12 }, maxItems: 3 },
      },
      required: ["title", "day", "attendees"],
      additionalProperties: false,
    },
  },
};

interface Timed {
  ms: number;
  tokens: number;
  promptTokens: number;
}

async function post(url: string, body: object): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await response.json()) as { usage?: { completion_tokens: number; prompt_tokens: number }; error?: unknown };
  if (!response.ok || !json.usage) throw new Error(JSON.stringify(json));
  return { ms: performance.now() - started, tokens: json.usage.completion_tokens, promptTokens: json.usage.prompt_tokens };
}

const modelPath = values.model ? path.resolve(values.model) : await benchFixture();
const server = await startShimmyServer(path.join(ROOT, "core/bin/shimmy.cjs"), ["--model", modelPath, "--threads", values.threads!, "--gpu", "off"], ROOT);
try {
  const model = path.basename(modelPath, ".gguf");
  const messages = [{ role: "user", content: "Plan a meeting with Ana and Bo on Tuesday about the budget." }];
  // The system message the server writes for the forced call, from the schema as the server prepares it.
  const parameters = prepareJsonSchema(TOOL.function.parameters, { strict: false, param: "parameters" }).grammarSchema;
  const described = [{ role: "system", content: forcedToolsSystemText([{ name: TOOL.function.name, description: TOOL.function.description, parameters }], false) }, ...messages];
  const forced: Timed[] = [];
  const samePrompt: Timed[] = [];
  const bare: Timed[] = [];
  await post(server.url, { model, messages, max_tokens: 8 }); // warm-up
  for (let i = 0; i < rounds; i++) {
    const call = await post(server.url, { model, messages, max_tokens: 400, seed: i, tools: [TOOL], tool_choice: "required", parallel_tool_calls: false });
    forced.push(call);
    // The same number of free tokens; the bias keeps the answer from ending early.
    const free = await post(server.url, { model, messages: described, max_tokens: call.tokens, seed: i, logit_bias: { "300": 100 } });
    if (free.promptTokens !== call.promptTokens) throw new Error(`the prompts differ: ${free.promptTokens} vs ${call.promptTokens} tokens`);
    samePrompt.push(free);
    bare.push(await post(server.url, { model, messages, max_tokens: call.tokens, seed: i, logit_bias: { "300": 100 } }));
  }
  const perToken = (samples: Timed[]) => percentile(samples.map((s) => s.ms / s.tokens), 50);
  const latency = (samples: Timed[]) => percentile(samples.map((s) => s.ms), 50).toFixed(0);
  const f = perToken(forced);
  const p = perToken(samePrompt);
  const b = perToken(bare);
  console.log(`model ${model}, threads ${values.threads}, ${rounds} rounds, median tokens per call ${percentile(forced.map((s) => s.tokens), 50)}, prompt ${forced[0]?.promptTokens} tokens (bare ${bare[0]?.promptTokens})`);
  console.log(`forced tool call:            ${f.toFixed(2)} ms/token (median latency ${latency(forced)} ms)`);
  console.log(`free answer, same prompt:    ${p.toFixed(2)} ms/token (median latency ${latency(samePrompt)} ms)`);
  console.log(`free answer, bare messages:  ${b.toFixed(2)} ms/token (median latency ${latency(bare)} ms)`);
  console.log(`ratio forced/free, same prompt: ${(f / p).toFixed(3)} (target at most 1.2); against the bare messages: ${(f / b).toFixed(3)}`);
} finally {
  await server.stop();
}
