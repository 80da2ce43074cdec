/**
 * What state costs in `/v1/responses`, on the real server (`core/dist`) with the demo model:
 * - added latency of a stored response over a stateless one: the same request with `store: true`
 *   and `store: false`, `max_output_tokens: 1`, interleaved so drift hits both alike, p50/p95;
 * - prompt tokens evaluated for turn N of a `previous_response_id` chain on a warm slot, against a
 *   cold request with the same history (another conversation took the one slot first), read from
 *   `usage.input_tokens` less `input_tokens_details.cached_tokens`;
 * - database size per 1,000 stored turns (the file after a clean stop, so the WAL is folded in).
 *   npx tsx bench/responses.ts [--requests 200] [--turns 10] [--size-turns 1000] [--model models/stories260K.gguf]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startShimmyServer, type ServerProcess } from "./processes.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "200" },
    turns: { type: "string", default: "10" },
    "size-turns": { type: "string", default: "1000" },
    model: { type: "string", default: path.join(ROOT, "models/stories260K.gguf") },
  },
});
const requests = Number(values.requests);
const chainTurns = Number(values.turns);
const sizeTurns = Number(values["size-turns"]);
const MODEL = path.basename(values.model!, ".gguf");

interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
}
interface Response {
  id: string;
  status: string;
  usage: Usage;
}

async function post(server: ServerProcess, body: Record<string, unknown>): Promise<Response> {
  const answer = await fetch(`${server.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, ...body }) });
  const json = (await answer.json()) as Response & { error?: unknown };
  if (!answer.ok) throw new Error(`POST /v1/responses: ${answer.status} ${JSON.stringify(json.error)}`);
  return json;
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-responses-"));
const dbFile = path.join(home, "shimmy.db");
const bin = path.join(ROOT, "core/bin/shimmy.cjs");
const start = () => {
  process.env.SHIMMY_HOME = home;
  // One slot, so "another conversation took the slot" is certain for the cold case.
  return startShimmyServer(bin, ["--model", values.model!, "--parallel", "1", "--ctx-size", "2048", "--threads", "1"], home);
};
const fileBytes = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

try {
  let server = await start();
  // 1. Latency: the same request stored and not, interleaved.
  const request = { input: "Once upon a time there was a little dog named Spot.", max_output_tokens: 1, temperature: 0 };
  for (let i = 0; i < 20; i++) await post(server, { ...request, store: i % 2 === 0 });
  const stored: number[] = [];
  const stateless: number[] = [];
  for (let i = 0; i < requests; i++) {
    for (const store of i % 2 === 0 ? [true, false] : [false, true]) {
      const started = performance.now();
      await post(server, { ...request, store });
      (store ? stored : stateless).push(performance.now() - started);
    }
  }

  // 2. Prompt tokens evaluated for the last turn of a chain, warm slot against cold.
  const say = (turn: number) => `Turn ${turn}: the little dog ran to the park and found a red ball under a tree.`;
  let previous: string | null = null;
  const history: { role: string; content: string }[] = [];
  let warm: Usage | undefined;
  for (let turn = 1; turn <= chainTurns; turn++) {
    const response: Response & { output: { type: string; content?: { text: string }[] }[] } = (await post(server, {
      input: say(turn), max_output_tokens: 8, temperature: 0, ...(previous ? { previous_response_id: previous } : {}),
    })) as never;
    if (turn === chainTurns) warm = response.usage;
    else {
      history.push({ role: "user", content: say(turn) });
      const text = response.output.find((item) => item.type === "message")?.content?.[0]?.text ?? "";
      history.push({ role: "assistant", content: text });
    }
    previous = response.id;
  }
  // Another conversation takes the one slot, then the same history arrives as one stateless request.
  await post(server, { input: "A different story about a cat who sailed across the sea in a small boat.", max_output_tokens: 1, store: false });
  const cold = (await post(server, { input: [...history, { role: "user", content: say(chainTurns) }], max_output_tokens: 8, temperature: 0, store: false })).usage;
  await server.stop();

  // 3. Database size per stored turn: a fresh database, `sizeTurns` stored responses, a clean stop.
  fs.rmSync(dbFile, { force: true });
  server = await start();
  await server.stop();
  const emptyBytes = fileBytes(dbFile);
  server = await start();
  for (let turn = 0; turn < sizeTurns; turn++) await post(server, { input: say(turn), max_output_tokens: 8, temperature: 0 });
  await server.stop();
  const fullBytes = fileBytes(dbFile) + fileBytes(`${dbFile}-wal`);

  const ms = (x: number) => x.toFixed(3);
  const evaluated = (usage: Usage) => usage.input_tokens - usage.input_tokens_details.cached_tokens;
  const rows = [
    ["figure", "store: true", "store: false", "added"],
    [`latency p50 ms (${requests} each)`, ms(percentile(stored, 50)), ms(percentile(stateless, 50)), ms(percentile(stored, 50) - percentile(stateless, 50))],
    [`latency p95 ms`, ms(percentile(stored, 95)), ms(percentile(stateless, 95)), ms(percentile(stored, 95) - percentile(stateless, 95))],
    ["", "", "", ""],
    [`turn ${chainTurns} of a chain`, "warm slot (previous_response_id)", "cold (same history, slot taken)", ""],
    ["prompt tokens", String(warm!.input_tokens), String(cold.input_tokens), ""],
    ["prompt tokens evaluated", String(evaluated(warm!)), String(evaluated(cold)), ""],
    ["", "", "", ""],
    ["database", `${sizeTurns} stored turns`, "per 1,000 turns", ""],
    ["bytes", String(fullBytes - emptyBytes), String(Math.round(((fullBytes - emptyBytes) / sizeTurns) * 1000)), ""],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
