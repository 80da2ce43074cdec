/**
 * Whether a plugin's module comes up: it is instantiated once in a worker thread, which runs its
 * wasm start function (AssemblyScript's top-level code), then the `hs_init` and `_initialize`
 * exports Extism calls; a module still running at the deadline is refused and the worker
 * terminated. The registry runs this at publish, so a package it serves never hangs the servers
 * that install it. Every import is a stub of its declared signature that does nothing: the module
 * meets no host, so a start function that reads input or config sees zeros. Only a start that does
 * not return is refused here: a trap against the stubs says nothing of how it runs in the real host,
 * which checks it again at install with the plugin's settings.
 */
import { Worker } from "node:worker_threads";
import { HOST_LIMITS } from "./host-limits.js";
import { ModuleCheckError } from "./module-check-error.js";
import { readImportSignatures, type ImportSignature } from "./wasm-sections.js";

/** Options of {@link checkModuleStarts}. */
export interface StartCheckOptions {
  /** The start deadline. @default HOST_LIMITS.startTimeoutMs */
  timeoutMs?: number;
}

/** What the worker is given. */
interface StartJob {
  wasm: Uint8Array;
  imports: ImportSignature[];
}

/**
 * The worker's whole program, as source text (a worker cannot load TypeScript, and a compiled
 * function's text may carry a bundler's helpers): a stub for every import, returning the zero of its
 * result type; instantiate, which runs the start function; then the init exports Extism calls.
 * A trap against the stubs, or an invalid module (the module check reports that), still says
 * "started": only a start that does not return concerns this check.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { wasm, imports } = workerData;
const zero = (type) => (type === "i64" ? 0n : type === "ref" ? null : 0);
const importObject = {};
for (const imp of imports) {
  const result = imp.results[0];
  (importObject[imp.module] ??= {})[imp.name] = () => (result === undefined ? undefined : zero(result));
}
WebAssembly.instantiate(wasm, importObject).then(
  ({ instance }) => {
    try {
      for (const name of ["_initialize", "hs_init"]) {
        if (typeof instance.exports[name] === "function") instance.exports[name]();
      }
    } finally {
      parentPort.postMessage("started");
    }
  },
  () => parentPort.postMessage("started"),
);
`;

/**
 * Resolves once `wasm` is instantiated and its init exports returned, in a worker of bounded heap.
 *
 * @throws {ModuleCheckError} `start_failed` when it is still running after the deadline.
 * @example
 * await checkModuleStarts(files.get("plugin.wasm")!, { timeoutMs: 5000 });
 */
export async function checkModuleStarts(wasm: Uint8Array, options: StartCheckOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? HOST_LIMITS.startTimeoutMs;
  const job: StartJob = { wasm, imports: readImportSignatures(wasm) };
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: job,
    // The module's own memory is capped by its declared maximum (checkModule); this caps the JS side.
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8, stackSizeMb: 4 },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ModuleCheckError("start_failed", `the plugin did not finish instantiating within ${timeoutMs} ms (its start function or hs_init runs too long)`)),
        timeoutMs,
      );
      const settle = () => {
        clearTimeout(timer);
        resolve();
      };
      worker.once("message", settle);
      worker.once("error", settle); // out of heap or the like: not a spinning start
      worker.once("exit", settle);
    });
  } finally {
    await worker.terminate();
  }
}
