/**
 * One pooled plugin instance as the main thread sees it: a `worker_threads` Worker running
 * plugin-worker.js (Extism in foreground mode, the kernel capped there), its heap bounded by
 * `resourceLimits`, and this thread's end of the host-function bridge, which runs the checked I/O
 * (host-functions.ts) and hands each answer back while the worker waits on `Atomics.wait`.
 *
 * Instantiating the plugin (its wasm start function, then `hs_init`) runs under its own deadline,
 * {@link PLUGIN_START_TIMEOUT_MS} unless given: past it the worker is terminated, since nothing else
 * could stop a start function that spins. A call is one message each way. `dispose()` terminates the worker at once, even mid-call or while
 * it waits for a host function, and aborts that host function's I/O. A worker that dies by itself
 * (its heap past `resourceLimits`, a crash) fails its call, and the pool replaces it.
 */
import { MessageChannel, Worker, type ResourceLimits } from "node:worker_threads";
import { HOST_LIMITS } from "@shimmy/plugin-sdk";
import { testPluginStartMs } from "../config/environment.js";
import { answerExtismHttp, answerHostFunction, type HostFunctionGrants } from "./host-functions.js";
import type { PoolInstance } from "./instance-pool.js";
import type { CompiledModule, ShimmyFunctionName } from "./module-check.js";
import { PluginCallError } from "./plugin-call-error.js";
import { FLAG_ANSWERED, type BridgeAnswer, type BridgeRequest, type CallMessage, type WorkerCaps, type WorkerMessage, type WorkerSpec } from "./worker-protocol.js";

/**
 * The worker's entry, compiled with the rest of core. The same relative path is right from
 * core/src/plugins (tests run the sources) and from core/dist/plugins: build core before testing.
 */
export const PLUGIN_WORKER_URL = new URL("../../dist/plugins/plugin-worker.js", import.meta.url);

/** The worker's V8 heap: ample for the SDK and one plugin's bookkeeping; ArrayBuffers are capped apart (WorkerCaps). */
export const WORKER_RESOURCE_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };

/**
 * How long instantiating a plugin may take: its wasm start function (AssemblyScript's top-level
 * code), then `hs_init`, which Extism calls. Either can loop forever, and nothing else bounds them.
 * The test hook `SHIMMY_TEST_PLUGIN_START_MS` shortens it, for the tests of plugins that hang.
 */
export const PLUGIN_START_TIMEOUT_MS = testPluginStartMs(process.env) ?? HOST_LIMITS.startTimeoutMs;

/**
 * How long the worker itself may take to boot (Node, then the Extism SDK) before the plugin's code
 * runs. No plugin code runs in it, so it is generous: it only guards against a stuck machine.
 */
const WORKER_BOOT_TIMEOUT_MS = 30_000;

/** Options of {@link WorkerInstance.start}. */
export interface WorkerStartOptions {
  /**
   * Longest instantiation (start function and `hs_init`); past it the worker is terminated and the
   * start fails with `start_failed`. @default PLUGIN_START_TIMEOUT_MS
   */
  timeoutMs?: number;
  /** Abandons the start: the worker is terminated and the start fails with `closed`. */
  signal?: AbortSignal;
}

/** Where a plugin's log lines go. */
export type PluginLog = (level: "info" | "warn" | "debug" | "error", message: string) => void;

/** Everything one instance is made from; shared by all instances of a plugin. */
export interface WorkerInstanceSpec {
  module: CompiledModule;
  config: Record<string, Uint8Array>;
  caps: WorkerCaps;
  shimmyFunctions: ShimmyFunctionName[];
  extismHttp: boolean;
  grants: HostFunctionGrants;
  log: PluginLog;
  resourceLimits?: ResourceLimits;
}

interface Pending {
  id: number;
  resolve: (output: Uint8Array | null) => void;
  reject: (error: unknown) => void;
}

