/**
 * Starts the startup check of llama.cpp's binary (binary-check.ts, a short child process) once per
 * `--gpu` setting and shares its answer: `checkGpuSetting` starts it first thing in `serve`, so it
 * runs while the server checks files, binds its port and discovers models, and
 * `LlamaEngine.create` only waits for what is left of it.
 */
import { execFile } from "node:child_process";
import type { GpuSetting } from "../../config/index.js";
import type { BinaryCheck } from "./binary-check.js";
import { childScript } from "./runner-model.js";

const started = new Map<GpuSetting, Promise<BinaryCheck>>();

/** The answer of the binary check for `gpu`, started now unless it already was. */
export function llamaBinaryCheck(gpu: GpuSetting): Promise<BinaryCheck> {
  let check = started.get(gpu);
  if (!check) {
    check = runCheck(gpu);
    started.set(gpu, check);
  }
  return check;
}

function runCheck(gpu: GpuSetting): Promise<BinaryCheck> {
  const { script, execArgv } = childScript("binary-check");
  return new Promise((resolve) => {
    // One pool thread and one llama.cpp thread: it only starts the binary.
    const child = execFile(process.execPath, [...execArgv, script, gpu, "1"], { maxBuffer: 1024 * 1024, env: { ...process.env, UV_THREADPOOL_SIZE: "1" } }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as BinaryCheck);
      } catch {
        resolve({ ok: false, noBinary: false, message: `${error?.message ?? "no answer"} ${stderr.trim().split("\n").slice(-2).join(" ")}`.trim() });
      }
    });
    // A server that stops at an earlier startup error exits without waiting for the check.
    for (const handle of [child, child.stdout, child.stderr]) (handle as { unref?: () => void } | null)?.unref?.();
  });
}
