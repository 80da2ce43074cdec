/**
 * One registry per data folder: a second `shimmy-registry` on the same `--data` refuses to start
 * with one line naming the holder's pid, and a lock left by a `kill -9` is taken over.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, startRegistryProcess, writeTokenFile, type RegistryProcess } from "./helpers.js";

let work: string;
let dataDir: string;
let tokenFile: string;
const running: RegistryProcess[] = [];

/** Runs a registry that is expected to exit; resolves to its exit code and output. */
function runToExit(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, "--port", "0", "--data", dataDir, "--token-file", tokenFile], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-lock-"));
  dataDir = path.join(work, "data");
  tokenFile = writeTokenFile(work);
});

afterAll(async () => {
  for (const registry of running) await registry.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the data folder's lock", () => {
  it("refuses a second registry on the same --data with one line naming the holder, and takes over after kill -9", async () => {
    const first = await startRegistryProcess({ dataDir, tokenFile });
    running.push(first);
    expect(fs.readFileSync(path.join(dataDir, "registry.lock"), "utf8")).toBe(String(first.child.pid));

    const second = await runToExit();
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    expect(second.stderr.trim().split("\n")).toEqual([expect.stringContaining(`another shimmy-registry (pid ${first.child.pid}) is using the data folder ${dataDir}`)]);
    expect((await fetch(`${first.url}/-/ping`)).status).toBe(200); // the first one is untouched

    first.child.kill("SIGKILL");
    await first.stop();
    const third = await startRegistryProcess({ dataDir, tokenFile });
    running.push(third);
    expect(fs.readFileSync(path.join(dataDir, "registry.lock"), "utf8")).toBe(String(third.child.pid));
    await third.stop();
    expect(fs.existsSync(path.join(dataDir, "registry.lock"))).toBe(false); // a clean stop gives it back
    expect(fs.readdirSync(dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
