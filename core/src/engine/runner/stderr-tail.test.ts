import { PassThrough } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { StderrTail } from "./stderr-tail.js";

describe("StderrTail", () => {
  it("logs llama.cpp's lines at their level, keeps the last twenty, and the unterminated one", async () => {
    const logged: { level: number; msg: string }[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) });
    const stream = new PassThrough();
    const tail = new StderrTail(stream, logger);
    stream.write("error: llama_model_load: error loading model: missing tensor\nwarn: unused tok");
    stream.write("en\n");
    for (let i = 0; i < 25; i++) stream.write(`line ${i}\n`);
    stream.write("GGML_ASSERT(x) failed");
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged[0]).toMatchObject({ level: 50, msg: "llama_model_load: error loading model: missing tensor" });
    expect(logged[1]).toMatchObject({ level: 20, msg: "unused token" });
    const lines = tail.lines();
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe("line 5");
    expect(lines.at(-1)).toBe("GGML_ASSERT(x) failed");
  });
});
