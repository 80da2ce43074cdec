/**
 * A forced tool call's cost against a plain answer of the same length: the grammar, the tool
 * description in the prompt and the call parsing are the difference.
 *   npx tsx bench/tool-calls.ts [--threads 1] [--rounds 8]
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { startShimmyServer } from "./processes.js";
import { percentile } from "./stats.js";
import { benchFixture } from "./fixture.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { threads: { type: "string", default: "1" }, rounds: { type: "string", default: "8" } } });
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
}

async function post(url: string, body: object): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await response.json()) as { usage?: { completion_tokens: number }; error?: unknown };
  if (!response.ok || !json.usage) throw new Error(JSON.stringify(json));
  return { ms: performance.now() - started, tokens: json.usage.completion_tokens };
}

const modelPath = await benchFixture();
const server = await startShimmyServer(path.join(ROOT, "core/bin/shimmy.cjs"), ["--model", modelPath, "--threads", values.threads!, "--gpu", "off"], ROOT);
try {
  const model = path.basename(modelPath, ".gguf");
  const messages = [{ role: "user", content: "Plan a meeting with Ana and Bo on Tuesday about the budget." }];
  const forced: Timed[] = [];
  const plain: Timed[] = [];
  await post(server.url, { model, messages, max_tokens: 8 }); // warm-up
  for (let i = 0; i < rounds; i++) {
    const call = await post(server.url, { model, messages, max_tokens: 400, seed: i, tools: [TOOL], tool_choice: "required", parallel_tool_calls: false });
    forced.push(call);
    // The same number of free tokens; the bias keeps the answer from ending early.
    plain.push(await post(server.url, { model, messages, max_tokens: call.tokens, seed: i, logit_bias: { "300": 100 } }));
  }
  const perToken = (samples: Timed[]) => percentile(samples.map((s) => s.ms / s.tokens), 50);
  const f = perToken(forced);
  const p = perToken(plain);
  console.log(`model ${model}, threads ${values.threads}, ${rounds} rounds, median tokens per call ${percentile(forced.map((s) => s.tokens), 50)}`);
  console.log(`forced tool call: ${f.toFixed(2)} ms/token (median latency ${percentile(forced.map((s) => s.ms), 50).toFixed(0)} ms)`);
  console.log(`plain answer:     ${p.toFixed(2)} ms/token (median latency ${percentile(plain.map((s) => s.ms), 50).toFixed(0)} ms)`);
  console.log(`ratio forced/plain: ${(f / p).toFixed(3)} (target at most 1.2)`);
} finally {
  await server.stop();
}
