/**
 * Run as a short child process at startup: starts llama.cpp's prebuilt binary for `--gpu` and
 * prints which backend it got, or that none works here (`NoBinaryFoundError`). The server no longer
 * loads llama.cpp itself (runners do), but a setting the machine cannot run must still stop
 * `serve` with one line, not fail every first request. Usage: node binary-check.js GPU THREADS
 */
import { getLlama, LlamaLogLevel, NoBinaryFoundError } from "node-llama-cpp";

/** What the check prints, as one JSON line. */
export type BinaryCheck = { ok: true; gpu: string } | { ok: false; noBinary: boolean; message: string };

const [gpu = "off", threads = "1"] = process.argv.slice(2);
let answer: BinaryCheck;
try {
  const llama = await getLlama({ build: "never", gpu: gpu === "off" ? false : (gpu as "auto"), maxThreads: Number(threads), logLevel: LlamaLogLevel.error });
  answer = { ok: true, gpu: llama.gpu || "cpu" };
} catch (err) {
  answer = { ok: false, noBinary: err instanceof NoBinaryFoundError, message: (err as Error).message };
}
process.stdout.write(JSON.stringify(answer) + "\n", () => process.exit(0));
