/**
 * `shimmy pull MODEL`: downloads a GGUF model from the Hugging Face hub into its cache, where
 * `shimmy serve` finds it. What it downloads, the progress and the outcome go to stderr; the model's
 * path, alone, to stdout (for scripts). Exit codes: 0 pulled, 1 the pull failed, 2 a usage mistake.
 */
import { parseArgs } from "node:util";
import { hubCache, hubSettingsFromEnv, shimmyHome, type ShimmyEnv } from "../config/environment.js";
import { PullError, pullModel, type PullEvent, type PullPlan } from "../models/pull/index.js";
import { pulledRecordPath } from "../models/pull/pulled-record.js";
import { formatBytes, formatDuration } from "./format.js";
import { createProgress, type Progress, type ProgressStream } from "./progress.js";

/** Where `shimmy pull` reads its environment and writes; `process`'s by default, fakes in tests. */
export interface PullIO {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  env: ShimmyEnv;
  cwd: string;
}

/** The text of `shimmy pull --help`. */
export function pullUsage(): string {
  return `Usage: shimmy pull MODEL [options]

Downloads a GGUF model from the Hugging Face hub into its cache (HF_HOME/hub, by default
~/.cache/huggingface/hub), shared with other tools; shimmy serve lists it. An interrupted pull
resumes where it stopped; every file is checked against the sha256 the hub publishes.

MODEL:
  ORG/REPO[:QUANT]        bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M
  hf.co/ORG/REPO:QUANT    Ollama's spelling
  Without QUANT, the first of Q4_K_M, Q4_0, Q8_0 the repository has, else its first GGUF model.

Options:
  -q, --quiet             No progress, only errors and the path.
  -h, --help              Print this help.

Environment:
  HF_TOKEN                Access token for gated models (accept the licence on the model page first).
  HF_ENDPOINT             A mirror of the hub. Default: https://huggingface.co.
  HF_HOME, HF_HUB_CACHE   Where the hub cache is.
`;
}

function processIO(): PullIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** `org/repo:Q4_K_M  1 file, 398 MB  licence apache-2.0`, and the files of a split model. */
function describePlan(plan: PullPlan): string {
  const name = plan.quant ? `${plan.repo}:${plan.quant}` : plan.repo;
  const files = plan.files.length === 1 ? plan.files[0]!.path : `${plan.files.length} parts (${plan.files[0]!.path}, …)`;
  const licence = plan.license ? `licence ${plan.license} (${plan.page})` : `no licence named; see ${plan.page}`;
  const resumed = plan.presentBytes > 0 ? `, ${formatBytes(plan.presentBytes)} already here` : "";
  return `pulling ${name}: ${files}, ${formatBytes(plan.totalBytes)}${resumed}\n  ${licence}\n`;
}

/** `downloading 420 KB / 1.0 MB, 12 MB/s, ETA 3s`. */
function progressLabel(event: Extract<PullEvent, { type: "progress" }>): string {
  const rate = event.bytesPerSecond > 0 ? `, ${formatBytes(event.bytesPerSecond)}/s` : "";
  const eta = event.etaSeconds !== null ? `, ETA ${formatDuration(event.etaSeconds * 1000)}` : "";
  return `downloading ${formatBytes(event.bytes)} / ${formatBytes(event.totalBytes)}${rate}${eta}`;
}

/** Runs `shimmy pull ARGV…` and resolves with the exit code. Unexpected failures are thrown. */
export async function pullCommand(argv: string[], io: PullIO = processIO()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { quiet: { type: "boolean", short: "q" }, help: { type: "boolean", short: "h" } } });
  } catch (err) {
    io.stderr.write(`shimmy pull: ${(err as Error).message}; see shimmy pull --help\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(pullUsage());
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr.write(`shimmy pull: expects one MODEL, such as ORG/REPO:Q4_K_M; see shimmy pull --help\n`);
    return 2;
  }
  const quiet = parsed.values.quiet === true;
  const { endpoint, token } = hubSettingsFromEnv(io.env);
  let progress: Progress | undefined;
  try {
    const result = await pullModel({
      model: parsed.positionals[0]!,
      hubCache: hubCache(io.env, io.cwd),
      endpoint,
      token,
      // What this pull downloads, `shimmy rm` may delete.
      recordFile: pulledRecordPath(shimmyHome(io.env, io.cwd)),
      onEvent: (event) => {
        if (quiet) return;
        if (event.type === "plan") {
          io.stderr.write(describePlan(event.plan));
          progress = createProgress({ label: "downloading", stream: io.stderr });
        } else if (event.type === "progress") {
          progress?.update(event.bytes / Math.max(1, event.totalBytes), progressLabel(event));
        }
      },
    });
    progress?.finish();
    if (!quiet) io.stderr.write(result.alreadyPresent ? "already pulled; sha256 verified before\n" : "sha256 verified\n");
    io.stdout.write(result.paths[0] + "\n");
    return 0;
  } catch (err) {
    progress?.finish();
    if (!(err instanceof PullError)) throw err;
    io.stderr.write(`shimmy pull: ${err.message}\n`);
    return err.code === "invalid_reference" ? 2 : 1;
  }
}
