/**
 * Probe-loads a model file in a child process the first time it is used, and remembers the verdict
 * by path, size and mtime in `$SHIMMY_HOME/probe-verdicts.json`. A file that passed the header
 * check can still abort the process while its tensors load (llama.cpp asserts); this way one bad
 * file never takes the server down, and a good one is probed once, not on every start.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { GpuSetting } from "../config/index.js";

/** The outcome of a probe. */
export type ProbeVerdict = { ok: true } | { ok: false; reason: string };

interface StoredVerdict {
  size: number;
  mtimeMs: number;
  verdict: ProbeVerdict;
}

const PROBE_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "probe-load.js");
/** A probe that takes longer is stopped and counted as a failure. */
const PROBE_TIMEOUT_MS = 10 * 60_000;

/** Probes model files and remembers the verdicts. */
export class ModelProber {
  private verdicts: Record<string, StoredVerdict>;
  private readonly running = new Map<string, Promise<ProbeVerdict>>();

  /** @param file where verdicts are kept; null keeps them in memory only. */
  constructor(
    private readonly file: string | null,
    private readonly gpu: GpuSetting,
  ) {
    this.verdicts = file ? readVerdicts(file) : {};
  }

  /** The verdict for a file: remembered when its size and mtime are unchanged, else probed now. */
  async verdict(modelPath: string): Promise<ProbeVerdict> {
    const stat = await fs.promises.stat(modelPath);
    const known = this.verdicts[modelPath];
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.verdict;
    let running = this.running.get(modelPath);
    if (!running) {
      running = probe(modelPath, this.gpu).finally(() => this.running.delete(modelPath));
      this.running.set(modelPath, running);
    }
    const verdict = await running;
    this.verdicts[modelPath] = { size: stat.size, mtimeMs: stat.mtimeMs, verdict };
    if (this.file) writeVerdicts(this.file, this.verdicts);
    return verdict;
  }
}

function probe(modelPath: string, gpu: GpuSetting): Promise<ProbeVerdict> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PROBE_SCRIPT, modelPath, gpu],
      // One pool thread, as the server runs llama.cpp (see bin/shimmy.cjs).
      { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024, env: { ...process.env, UV_THREADPOOL_SIZE: "1" } },
      (error, stdout, stderr) => {
        const line = stdout.trim().split("\n").at(-1) ?? "";
        // llama.cpp says why on stderr ("error loading model: …"); node-llama-cpp's message does not.
        const why = stderr.split("\n").find((l) => l.includes("error loading model"))?.replace(/^.*error loading model:\s*/, "");
        try {
          const reported = JSON.parse(line) as ProbeVerdict;
          if (reported.ok) return resolve(reported);
          if ("reason" in reported) return resolve({ ok: false, reason: why ? `${reported.reason}: ${why.trim().slice(0, 300)}` : reported.reason });
        } catch {
          // no verdict line: the process died before it could write one
        }
        const signal = (error as { signal?: string } | null)?.signal;
        const lastLog = stderr.trim().split("\n").filter(Boolean).slice(-2).join(" ").slice(0, 300);
        resolve({
          ok: false,
          reason: `llama.cpp aborted while loading it${signal ? ` (${signal})` : ""}${lastLog ? `: ${lastLog}` : ""}`,
        });
      },
    );
  });
}

function readVerdicts(file: string): Record<string, StoredVerdict> {
  try {
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    return data !== null && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, StoredVerdict>) : {};
  } catch {
    return {};
  }
}

/** Written to a temporary file, then renamed: a crash never leaves half a file. */
function writeVerdicts(file: string, verdicts: Record<string, StoredVerdict>): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(verdicts, null, 2));
    fs.renameSync(temporary, file);
  } catch {
    // Remembering is an optimisation; a read-only home only means probing again next start.
  }
}
