import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { ShimmyError } from "../errors.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import type { InstalledPlugins } from "../plugins/installed-plugins.js";
import { fakePlugins } from "../tools/fake-plugins.fixture.js";
import { closedPortUrl } from "./fake-admin-api.fixture.js";
import { workflowCommand, workflowSubcommandUsage, workflowUsage, type WorkflowCliIO } from "./workflow.js";

/** The fake plugins' tools (`calculate`, and `trap`, which always fails), and one `upper` step. */
const plugins = {
  ...fakePlugins(),
  async callStep(request: { name: string; input: unknown }) {
    if (request.name !== "upper") throw new ShimmyError("step_not_found", `no step ${request.name}`);
    return { text: String((request.input as { text: string }).text).toUpperCase() };
  },
} as unknown as InstalledPlugins;

let app: TestApp;
let slowApp: TestApp;
let keyApp: TestApp;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-workflow-cli-"));
  app = await startTestApp({ engine: new FakeEngine(), plugins });
  // 200 ms per token: an LLM step runs long enough to be cancelled in the middle.
  slowApp = await startTestApp({ engine: new FakeEngine({ tokenDelayMs: 200 }), plugins });
  keyApp = await startTestApp({ engine: new FakeEngine(), plugins, apiKey: "k" });
});
afterAll(async () => {
  await Promise.all([app?.close(), slowApp?.close(), keyApp?.close()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const DIGEST = {
  name: "digest",
  description: "Shouts a topic, counts, and tells a story per item",
  input: { type: "object", required: ["topic"], properties: { topic: { type: "string" }, count: { type: "integer" } } },
  steps: [
    { id: "shout", uses: "step", with: { name: "upper", input: { text: "${{ input.topic }}" } } },
    { id: "calc", uses: "tool", with: { name: "calculate", arguments: { expression: "6*7" } } },
    { id: "each", uses: "llm", foreach: "${{ [1..input.count] }}", with: { model: "fake-chat", messages: [{ role: "user", content: "${{ steps.shout.output.text }} ${{ item }}" }] } },
  ],
  output: { topic: "${{ steps.shout.output.text }}", answer: "${{ steps.calc.output.result }}", stories: "${{ steps.each.output.text }}" },
};

/** Writes `value` as JSON into the test folder; returns the path. */
function file(name: string, value: unknown): string {
  const where = path.join(dir, name);
  fs.writeFileSync(where, typeof value === "string" ? value : JSON.stringify(value));
  return where;
}

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  url?: string;
  env?: Record<string, string>;
  tty?: boolean;
  /** Called with each write on stderr and a way to press Ctrl-C. */
  onStderr?: (text: string, interrupt: () => void) => void;
}

/** Runs the command with captured stdout and stderr against `app` (or `url`). */
async function run(argv: string[], options: RunOptions = {}): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const handlers = new Set<() => void>();
  const interrupt = () => setImmediate(() => handlers.forEach((handler) => handler()));
  const io: WorkflowCliIO = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: {
      write: (text: string) => {
        err.push(text);
        options.onStderr?.(err.join(""), interrupt);
      },
      isTTY: options.tty ?? false, columns: 160, rows: 40,
    },
    env: options.env ?? { SHIMMY_URL: options.url ?? app.base },
    onInterrupt: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
  const code = await workflowCommand(argv, io);
  expect(handlers.size, "the Ctrl-C handler is removed once the command is done").toBe(0);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("shimmy workflow: the command line", () => {
  it("prints its help, and each command's, on stdout", async () => {
    expect(await run([])).toEqual({ code: 0, stdout: workflowUsage(), stderr: "" });
    const help = await run(["run", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(workflowSubcommandUsage("run"));
    expect(help.stdout).toContain("Usage: shimmy workflow run FILE|NAME[@VERSION] [key=value | key:=JSON ...] [options]");
    expect(help.stdout).toContain("Ctrl-C cancels the run on the server");
    expect(help.stdout).toContain("--detach");
    expect((await run(["runs", "-h"])).stdout).toContain("--status STATUS");
  });

  it.each([
    [["frob"], 'unknown command "frob"'],
    [["run"], "expects a workflow FILE or NAME"],
    [["show"], "expects one RUN_ID"],
    [["list", "extra"], 'expects no arguments, got "extra"'],
    [["list", "--detach"], "Unknown option '--detach'"],
    [["runs", "--input", "{}"], "Unknown option '--input'"],
    [["runs", "--limit", "0"], "--limit must be a whole number from 1 to 100"],
    [["run", "digest", "--input", "{nope"], "--input must be JSON"],
    [["run", "digest", "--input", "{}", "a=1"], "not both"],
    [["run", "digest", "topic"], 'expected key=value or key:=JSON, got "topic"'],
    [["run", "digest", "n:=seven"], "n:= takes JSON"],
    [["list", "--url", "localhost:1"], '--url must be an http:// or https:// URL, got "localhost:1"'],
  ])("exits 2 on %j", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
  });
});

describe("shimmy workflow run", () => {
  it("runs a document file, one line per event off a terminal, the step table at the end, and the output on stdout", async () => {
    const result = await run(["run", file("digest.json", DIGEST), "topic=cats", "count:=2"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ topic: "CATS", answer: "42", stories: ["You said: CATS 1", "You said: CATS 2"] });
    const lines = result.stderr.split("\n");
    expect(lines[0]).toMatch(/^run wfrun_\w+ started$/);
    expect(lines).toContain("shout started");
    expect(lines.some((line) => /^each succeeded in \d+ms, 2 items$/.test(line))).toBe(true);
    const table = lines.slice(lines.findIndex((line) => line.startsWith("STEP")));
    expect(table[0]).toMatch(/^STEP +USES +STATUS +ATTEMPTS +TIME +TOKENS +RESULT$/);
    expect(table[1]).toMatch(/^shout +step +succeeded +1 +\d+ms +- +\{"text":"CATS"\}$/);
    expect(table[2]).toMatch(/^calc +tool +succeeded +1 +\d+ms +- +\{"result":"42"\}$/);
    expect(table[3]).toMatch(/^each +llm +succeeded +2 +\d+ms +\d+\/\d+ +\["You said: CATS 1","You said: CATS 2"\]$/);
    expect(table[4]).toMatch(/^run wfrun_\w+ succeeded in \d+ms$/);
  });

  it("redraws the step table in place on a terminal", async () => {
    const result = await run(["run", file("digest.json", DIGEST), "--input", '{"topic": "owls", "count": 1}'], { tty: true });
    expect(result.code, result.stderr).toBe(0);
    // Each frame after the first moves up over the last one and erases it.
    expect(result.stderr.startsWith("\r\x1b[J")).toBe(true);
    expect(result.stderr).toMatch(/\x1b\[\d+A\r\x1b\[J/);
    const last = result.stderr.slice(result.stderr.lastIndexOf("\x1b[J") + 3).split("\n");
    expect(last.slice(1, 4).map((line) => line.split(/ +/).slice(0, 3))).toEqual([["shout", "step", "succeeded"], ["calc", "tool", "succeeded"], ["each", "llm", "succeeded"]]);
    expect(JSON.parse(result.stdout).topic).toBe("OWLS");
  });

  it("saves a workflow, lists it, and runs it by name and version with --json", async () => {
    const added = await run(["add", file("digest.json", DIGEST)]);
    expect(added).toEqual({ code: 0, stdout: "Saved digest version 1 (run it with: shimmy workflow run digest)\n", stderr: "" });
    const list = await run(["list"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^NAME +LATEST +VERSIONS +SAVED +DESCRIPTION$/);
    expect(list.stdout.split("\n")[1]).toMatch(/^digest +1 +1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC +Shouts a topic/);
    const ran = await run(["run", "digest@1", "--json", "topic=bats", "count:=1"]);
    expect(ran.code, ran.stderr).toBe(0);
    const view = JSON.parse(ran.stdout);
    expect(view).toMatchObject({ object: "workflow.run", workflow: { name: "digest", version: 1 }, status: "succeeded", input: { topic: "bats", count: 1 }, output: { topic: "BATS" } });
    expect(view.steps.map((step: { id: string }) => step.id)).toEqual(["shout", "calc", "each"]);
    const runs = await run(["runs", "--workflow", "digest"]);
    expect(runs.stdout.split("\n")[1]).toMatch(new RegExp(`^${view.id} +digest@1 +succeeded `));
    const show = await run(["show", view.id]);
    expect(show.stdout).toMatch(new RegExp(`^Run ${view.id} of digest@1: succeeded in \\d+ms\\nCreated .+ UTC, tokens \\d+ prompt, \\d+ completion\\n\\nSTEP`));
    expect(show.stdout).toContain('\nOutput:\n{\n  "topic": "BATS",');
  });

  it("fails with the failing step named, after its retries", async () => {
    const doc = { name: "boom", steps: [{ id: "trap", uses: "tool", retry: { limit: 1, backoff: 5 }, with: { name: "trap" } }] };
    const result = await run(["run", file("boom.json", doc)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("trap attempt 1 failed (tool_failed: bomb trap: the plugin trapped (unreachable)); retrying in 5ms\n");
    expect(result.stderr).toContain("trap failed after 2 attempts: tool_failed: bomb trap");
    expect(result.stderr).toMatch(/\ntrap +tool +failed +2 +\d+ms +- +tool_failed: bomb trap/);
    expect(result.stderr).toMatch(/\nshimmy: run wfrun_\w+ failed at step trap: tool_failed: bomb trap: the plugin trapped \(unreachable\)\n$/);
  });

  it("explains a document the server refuses, and a file or name that is not there, drawing nothing", async () => {
    const bad = await run(["run", file("bad.json", { name: "bad", steps: [{ id: "a", uses: "tool", with: { name: "${{ steps.b.output }}" } }] })]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('shimmy: workflow.steps.0.with.name: the expression reads steps.b, but no step has the id "b"\n');
    const notJson = await run(["add", file("broken.json", "{")]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^shimmy workflow add: .*broken\.json is not JSON/);
    const missing = await run(["run", path.join(dir, "missing.json")]);
    expect(missing).toMatchObject({ code: 1, stderr: `shimmy workflow run: cannot read ${path.join(dir, "missing.json")}: there is no such file\n` });
    const unknown = await run(["run", "nothing-saved"]);
    expect(unknown).toEqual({ code: 1, stdout: "", stderr: "shimmy: No saved workflow is named 'nothing-saved'; GET /api/workflows lists them.\n" });
  });

  it("detaches with --detach; show follows the run, cancel stops it, a second cancel is refused", async () => {
    const doc = { name: "slow", steps: [{ id: "story", uses: "llm", with: { model: "fake-chat", messages: [{ role: "user", content: "a b c d e f g h i j k l m n o p" }] } }] };
    const started = await run(["run", file("slow.json", doc), "--detach"], { url: slowApp.base });
    expect(started.code).toBe(0);
    const id = /^Started run (wfrun_\w+) \(follow it with: shimmy workflow show \1\)\n$/.exec(started.stdout)?.[1];
    expect(id).toBeDefined();
    const shown = await run(["show", id!, "--json"], { url: slowApp.base });
    expect(["pending", "running"]).toContain(JSON.parse(shown.stdout).status);
    expect(await run(["cancel", id!], { url: slowApp.base })).toEqual({ code: 0, stdout: `Cancelled run ${id}\n`, stderr: "" });
    const after = await run(["show", id!], { url: slowApp.base });
    expect(after.stdout).toMatch(/\nstory +llm +cancelled /);
    expect(after.stdout).toContain(`\nRun ${id} was cancelled\n`);
    const again = await run(["cancel", id!], { url: slowApp.base });
    expect(again.code).toBe(0);
    const finished = await run(["run", file("digest.json", DIGEST), "--json", "topic=x", "count:=1"]);
    const refused = await run(["cancel", JSON.parse(finished.stdout).id]);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/^shimmy: Run wfrun_\w+ has already finished: it succeeded\.\n$/) });
    expect((await run(["runs", "--status", "bogus"])).stderr).toBe("shimmy: status must be one of pending, running, succeeded, failed, cancelled\n");
  });

  it("cancels the run on the server at Ctrl-C, waits for its end, and exits 130", async () => {
    const doc = { name: "story", steps: [{ id: "story", uses: "llm", with: { model: "fake-chat", messages: [{ role: "user", content: "a b c d e f g h i j k l m n o p" }] } }, { id: "after", uses: "tool", needs: ["story"], with: { name: "calculate", arguments: { expression: "1+1" } } }] };
    let pressed = false;
    const result = await run(["run", file("story.json", doc)], {
      url: slowApp.base,
      onStderr: (text, interrupt) => {
        if (!pressed && text.includes("story started")) {
          pressed = true;
          interrupt();
        }
      },
    });
    expect(result.code).toBe(130);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("Cancelling the run (Ctrl-C again to stop waiting)…\n");
    expect(result.stderr).toMatch(/\nstory +llm +cancelled +1 /);
    expect(result.stderr).toMatch(/\nafter +tool +pending /);
    const id = /run (wfrun_\w+) started/.exec(result.stderr)![1]!;
    expect((await slowApp.request("GET", `/api/workflow-runs/${id}`)).json().status).toBe("cancelled");
  });

  it("stops waiting at a second Ctrl-C, the run asked to cancel", async () => {
    const doc = { name: "story", steps: [{ id: "story", uses: "llm", with: { model: "fake-chat", messages: [{ role: "user", content: "a b c d e f g h i j k l m n o p" }] } }] };
    let presses = 0;
    const result = await run(["run", file("story.json", doc)], {
      url: slowApp.base,
      onStderr: (text, interrupt) => {
        if (presses === 0 && text.includes("story started")) {
          presses = 2;
          interrupt();
          interrupt();
        }
      },
    });
    expect(result.code).toBe(130);
    const id = /run (wfrun_\w+) started/.exec(result.stderr)![1]!;
    expect(result.stderr).toContain(`shimmy: stopped waiting for run ${id}, which was asked to cancel (shimmy workflow show ${id})\n`);
    expect((await slowApp.request("GET", `/api/workflow-runs/${id}`)).json().status).toBe("cancelled");
  });
});

describe("shimmy workflow: the server", () => {
  it("hints at the key, and says how to start a server when none runs", async () => {
    const noKey = await run(["list"], { env: { SHIMMY_URL: keyApp.base } });
    expect(noKey).toMatchObject({ code: 1, stderr: expect.stringMatching(/\(pass --api-key KEY or set SHIMMY_API_KEY\)\n$/) });
    expect((await run(["list", "--api-key", "k"], { env: { SHIMMY_URL: keyApp.base } })).stdout).toBe("No saved workflows.\n");
    const url = await closedPortUrl();
    const none = await run(["run", file("digest.json", DIGEST), "topic=x"], { url });
    expect(none).toEqual({ code: 1, stdout: "", stderr: `shimmy: no Shimmy server is running at ${url}. Start one with "npx shimmy serve", or point --url (or SHIMMY_URL) at a running one.\n` });
  });
});
