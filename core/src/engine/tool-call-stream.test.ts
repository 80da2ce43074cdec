import { describe, expect, it } from "vitest";
import { ToolCallStream } from "./tool-call-stream.js";
import type { ToolCallDelta } from "./types.js";

function readAll(text: string, pieceSize: number) {
  let n = 0;
  const deltas: ToolCallDelta[] = [];
  const stream = new ToolCallStream(() => `call_${n++}`, (d) => deltas.push(d));
  for (let i = 0; i < text.length; i += pieceSize) stream.push(text.slice(i, i + pieceSize));
  return { calls: stream.result(), deltas };
}

const ANSWER = `[ {"name": "get_weather", "arguments": { "city": "Oslo, \\"NO\\"", "days": [1, 2], "nested": {"a": "}]"} } },
  {"name":"get_time","arguments":{}} ]`;

describe("ToolCallStream", () => {
  for (const pieceSize of [1, 3, 7, 1000]) {
    it(`reads names and exact argument texts in pieces of ${pieceSize}`, () => {
      const { calls, deltas } = readAll(ANSWER, pieceSize);
      expect(calls.map((c) => c.name)).toEqual(["get_weather", "get_time"]);
      expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: 'Oslo, "NO"', days: [1, 2], nested: { a: "}]" } });
      expect(calls[1]!.arguments).toBe("{}");
      for (const call of calls) expect(call.arguments).toBe(call.arguments.trim());
      // The first delta of each call has its id and name; the argument pieces concatenate to the final text.
      for (const [index, call] of calls.entries()) {
        const own = deltas.filter((d) => d.index === index);
        expect(own[0]).toEqual({ index, id: call.id, name: call.name });
        expect(own.slice(1).map((d) => d.arguments).join("")).toBe(call.arguments);
      }
    });
  }

  it("keeps string arguments with escapes, and scalar arguments", () => {
    const { calls } = readAll('[{"name":"say","arguments":"a \\\\ b, c"}, {"name":"n","arguments": 42 }]', 2);
    expect(calls.map((c) => c.arguments)).toEqual(['"a \\\\ b, c"', "42"]);
  });

  it("returns a cut-off answer's calls, the last with its partial arguments, and leaves out a call cut before its name", () => {
    const cut = '[{"name":"get_weather","arguments":{"city":"Oslo"}},{"name":"get_time","arguments":{"zone":"U';
    const { calls, deltas } = readAll(cut, 4);
    expect(calls.map((c) => [c.name, c.arguments])).toEqual([["get_weather", '{"city":"Oslo"}'], ["get_time", '{"zone":"U']]);
    expect(deltas.filter((d) => d.index === 1).slice(1).map((d) => d.arguments).join("")).toBe('{"zone":"U');
    expect(readAll('[{"name":"get_weather","arguments":{}},{"name":"get_ti', 3).calls.map((c) => c.name)).toEqual(["get_weather"]);
  });

  it("gives unique ids to the calls", () => {
    const { calls } = readAll(ANSWER, 5);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
  });
});
