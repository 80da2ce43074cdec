/**
 * Plugin tools in `/v1/responses`, end to end: the real server on the ChatML fixture, the real
 * compiled calculator plugin, and the official `openai` client. Random weights never call a tool
 * unforced, so the call is forced (`tool_choice` naming it); each call the server ran comes back as
 * a `function_call` item then its `function_call_output` item, streamed and stored.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { waitForPlugins } from "./helpers/plugins-api.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

type Params = OpenAI.Responses.ResponseCreateParamsNonStreaming & Record<string, unknown>;

let shimmy: ShimmyProcess;
let client: OpenAI;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-plugin-responses-"));
  const home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  shimmy = await startShimmy({ args: ["--model", inject("fixtureModels").chat, "--no-discovery"], home });
  client = shimmy.client({ timeout: 120_000 });
  const run = await pluginCli(home, ["install", packedPlugin(inject("firstPartyPlugins"), "calculator").tgz, "--yes"]);
  expect(run.code, run.stderr).toBe(0);
  await waitForPlugins(shimmy.url, (p) => p.some((x) => x.name === "calculator" && x.status === "ready"));
}, 180_000);

afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const FORCED = { model: "chat-llama", input: "What is 6 times 7?", plugins: ["calculator"], tool_choice: { type: "function", name: "calculator__calculate" }, max_tool_rounds: 1, max_output_tokens: 700 };

describe("plugin tools in responses", () => {
  it("runs the calculator and returns the call and its output as items, stored and read back", async () => {
    const response = await client.responses.create(FORCED as unknown as Params);
    const [call, output, ...rest] = response.output;
    expect(call).toMatchObject({ type: "function_call", status: "completed", name: "calculator__calculate", call_id: expect.stringMatching(/^call_/), id: expect.stringMatching(/^fc_/) });
    expect(output).toMatchObject({ type: "function_call_output", status: "completed", call_id: (call as OpenAI.Responses.ResponseFunctionToolCall).call_id, id: expect.stringMatching(/^fco_/) });
    const text = (output as unknown as { output: string }).output;
    // The calculator's result as JSON, or the error the model was shown.
    expect(text.startsWith("{") || text.startsWith("Error: ")).toBe(true);
    expect(rest.at(-1)).toMatchObject({ type: "message", role: "assistant" });
    expect((await client.responses.retrieve(response.id)).output).toEqual(response.output);
  });

  it("streams the call and its output as output items, the final response the same", async () => {
    const stream = await client.responses.create({ ...FORCED, stream: true } as unknown as OpenAI.Responses.ResponseCreateParamsStreaming);
    const done: unknown[] = [];
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === "response.output_item.done") done.push(event.item);
      if (event.type === "response.completed" || event.type === "response.incomplete") final = event.response;
    }
    expect(done.slice(0, 2).map((item) => (item as { type: string }).type)).toEqual(["function_call", "function_call_output"]);
    expect(final!.output).toEqual(done);
    expect((await client.responses.retrieve(final!.id)).output).toEqual(done);
  });
});
