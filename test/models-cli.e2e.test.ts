/**
 * `shimmy models` as users run it: the compiled CLI in a child process (stderr is a pipe, not a
 * terminal), against a fake admin API on 127.0.0.1 that answers like the real routes. Cases
 * against a real `shimmy serve` belong here too once its /api/models routes exist.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAILING_MODEL, DISCOVERED_MODEL, closedPortUrl, startFakeAdminApi, type FakeAdminApi } from "../core/src/cli/fake-admin-api.fixture.js";
import { BIN } from "./helpers/shimmy-process.js";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `shimmy ARGS…` with only PATH and `env` in its environment (no SHIMMY_* of the person running the tests). */
function shimmy(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

let fake: FakeAdminApi;
let keyed: FakeAdminApi;
beforeAll(async () => {
  [fake, keyed] = await Promise.all([startFakeAdminApi(), startFakeAdminApi({ apiKey: "sekret" })]);
});
afterAll(() => Promise.all([fake.close(), keyed.close()]));

describe("shimmy models (compiled CLI)", () => {
  it("is listed in shimmy --help", async () => {
    const result = await shimmy(["--help"]);
    expect(result.stdout).toMatch(/^ {2}models {5}List, discover, load and unload/m);
  });

  it("list prints the table on stdout and nothing on stderr", async () => {
    const result = await shimmy(["models", "list", "--url", fake.url]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("ID                            SIZE    QUANT   ARCH        CONTEXT  STATUS");
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^qwen2\.5-0\.5b-instruct:Q4_K_M {2}398 MB {2}Q4_K_M {2}qwen2 {7}32768 {4}loaded, expires in \dm( \d+s)?$/);
    expect(lines[4]).toBe("broken                        1.2 KB  -       -           -        invalid: not a GGUF file (bad magic)");
  });

  it("list --json prints the server's document as one line", async () => {
    const result = await shimmy(["models", "list", "--json"], { SHIMMY_URL: fake.url });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(result.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual({ models: fake.models });
  });

  it("discover rescans with a POST and lists what it found", async () => {
    const result = await shimmy(["models", "discover", "--url", fake.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${DISCOVERED_MODEL}   `);
    expect(fake.requests.at(-1)).toMatchObject({ method: "POST", path: "/api/models/discover", body: {} });
  });

  it("load shows percent lines on stderr (not a terminal) and the result on stdout", async () => {
    const result = await shimmy(["models", "load", "llama-3.1-8b:Q8_0", "--keep-alive", "10m", "--url", fake.url]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      ["0%", "25%", "50%", "75%", "100%"].map((p) => `loading llama-3.1-8b:Q8_0: ${p}\n`).join(""),
    );
    expect(result.stdout).toMatch(/^Loaded llama-3\.1-8b:Q8_0 in 1\.2s \(memory 9\.4 GB, expires in (5m|4m \d+s)\)\n$/);
    const request = fake.requests.at(-1)!;
    expect(request.headers.accept).toBe("text/event-stream");
    expect(request.body).toEqual({ model: "llama-3.1-8b:Q8_0", keep_alive: "10m" });
  });

  it("load --json prints the final event as one document", async () => {
    const result = await shimmy(["models", "load", "nomic-embed-text", "--keep-alive", "-1", "--json", "--url", fake.url]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ model: "nomic-embed-text", loaded: true, memory_bytes: 301_719_722, expires_at: null, load_ms: 1234 });
  });

  it("ps lists the loaded models; unload takes one off", async () => {
    const before = await shimmy(["models", "ps", "--url", fake.url]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^ID {28}MEMORY {2}EXPIRES\n/);
    expect(before.stdout).toMatch(/^nomic-embed-text {14}\d+ MB {2}never$/m);
    expect(before.stdout).not.toContain("broken");

    const unload = await shimmy(["models", "unload", "nomic-embed-text", "--url", fake.url]);
    expect(unload).toEqual({ code: 0, stdout: "Unloaded nomic-embed-text\n", stderr: "" });

    const after = await shimmy(["models", "ps", "--json", "--url", fake.url]);
    const ids = (JSON.parse(after.stdout) as { models: { id: string; loaded: boolean }[] }).models.map((m) => m.id);
    expect(ids).not.toContain("nomic-embed-text");
    expect(ids).toContain("llama-3.1-8b:Q8_0");
  });

  it("server errors exit 1 with the message on stderr and nothing on stdout", async () => {
    const missing = await shimmy(["models", "load", "nope", "--url", fake.url]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain('shimmy: The model "nope" does not exist.');

    const failing = await shimmy(["models", "load", FAILING_MODEL, "--json", "--url", fake.url]);
    expect(failing).toEqual({
      code: 1,
      stdout: "",
      stderr: `loading ${FAILING_MODEL}: 0%\nloading ${FAILING_MODEL}: 30%\nshimmy: not enough memory to load the model\n`,
    });
  });

  it("sends the API key from --api-key or SHIMMY_API_KEY as a bearer token", async () => {
    const refused = await shimmy(["models", "list", "--url", keyed.url]);
    expect(refused).toEqual({ code: 1, stdout: "", stderr: "shimmy: Incorrect API key provided. (pass --api-key KEY or set SHIMMY_API_KEY)\n" });

    const flag = await shimmy(["models", "list", "--json", "--url", keyed.url, "--api-key", "sekret"]);
    expect(flag.code).toBe(0);
    expect(keyed.requests.at(-1)?.headers.authorization).toBe("Bearer sekret");

    const variable = await shimmy(["models", "ps"], { SHIMMY_URL: keyed.url, SHIMMY_API_KEY: "sekret" });
    expect(variable.code).toBe(0);
    expect(keyed.requests.at(-1)?.headers.authorization).toBe("Bearer sekret");
  });

  it("says the server is not running, and how to start one", async () => {
    const url = await closedPortUrl();
    const result = await shimmy(["models", "list", "--url", url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `shimmy: no Shimmy server is running at ${url}. Start one with "npx shimmy serve", or point --url (or SHIMMY_URL) at a running one.\n`,
    );
  });

  it("bad usage exits 2", async () => {
    const result = await shimmy(["models", "load"]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: "shimmy models load: expects one model ID; see shimmy models load --help\n" });
    expect((await shimmy(["models", "list", "--jsn"])).code).toBe(2);
    expect((await shimmy(["models", "nope"])).code).toBe(2);
  });
});
