import { describe, expect, it } from "vitest";
import { planChat } from "./chat-plan.js";
import type { ChatRequest, ToolSpec } from "./types.js";

const WEATHER: ToolSpec = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } };

function request(extra: Partial<ChatRequest>): ChatRequest {
  return { model: "m", sampling: { stop: [] }, signal: new AbortController().signal, turns: [{ role: "user", text: "hi" }], ...extra };
}

/** The maxItems of a forced plan's call array: 1 when one call per turn is allowed. */
function forcedMaxItems(req: ChatRequest, parallelToolCalls: boolean): unknown {
  const plan = planChat(req, { parallelToolCalls });
  if (plan.kind !== "forced-tools") throw new Error(`expected a forced plan, got ${plan.kind}`);
  return (plan.schema as { maxItems: number }).maxItems;
}

describe("planChat", () => {
  it("defaults parallel_tool_calls to what the model's template supports, as llama.cpp's server does", () => {
    const forced = request({ tools: [WEATHER], toolChoice: { mode: "required" } });
    expect(forcedMaxItems(forced, false)).toBe(1);
    expect(forcedMaxItems(forced, true)).toBeGreaterThan(1);
    const native = planChat(request({ tools: [WEATHER] }), { parallelToolCalls: false });
    expect(native).toMatchObject({ kind: "native-tools", parallel: false });
  });

  it("lets the request's parallel_tool_calls win either way", () => {
    expect(forcedMaxItems(request({ tools: [WEATHER], toolChoice: { mode: "required" }, parallelToolCalls: true }), false)).toBeGreaterThan(1);
    expect(forcedMaxItems(request({ tools: [WEATHER], toolChoice: { mode: "required" }, parallelToolCalls: false }), true)).toBe(1);
  });

  it("plans text, JSON and native tools", () => {
    expect(planChat(request({}), { parallelToolCalls: false }).kind).toBe("text");
    expect(planChat(request({ responseFormat: { type: "json_schema", schema: { type: "object" } } }), { parallelToolCalls: false }).kind).toBe("json");
    expect(planChat(request({ tools: [WEATHER], toolChoice: { mode: "auto" } }), { parallelToolCalls: true })).toMatchObject({ kind: "native-tools", parallel: true });
  });
});