function describeExit(error: unknown, code: number | null, limits: ResourceLimits): PluginCallError {
  if ((error as { code?: string } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY") {
    return new PluginCallError(
      "memory_limit",
      `memory limit: the plugin instance's worker ran out of heap (its cap is ${limits.maxOldGenerationSizeMb} MiB old + ${limits.maxYoungGenerationSizeMb} MiB young generation)`,
    );
  }
  const why = error ? `: ${(error as Error)?.message ?? String(error)}` : code !== null ? ` (exit code ${code})` : "";
  if ((error as { code?: string } | null)?.code === "ERR_MODULE_NOT_FOUND") {
    return new PluginCallError("plugin_error", `the plugin instance's worker could not start${why} (${PLUGIN_WORKER_URL.pathname} is compiled with core: npm run build)`);
  }
  return new PluginCallError("plugin_error", `the plugin instance's worker stopped${why}`);
}

function abandoned(): PluginCallError {
  return new PluginCallError("closed", "the plugin instance's start was abandoned (its host was closed)");
}

/** A plugin instance in its own worker. */
export class WorkerInstance implements PoolInstance {
  private readonly worker: Worker;
  private readonly alive = new AbortController();
  private readonly bridge: MessageChannel;
  private readonly flag: Int32Array;
  private readonly spec: WorkerInstanceSpec;
  private readonly limits: ResourceLimits;
  private pending: Pending | null = null;
  private nextId = 0;
  private exited: PluginCallError | null = null;

  private constructor(worker: Worker, bridge: MessageChannel, flag: Int32Array, spec: WorkerInstanceSpec, limits: ResourceLimits) {
    this.worker = worker;
    this.bridge = bridge;
    this.flag = flag;
    this.spec = spec;
    this.limits = limits;
  }

  /**
   * Starts the worker and instantiates the plugin in it, under a deadline.
   *
   * @throws {PluginCallError} `start_failed` when the plugin trapped or ran past the deadline while
   *   instantiating (the worker is terminated), `closed` when `signal` abandoned the start, or the
   *   worker's own error (`memory_limit`, `plugin_error`).
   */
  static async start(spec: WorkerInstanceSpec, options: WorkerStartOptions = {}): Promise<WorkerInstance> {
    const timeoutMs = options.timeoutMs ?? PLUGIN_START_TIMEOUT_MS;
    const signal = options.signal;
    if (signal?.aborted) throw abandoned();
    const bridge = new MessageChannel();
    const flagBuffer = new SharedArrayBuffer(4);
    const limits = spec.resourceLimits ?? WORKER_RESOURCE_LIMITS;
    const workerData: WorkerSpec = {
      module: spec.module,
      config: spec.config,
      caps: spec.caps,
      shimmyFunctions: spec.shimmyFunctions,
      extismHttp: spec.extismHttp,
      flag: flagBuffer,
      bridge: bridge.port2,
    };
    // execArgv: none of this process's flags or loaders (a test runner's, tsx's) reach the worker.
    const worker = new Worker(PLUGIN_WORKER_URL, { workerData, transferList: [bridge.port2], resourceLimits: limits, execArgv: [] });
    const instance = new WorkerInstance(worker, bridge, new Int32Array(flagBuffer), spec, limits);
    // A start function may call host functions: answer them now, or it would wait forever.
    bridge.port1.on("message", (request: BridgeRequest) => void instance.onBridge(request));
    try {
      await new Promise<void>((resolve, reject) => {
        let timer = setTimeout(() => done(new PluginCallError("start_failed", `the plugin instance's worker did not boot within ${WORKER_BOOT_TIMEOUT_MS} ms`)), WORKER_BOOT_TIMEOUT_MS);
        const onMessage = (message: WorkerMessage) => {
          if (message.type === "instantiating") {
            // The plugin's own code runs from here on: its deadline starts now.
            clearTimeout(timer);
            timer = setTimeout(
              () => done(new PluginCallError("start_failed", `the plugin did not finish instantiating within ${timeoutMs} ms (its start function or hs_init runs too long); its worker was stopped`)),
              timeoutMs,
            );
          } else if (message.type === "ready") done(null);
          else if (message.type === "start_failed") done(new PluginCallError("start_failed", `could not instantiate the plugin: ${message.message}`));
          else if (message.type === "log") spec.log(message.level, message.message);
        };
        const onError = (error: unknown) => done(describeExit(error, null, limits));
        const onExit = (code: number) => done(describeExit(null, code, limits));
        const onAbort = () => done(abandoned());
        const done = (error: Error | null) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          worker.off("message", onMessage).off("error", onError).off("exit", onExit);
          if (error) reject(error);
          else resolve();
        };
        worker.on("message", onMessage).on("error", onError).on("exit", onExit);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    } catch (error) {
      await instance.dispose();
      throw error;
    }
    instance.listen();
    return instance;
  }

  private listen(): void {
    this.worker.on("message", (message: WorkerMessage) => this.onMessage(message));
    this.worker.on("error", (error) => this.onExit(error, null));
    this.worker.on("exit", (code) => this.onExit(null, code));
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === "log") {
      this.spec.log(message.level, message.message);
      return;
    }
    if (message.type !== "result") return;
    const pending = this.pending;
    if (!pending || pending.id !== message.id) return;
    this.pending = null;
    if (message.ok) pending.resolve(message.output);
    else pending.reject(new PluginCallError(message.code, message.message));
  }

  private onExit(error: unknown, code: number | null): void {
    if (this.exited) return;
    this.exited = describeExit(error, code, this.limits);
    this.alive.abort(this.exited);
    this.bridge.port1.close();
    const pending = this.pending;
    this.pending = null;
    pending?.reject(this.exited);
  }

  /** Runs the host function the worker is waiting on, then wakes it with the answer. */
  private async onBridge(request: BridgeRequest): Promise<void> {
    const alive = this.alive.signal;
    const grants = this.spec.grants;
    let answer: BridgeAnswer;
    try {
      if (request.fn === "http_request") {
        if (!this.spec.extismHttp) throw new PluginCallError("permission_denied", "http_request: the manifest declares no permissions.net");
        const reply = await answerExtismHttp(request.request, "body" in request ? request.body : null, grants, alive);
        answer = { id: request.id, answer: reply.body, status: reply.status };
      } else {
        const name = request.fn as ShimmyFunctionName;
        if (!this.spec.shimmyFunctions.includes(name)) throw new PluginCallError("permission_denied", `${name}: not a host function this plugin may call`);
        answer = { id: request.id, answer: await answerHostFunction(name, request.request, grants, alive) };
      }
    } catch (error) {
      if (alive.aborted) return; // the worker is gone or going: nobody waits for this answer
      const failure = error instanceof PluginCallError ? error : new PluginCallError("io_error", String((error as Error)?.message ?? error));
      answer = { id: request.id, answer: new TextEncoder().encode(JSON.stringify(failure.toJSON())), status: 403 };
    }
    if (alive.aborted) return;
    const bytes = answer.answer;
    // Transfer when the bytes own their buffer; a Buffer from Node's pool is copied instead.
    const own = !Buffer.isBuffer(bytes) && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const sent = own ? bytes : new Uint8Array(bytes); // a copy (Buffer#slice would be a view of Node's pool)
    this.bridge.port1.postMessage({ ...answer, answer: sent }, [sent.buffer as ArrayBuffer]);
    Atomics.store(this.flag, 0, FLAG_ANSWERED);
    Atomics.notify(this.flag, 0);
  }

  /** Runs one export in the worker; one call at a time. */
  call(exportName: string, input: Uint8Array): Promise<Uint8Array | null> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.pending) return Promise.reject(new PluginCallError("plugin_error", "the plugin instance is already running a call"));
    const id = ++this.nextId;
    // The worker takes this buffer over, whole (the SDK makes the input block of `input.buffer`).
    const copy = new Uint8Array(input);
    return new Promise<Uint8Array | null>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      const message: CallMessage = { type: "call", id, exportName, input: copy };
      this.worker.postMessage(message, [copy.buffer as ArrayBuffer]);
    });
  }

  /** Terminates the worker at once, even mid-call; the call in flight fails with `closed`. */
  async dispose(): Promise<void> {
    const reason = new PluginCallError("closed", "the plugin instance was closed");
    if (!this.alive.signal.aborted) this.alive.abort(reason);
    this.exited ??= reason;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(reason);
    this.bridge.port1.close();
    // Started, not awaited (as the SDK's own close): the thread stops within milliseconds, and a
    // host's dispose() settles its callers' promises without waiting for a thread to wind down.
    this.worker.terminate().catch(() => {});
  }
}
