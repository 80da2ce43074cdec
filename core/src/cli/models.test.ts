import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAILING_MODEL, closedPortUrl, startFakeAdminApi, type FakeAdminApi } from "./fake-admin-api.fixture.js";
import { modelsCommand, modelsUsage } from "./models.js";

let fake: FakeAdminApi;
beforeAll(async () => {
  fake = await startFakeAdminApi({ apiKey: "k" });
});
afterAll(() => fake.close());

/** Runs the command with captured stdout and stderr, the key in the environment unless `env` says otherwise. */
async function run(argv: string[], options: { env?: Record<string, string>; tty?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await modelsCommand(argv, {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text), isTTY: options.tty ?? false, columns: 80 },
    env: options.env ?? { SHIMMY_URL: fake.url, SHIMMY_API_KEY: "k" },
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("shimmy models", () => {
  it("prints its help on stdout", async () => {
    expect(await run([])).toEqual({ code: 0, stdout: modelsUsage(), stderr: "" });
    const help = await run(["load", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: shimmy models load ID [options]");
    expect(help.stdout).toContain("--keep-alive DURATION");
  });

  it.each([
    [["frob"], 'unknown command "frob"'],
    [["list", "--bogus"], "Unknown option '--bogus'"],
    [["list", "extra"], 'takes no arguments, got "extra"'],
    [["load"], "expects one model ID"],
    [["unload", "a", "b"], "expects one model ID"],
    [["list", "--url", "localhost:1"], '--url must be an http:// or https:// URL, got "localhost:1"'],
    [["load", "m", "--keep-alive", "soon"], '--keep-alive must be seconds'],
    [["load", "m", "--keep-alive", "1e13"], '--keep-alive must be seconds'],
    [["load", "m", "--keep-alive", "2562048h"], '--keep-alive must be seconds'],
    [["list", "--keep-alive", "5m"], "Unknown option '--keep-alive'"],
  ])("exits 2 on %j", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
  });

  it("reads --url and --api-key over the variables", async () => {
    const result = await run(["ps", "--url", fake.url, "--api-key", "k"], { env: { SHIMMY_URL: "http://127.0.0.1:1", SHIMMY_API_KEY: "wrong" } });
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("ID                            MEMORY  EXPIRES");
  });

  it("sends keep-alive seconds as a number and durations as strings", async () => {
    await run(["load", "llama-3.1-8b:Q8_0", "--keep-alive", "-1"]);
    expect(fake.requests.at(-1)?.body).toEqual({ model: "llama-3.1-8b:Q8_0", keep_alive: -1 });
    await run(["load", "llama-3.1-8b:Q8_0", "--keep-alive", "1h30m"]);
    expect(fake.requests.at(-1)?.body).toEqual({ model: "llama-3.1-8b:Q8_0", keep_alive: "1h30m" });
    await run(["load", "llama-3.1-8b:Q8_0", "--keep-alive", "90.5"]);
    expect(fake.requests.at(-1)?.body).toEqual({ model: "llama-3.1-8b:Q8_0", keep_alive: 90.5 });
  });

  it("draws a progress bar on a terminal and clears it before the result", async () => {
    const result = await run(["load", "llama-3.1-8b:Q8_0"], { tty: true });
    expect(result.code).toBe(0);
    expect(result.stderr.startsWith("\r[....................]   0% loading llama-3.1-8b:Q8_0")).toBe(true);
    expect(result.stderr.endsWith("\r\x1b[2K")).toBe(true);
    expect(result.stdout).toMatch(/^Loaded llama-3\.1-8b:Q8_0 in 1\.2s \(memory 9\.4 GB, expires in (5m|4m \d+s)\)\n$/);
  });

  it("clears the bar and explains an error that comes in the stream", async () => {
    const result = await run(["load", FAILING_MODEL], { tty: true });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/\r\x1b\[2Kshimmy: not enough memory to load the model\n$/);
  });

  it("hints at the key, and passes the server's message through", async () => {
    const noKey = await run(["list"], { env: { SHIMMY_URL: fake.url } });
    expect(noKey).toEqual({ code: 1, stdout: "", stderr: "shimmy: Incorrect API key provided. (pass --api-key KEY or set SHIMMY_API_KEY)\n" });
    const wrongKey = await run(["list", "--api-key", "nope"], { env: { SHIMMY_URL: fake.url } });
    expect(wrongKey.stderr).toBe("shimmy: Incorrect API key provided. (the key from --api-key or SHIMMY_API_KEY was refused)\n");
    const missing = await run(["unload", "nope"]);
    expect(missing).toEqual({ code: 1, stdout: "", stderr: 'shimmy: The model "nope" does not exist.\n' });
  });

  it("says how to start a server when none runs", async () => {
    const url = await closedPortUrl();
    const result = await run(["list", "--url", url]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `shimmy: no Shimmy server is running at ${url}. Start one with "npx shimmy serve", or point --url (or SHIMMY_URL) at a running one.\n`,
    });
  });
});
