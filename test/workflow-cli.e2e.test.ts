/**
 * `shimmy workflow` as a user runs it: the compiled CLI in its own process against a real server on
 * the demo model (stories260K) with the real calculator and text plugins. It saves the five-step
 * workflow of docs/guides/workflows.md (an LLM step with a JSON schema, a tool, a plugin step, a
 * foreach over its result, a final LLM step) as the guide writes it, runs it by name with key=value
 * input, reads the run back with `show` and `runs`, and stops a long run with Ctrl-C (SIGINT),
 * which cancels it on the server.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { waitForPlugins } from "./helpers/plugins-api.js";
import { runShimmy } from "./helpers/shimmy-cli.js";
import { BIN, ROOT, homeEnv, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const DEMO = path.join(ROOT, "models/stories260K.gguf");
let work: string;
let home: string;
let shimmy: ShimmyProcess;

const say = (content: string, maxTokens: number) => ({ model: "stories260K", messages: [{ role: "user", content }], max_tokens: maxTokens, seed: 7 });

/** The example of docs/guides/workflows.md, as the guide writes it. */
function guideExample(): { name: string; steps: { id: string }[] } {
  const guide = fs.readFileSync(path.join(ROOT, "docs/guides/workflows.md"), "utf8");
  const block = /<!-- workflow-example: digest\.json -->\n```json\n([\s\S]*?)\n```/.exec(guide);
  if (!block) throw new Error("docs/guides/workflows.md has no block marked workflow-example: digest.json");
  return JSON.parse(block[1]!) as { name: string; steps: { id: string }[] };
}

/** The CLI's environment: the server's URL, and homes of its own. */
const env = () => homeEnv(home, { SHIMMY_URL: shimmy.url }) as Record<string, string>;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-workflow-cli-"));
  home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  shimmy = await startShimmy({ args: ["--model", DEMO, "--no-discovery", "--parallel", "2"], home });
  for (const name of ["calculator", "text"]) {
    const run = await pluginCli(home, ["install", packedPlugin(inject("firstPartyPlugins"), name).tgz, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
  }
  await waitForPlugins(shimmy.url, (plugins) => plugins.filter((p) => p.status === "ready").length === 2);
  fs.writeFileSync(path.join(work, "digest.json"), JSON.stringify(guideExample()));
}, 180_000);

afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("shimmy workflow on a real server", () => {
  it("saves the guide's five-step workflow, runs it by name with key=value input, and reads the run back", async () => {
    const added = await runShimmy(["workflow", "add", path.join(work, "digest.json")], { env: env() });
    expect(added, added.stderr).toMatchObject({ code: 0, stdout: "Saved digest version 1 (run it with: shimmy workflow run digest)\n" });

    const notes = "The cat sat on the mat. The dog ran to the park. The fox hid.";
    const ran = await runShimmy(["workflow", "run", "digest", `notes=${notes}`], { env: env(), timeoutMs: 120_000 });
    expect(ran.code, ran.stderr).toBe(0);
    const output = JSON.parse(ran.stdout);
    expect(["happy", "sad"]).toContain(output.mood);
    expect(Number(output.words)).toBeCloseTo(notes.length / 5);
    expect(output.stories).toHaveLength(3);
    expect(typeof output.summary).toBe("string");
    // Off a terminal: a line per step event, then one line per step with status, attempts, time, tokens, result.
    const id = /^run (wfrun_\w+) started$/m.exec(ran.stderr)?.[1];
    expect(id, ran.stderr).toBeDefined();
    expect(ran.stderr).toMatch(/^stories succeeded in [\d.]+m?s, 3 items$/m);
    expect(ran.stderr).toMatch(/^mood +llm +succeeded +1 +[\d.]+m?s +\d+\/\d+ +\{"mood":"(happy|sad)"\}$/m);
    expect(ran.stderr).toMatch(/^length +tool +succeeded +1 +[\d.]+m?s +- +\{"result":"[\d.]+"\}$/m);
    expect(ran.stderr).toMatch(/^sentences +step +succeeded +1 .*\{"pieces":\["The cat sat on the mat\.","The dog ran to the park\.","The fo/m);
    expect(ran.stderr).toMatch(/^stories +llm +succeeded +3 /m);
    expect(ran.stderr).toMatch(/^summary +llm +succeeded +1 /m);
    expect(ran.stderr).toMatch(new RegExp(`^run ${id} succeeded in [\\d.]+m?s$`, "m"));

    const shown = await runShimmy(["workflow", "show", id!, "--json"], { env: env() });
    const run = JSON.parse(shown.stdout);
    expect(run).toMatchObject({ id, status: "succeeded", workflow: { name: "digest", version: 1 }, input: { notes }, output });
    expect(run.steps.map((s: { id: string; attempts: number }) => [s.id, s.attempts])).toEqual([["mood", 1], ["length", 1], ["sentences", 1], ["stories", 3], ["summary", 1]]);
    const runs = await runShimmy(["workflow", "runs", "--workflow", "digest"], { env: env() });
    expect(runs.stdout.split("\n")[1]).toMatch(new RegExp(`^${id} +digest@1 +succeeded `));
  }, 180_000);

  it("cancels the run on the server when Ctrl-C stops `workflow run`, and exits 130", async () => {
    const long = {
      name: "long",
      steps: [
        { id: "calc", uses: "tool", with: { name: "calculate", arguments: { expression: "6*7" } } },
        { id: "stories", uses: "llm", foreach: "${{ [1..200] }}", concurrency: 1, with: say("Story ${{ item }} about ${{ steps.calc.output.result }} cats", 200) },
      ],
    };
    fs.writeFileSync(path.join(work, "long.json"), JSON.stringify(long));
    const child = spawn(process.execPath, [BIN, "workflow", "run", path.join(work, "long.json")], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    try {
      await new Promise<void>((resolve) => {
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          // The foreach has begun once the step it reads has finished.
          if (stderr.includes("calc succeeded")) resolve();
        });
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill("SIGINT");
      expect(await exited, stderr).toBe(130);
    } finally {
      clearTimeout(killer);
      child.kill("SIGKILL");
    }
    expect(stderr).toContain("Cancelling the run (Ctrl-C again to stop waiting)…");
    const id = /^run (wfrun_\w+) started$/m.exec(stderr)![1]!;
    expect(stderr).toMatch(new RegExp(`^run ${id} cancelled in [\\d.]+m?s$`, "m"));
    const run = (await (await fetch(`${shimmy.url}/api/workflow-runs/${id}`)).json()) as { status: string; steps: { id: string; status: string }[] };
    expect(run.status).toBe("cancelled");
    expect(run.steps[1]!.status).toBe("cancelled");
  }, 180_000);
});
