/**
 * Startup mistakes as a new user makes them, against the compiled CLI: each one is a single line on
 * stderr saying what is wrong and what to do, no stack, a non-zero exit, and (for everything but a
 * backend that fails to start) before discovery and llama.cpp's start.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { getLlamaGpuTypes } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyModel } from "../core/src/models/fake-homes.fixture.js";
import { BIN, homeEnv } from "./helpers/shimmy-process.js";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-startup-errors-"));
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** Runs `shimmy serve ARGS…` in a temporary home, as `startShimmy` does, to its end. */
function serve(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, "serve", "--threads", "1", ...args], { cwd: home, env: homeEnv(home), timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** The one line of stderr, after checking there is exactly one and no stack. */
function oneLine(result: CliResult): string {
  expect(result.stderr).not.toMatch(/^ {4}at /m);
  const lines = result.stderr.split("\n").filter(Boolean);
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stdout).toBe("");
  return lines[0]!;
}

/** Log events that show discovery or llama.cpp had started. */
const HEAVY_EVENTS = /"event":"(discovered|no_models|engine_ready|plugins_loaded|listening)"/;

describe("shimmy serve startup mistakes", () => {
  it("a busy port: one line before discovery and llama.cpp, naming the port and --port", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const result = await serve(["--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).not.toMatch(HEAVY_EVENTS);
      expect(oneLine(result)).toBe(`shimmy: port ${port} is in use on 127.0.0.1: is another Shimmy running? Use --port to pick another port (--port 0 picks a free one)`);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it("a port out of range: refused while the options are read (a usage mistake, exit 2)", async () => {
    const result = await serve(["--port", "99999"]);
    expect(result.code).toBe(2);
    expect(oneLine(result)).toBe("shimmy: --port must be at most 65535, got 99999");
  });

  it("a --gpu backend this machine cannot use: one line naming the usable values", async () => {
    const supported = await getLlamaGpuTypes("supported");
    // CUDA on a machine without it (this one); Metal is never usable off a Mac, for a machine with CUDA.
    const unusable = (["cuda", "vulkan", "metal"] as const).find((gpu) => !supported.includes(gpu))!;
    const result = await serve(["--gpu", unusable, "--no-discovery"]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(HEAVY_EVENTS);
    const line = oneLine(result);
    expect(line).toMatch(new RegExp(`^shimmy: --gpu ${unusable}: this machine cannot use \\w+ .*; use one of: auto, (\\w+, )*off$`));
    expect(line).not.toContain(`${unusable},`);
  });

  it("a --model file that does not exist is fatal, even with other models around", async () => {
    const missing = path.join(home, "no", "such.gguf");
    await writeTinyModel(path.join(home, "models", "other.gguf"));
    const result = await serve(["--model", missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(HEAVY_EVENTS);
    expect(oneLine(result)).toBe(`shimmy: --model ${missing}: it does not exist; check the path, or leave --model out to serve the models Shimmy finds`);
  });

  it("a --model file that is not a GGUF, or that fails the GGUF check, is fatal", async () => {
    fs.writeFileSync(path.join(home, "notes.gguf"), "just some text, not a model");
    const text = await serve(["--model", "notes.gguf", "--no-discovery"]);
    expect(text.code).toBe(1);
    expect(oneLine(text)).toMatch(/^shimmy: --model .*notes\.gguf: not a valid GGUF file: .*; pass a valid GGUF model file$/);

    await writeTinyModel(path.join(home, "crash.gguf"), { metadata: { "llama.feed_forward_length": undefined } });
    const crash = await serve(["--model", "crash.gguf", "--no-discovery"]);
    expect(crash.code).toBe(1);
    expect(crash.stderr).not.toMatch(HEAVY_EVENTS);
    expect(oneLine(crash)).toBe(`shimmy: --model ${path.join(home, "crash.gguf")}: llama.feed_forward_length is missing or not positive; pass a valid GGUF model file`);
  });
});
