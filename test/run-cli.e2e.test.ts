/**
 * `shimmy run` as a script uses it: the compiled CLI in a child process (stdin a pipe or
 * /dev/null, so it answers once), on the bundled demo model, against a real `shimmy serve` and
 * against the server it starts in its own process when none answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closedPortUrl } from "../core/src/cli/fake-admin-api.fixture.js";
import { BIN, ROOT, homeEnv, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL_FILE = path.join(ROOT, "models/stories260K.gguf");
const MODEL = "stories260K";

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
const homes: string[] = [];

/**
 * Runs `shimmy ARGS…` with a temporary HOME and SHIMMY_HOME and only PATH besides; stdin is
 * `input` through a pipe, or /dev/null. Killed after `timeoutMs`.
 */
function shimmy(args: string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-run-home-"));
  homes.push(home);
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? home,
    env: homeEnv(home),
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  children.add(child);
  if (options.input !== undefined) child.stdin!.end(options.input);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether an English-writing model wrote something: a few words of three letters or more. */
function wordsIn(text: string): number {
  return text.match(/\b[a-z]{3,}\b/gi)?.length ?? 0;
}

afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
});
afterAll(() => {
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

describe("shimmy run against a running server", () => {
  let server: ShimmyProcess;
  beforeAll(async () => {
    server = await startShimmy({ args: ["--model", MODEL_FILE, "--no-discovery"] });
  });
  afterAll(() => server?.stop());

  it("answers a PROMPT once, streamed, with only the answer on stdout, and exits 0", async () => {
    const result = await shimmy(["run", MODEL, "Once upon a time", "--url", server.url, "--max-tokens", "30", "--seed", "3"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(wordsIn(result.stdout)).toBeGreaterThan(3);
    expect(result.stdout.endsWith("\n")).toBe(true);
    // The same request, streamed by an OpenAI client, gives the same text: stdout holds the answer and nothing else.
    const stream = await server.client().chat.completions.create({
      model: MODEL, messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 30, seed: 3, stream: true,
    });
    let expected = "";
    for await (const chunk of stream) expected += chunk.choices[0]?.delta?.content ?? "";
    expect(result.stdout).toBe(expected.endsWith("\n") ? expected : `${expected}\n`);
    const logged = await server.waitForLog((l) => l.event === "request" && l.route === "/v1/chat/completions" && l.status === 200);
    expect(logged.stream).toBe(true);
  });

  it("answers what is piped on stdin", async () => {
    // Seeded: an unseeded answer of 20 tokens was once only 3 words long.
    const result = await shimmy(["run", MODEL, "--url", server.url, "--max-tokens", "20", "--seed", "3", "--system", "You tell stories."], { input: "Tell me a story.\n" });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(wordsIn(result.stdout)).toBeGreaterThan(3);
  });

  it("prints the whole completion object with --json", async () => {
    const json = await shimmy(["run", MODEL, "Hello", "--json", "--max-tokens", "8", "--url", server.url]);
    expect(json).toMatchObject({ code: 0, stderr: "" });
    const completion = JSON.parse(json.stdout) as { object: string; model: string; choices: { message: { role: string; content: string } }[] };
    expect(completion).toMatchObject({ object: "chat.completion", model: MODEL, choices: [{ message: { role: "assistant" } }] });
    expect(json.stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  it("says the server's 404 in one line for an unknown model, and exits 1", async () => {
    const result = await shimmy(["run", "no-such-model", "hello", "--url", server.url]);
    const direct = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "no-such-model", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(direct.status).toBe(404);
    const { error } = (await direct.json()) as { error: { message: string } };
    expect(result).toEqual({ code: 1, stdout: "", stderr: `shimmy: ${error.message}\n` });
  });

  it("refuses a missing MODEL as a usage mistake (exit 2)", async () => {
    const result = await shimmy(["run", "--url", server.url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("shimmy run: expects a MODEL; see shimmy run --help\n");
  });
});

describe("shimmy run with no server at the URL", () => {
  it("starts one in its own process with the serve options given, answers, and stops it on exit", async () => {
    const url = await closedPortUrl();
    const result = await shimmy(
      ["run", MODEL, "Once upon a time", "--url", url, "--max-tokens", "30", "--seed", "3", "--model", MODEL_FILE, "--no-discovery", "--threads", "1"],
      { timeoutMs: 120_000 },
    );
    expect(result.code).toBe(0);
    expect(wordsIn(result.stdout)).toBeGreaterThan(3);
    const started = /^shimmy: no server answered at (\S+); started one in this process at (http:\/\/127\.0\.0\.1:\d+) \(it stops on exit\)\n$/.exec(result.stderr);
    expect(started?.[1]).toBe(url);
    // The process has exited, so nothing listens there any more.
    await expect(fetch(`${started![2]}/health`)).rejects.toThrow();
  }, 150_000);

  it("says the started server's 404 for an unknown model, and exits 1", async () => {
    const url = await closedPortUrl();
    const result = await shimmy(["run", "no-such-model", "hello", "--url", url, "--model", MODEL_FILE, "--no-discovery", "--threads", "1"], { timeoutMs: 120_000 });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^shimmy: .*no-such-model/);
  }, 150_000);
});
