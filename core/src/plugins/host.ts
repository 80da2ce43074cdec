/**
 * `PluginHost`: one loaded plugin, its tools, workflow steps and embedders callable as JSON in, JSON out, with
 * every limit of the manifest enforced by the host itself (the Extism Node SDK enforces none of
 * them, notes-extism.md).
 *
 * Design: each pooled instance is its own `worker_threads` Worker (worker-instance.ts), its V8 heap
 * bounded by `resourceLimits`, running Extism in foreground mode (plugin-worker.ts). Wasm never runs
 * on the main thread, so it never stalls token streaming; and in foreground mode the kernel's
 * `extism:host/env` functions can be replaced, so the worker caps every allocation the plugin can
 * cause (below). The Shimmy host functions and Extism's `http_request` are synchronous in the worker:
 * it posts the request and blocks on `Atomics.wait` while this thread runs the checked I/O
 * (host-functions.ts: checkedFetch, fs-grants) and posts the answer back. A call past `timeoutMs`,
 * an aborted one and `dispose()` terminate the worker (the pool replaces it) and abort its I/O here.
 *
 * Deadlines: instantiating an instance (the wasm start function, then `hs_init`) has its own,
 * `startTimeoutMs`, past which its worker is terminated; a call's `timeoutMs` counts its time in
 * the pool's queue, which holds at most `maxQueue` calls (instance-pool.ts). A plugin whose
 * instances fail to start `maxStartFailures` times in a row is marked failed ({@link PluginHost.failure}).
 *
 * Caps, per instance (ArrayBuffers are outside the V8 heap, so `resourceLimits` alone bounds none):
 * - Extism memory blocks, live bytes in one call (`alloc`, the input, config values, vars read,
 *   host-function answers, HTTP bodies): `memoryMaxPages × 64 KiB + jsonCap(maxResponseBytes)`:
 *   a plugin can hand the host at most its whole memory, and receive one answer on top. Past it the
 *   call fails with `memory_limit`; `free` gives bytes back. At most 100,000 blocks per call (each
 *   costs heap, and the SDK never reuses a freed slot). All blocks are dropped after each call.
 * - vars: 1 MiB of keys and values per instance (Extism's own default `max_var_bytes`).
 * - log text: 1 MiB per call, lines cut at 16 KiB.
 * - host-function requests and answers: `jsonCap(maxResponseBytes)`, as before.
 * - the worker's heap: WORKER_RESOURCE_LIMITS (64 MiB old generation); a worker that passes it dies,
 *   its call fails with `memory_limit` and the pool replaces it.
 */
import { HOST_LIMITS, type PluginManifest } from "@shimmy/plugin-sdk";
import type { ValidateFunction } from "ajv";
import { ajvErrorsText } from "../schema/ajv-errors.js";
import { compileInDialect } from "../schema/dialect.js";
import { checkEmbedderOutput, embedderInputSchema, embedderOutputSchema, resolveEmbedder, type EmbedderVectors, type ResolvedEmbedder } from "./embedder-contract.js";
import { resolveFolderGrants } from "./fs-grants.js";
import { jsonCap, type HostChat, type HostFunctionGrants } from "./host-functions.js";
import { InstanceCallFailure, InstancePool } from "./instance-pool.js";
import { checkModule, SHIMMY_FUNCTIONS, type ShimmyFunctionName } from "./module-check.js";
import { resolveGrants } from "./net-grants.js";
import { PluginCallError } from "./plugin-call-error.js";
import { publishPluginCall } from "../metrics/channels.js";
import { withConfigDefaults } from "./store/plugin-config.js";
import { resolveModelGrants } from "./store/permissions.js";
import { WorkerInstance, type PluginLog, type WorkerInstanceSpec } from "./worker-instance.js";
import type { WorkerCaps } from "./worker-protocol.js";

/** The log methods the host uses (a pino logger fits). */
export interface PluginHostLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** What {@link PluginHost.load} needs. */
export interface PluginHostOptions {
  /** The validated manifest, limits filled in. */
  manifest: PluginManifest;
  /** `plugin.wasm`, already checked against the lock file's sha256. */
  wasm: Uint8Array;
  /** The user's settings: with the config schema's defaults filled in, passed to the plugin as Extism config and used to expand `{config.KEY}` grants. */
  config: Record<string, unknown>;
  /** What `~` in `permissions.fs` and in plugin paths stands for. */
  home: string;
  /** Shimmy's own listen addresses, never reachable from a plugin. */
  serverAddresses: { host: string; port: number }[];
  logger: PluginHostLogger;
  /** Instances, each running one call at a time; `HOST_LIMITS.instancesPerPlugin` (2) unless given. */
  poolSize?: number;
  /** Longest instantiation of one instance (start function, `hs_init`). @default PLUGIN_START_TIMEOUT_MS (5 s) */
  startTimeoutMs?: number;
  /** Calls that may wait for a busy pool; one more fails with `busy`. @default DEFAULT_MAX_QUEUE (32) */
  maxQueue?: number;
  /** Failed instance starts in a row after which the plugin is marked failed. @default DEFAULT_MAX_START_FAILURES (3) */
  maxStartFailures?: number;
  /** Abandons the load: instances still starting are terminated and `load` fails with `closed`. */
  signal?: AbortSignal;
  /**
   * `none` grants no origin and no folder whatever the manifest asks: for running a plugin the user
   * has not approved yet (the install-time start check). @default "manifest"
   */
  grants?: "manifest" | "none";
  /** Generates for `shimmy_chat`, with the models of `permissions.models` only. @default none: the function answers not_found */
  chat?: HostChat;
  /** Called once, with the reason, if the plugin is marked failed (see {@link PluginHost.failure}). */
  onFailed?(reason: string): void;
}

/** Per-call options of {@link PluginHost.callTool} and {@link PluginHost.callStep}. */
export interface CallToolOptions {
  /** Cancels the call; a running call's instance is terminated and replaced. */
  signal?: AbortSignal;
  /** The HTTP request behind the call, written on its audit line so the two log lines can be joined. */
  requestId?: string;
}

/** What the host can call: a tool, a workflow step or an embedder. */
type CallableKind = "tool" | "step" | "embedder" | "router";

/** A tool, a step or an embedder, ready to call: its export and its compiled schemas. */
interface Callable {
  export: string;
  validateInput: ValidateFunction;
  validateOutput: ValidateFunction | null;
  /** What the schemas cannot check (an embedder's vector count), given the output and the input; returns the result. */
  check?: (output: unknown, input: unknown) => unknown;
}

/** How messages name each kind's schemas (a tool's are MCP's `inputSchema`/`outputSchema`). */
const SCHEMA_NAMES: Record<CallableKind, { input: string; output: string }> = {
  tool: { input: "inputSchema", output: "outputSchema" },
  step: { input: "input schema", output: "output schema" },
  router: { input: "router input", output: "router answer" },
  embedder: { input: 'embedder input ({"input": [text, …]}, at most maxBatchSize texts)', output: 'embedder output ({"data": [{"embedding": [dimensions numbers]}]})' },
};

/** The codes of a call of a name the plugin does not declare, per kind. */
const UNKNOWN: Record<CallableKind, "unknown_tool" | "unknown_step" | "unknown_embedder" | "unknown_router"> = {
  tool: "unknown_tool", step: "unknown_step", embedder: "unknown_embedder", router: "unknown_router",
};

/** The caps an instance's worker enforces, from the manifest's limits (see the module comment). */
export function workerCaps(limits: PluginManifest["limits"]): WorkerCaps {
  return {
    blockBytes: limits.memoryMaxPages * 64 * 1024 + jsonCap(limits.maxResponseBytes),
    blocksPerCall: 100_000,
    varBytes: 1024 * 1024,
    jsonBytes: jsonCap(limits.maxResponseBytes),
    logBytes: 1024 * 1024,
    logLineBytes: 16 * 1024,
  };
}

/** The user's config as Extism config, UTF-8 encoded: strings as they are, anything else as JSON. */
function extismConfig(config: Record<string, unknown>, maxBytes: number): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    out[key] = new Uint8Array(Buffer.from(text, "utf8"));
    bytes += Buffer.byteLength(key) + out[key]!.length;
  }
  if (bytes > maxBytes) throw new PluginCallError("payload_too_large", `the plugin's config is ${bytes} bytes; the cap (maxResponseBytes) is ${maxBytes}`);
  return out;
}

/** A loaded plugin: a checked, compiled module and a pool of instances running its tools and steps. */
export class PluginHost {
  private readonly name: string;
  private readonly callables: Record<CallableKind, Map<string, Callable>>;
  /** Every embedder the manifest declares, sizes resolved; one with a `problem` has no callable. */
  private readonly embedderList: ResolvedEmbedder[];
  private readonly pool: InstancePool;
  private readonly limits: PluginManifest["limits"];
  private readonly logger: PluginHostLogger;

  private constructor(manifest: PluginManifest, callables: Record<CallableKind, Map<string, Callable>>, embedders: ResolvedEmbedder[], pool: InstancePool, logger: PluginHostLogger) {
    this.name = manifest.name;
    this.callables = callables;
    this.embedderList = embedders;
    this.pool = pool;
    this.limits = manifest.limits;
    this.logger = logger;
  }

  /**
   * Checks and compiles the module (memory maximum, imports against permissions, exports), resolves
   * the grants once, compiles the tool and step schemas and starts the instance pool.
   *
   * @throws {PluginCallError} `memory_limit`, `invalid_module`, `permission_denied` or
   *   `payload_too_large` (config); `start_failed` when an instance traps or runs past
   *   `startTimeoutMs` while instantiating (or its worker's own error); `closed` when `signal`
   *   abandoned the load.
   */
  static async load(options: PluginHostOptions): Promise<PluginHost> {
    const { manifest, logger } = options;
    const limits = manifest.limits;
    const module = await checkModule(options.wasm, manifest);
    // The schema's defaults count as set, for the plugin and its grants alike, as they did in the
    // permissions the user approved (store/permissions.ts).
    const settings = withConfigDefaults(manifest, options.config);
    const defaulted = new Set(Object.keys(settings).filter((key) => !(key in options.config)));
    const config = extismConfig(settings, limits.maxResponseBytes);
    const callables: Record<CallableKind, Map<string, Callable>> = { tool: new Map(), step: new Map(), embedder: new Map(), router: new Map() };
    const embedders: ResolvedEmbedder[] = [];
    for (const capability of manifest.capabilities) {
      if (capability.kind === "tool") {
        callables.tool.set(capability.name, {
          export: capability.export,
          validateInput: compileInDialect(capability.inputSchema),
          validateOutput: capability.outputSchema ? compileInDialect(capability.outputSchema) : null,
        });
      } else if (capability.kind === "step") {
        callables.step.set(capability.name, { export: capability.export, validateInput: compileInDialect(capability.input), validateOutput: compileInDialect(capability.output) });
      } else if (capability.kind === "router") {
        // Its input is the host's own; its answer is checked against the route's candidates by routing/routes/.
        callables.router.set(capability.name, { export: capability.export, validateInput: compileInDialect(true), validateOutput: null });
      } else if (capability.kind === "embedder") {
        const embedder = resolveEmbedder(capability, settings, manifest.name);
        embedders.push(embedder);
        if (embedder.dimensions === null || embedder.problem) continue;
        callables.embedder.set(capability.name, {
          export: capability.export,
          validateInput: compileInDialect(embedderInputSchema(embedder.maxBatchSize)),
          validateOutput: compileInDialect(embedderOutputSchema(embedder.dimensions)),
          check: (output, input) => checkEmbedderOutput(output as Parameters<typeof checkEmbedderOutput>[0], (input as { input: string[] }).input.length, capability.name),
        });
      }
    }
    const net = manifest.permissions?.net ?? [];
    const models = resolveModelGrants(manifest.permissions?.models ?? [], settings);
    const none = options.grants === "none";
    const grants: HostFunctionGrants = {
      net: none ? [] : resolveGrants(net, settings, defaulted),
      // Resolved once, now: a folder that appears later is not granted until the plugin is reloaded.
      fs: none
        ? { home: options.home, folders: [] }
        : await resolveFolderGrants(manifest.permissions?.fs?.read ?? [], manifest.permissions?.fs?.write ?? [], settings, options.home),
      serverAddresses: options.serverAddresses,
      maxResponseBytes: limits.maxResponseBytes,
      timeoutMs: limits.timeoutMs,
      models: none ? [] : models,
      ...(options.chat ? { chat: options.chat } : {}),
    };
    // Plugin log lines (Extism's log_* functions) go to our logger, tagged with the plugin.
    const log: PluginLog = (level, message) => logger[level === "error" ? "warn" : level]({ event: "plugin_log", plugin: manifest.name }, message);
    const hasFs = (manifest.permissions?.fs?.read?.length ?? 0) + (manifest.permissions?.fs?.write?.length ?? 0) > 0;
    // Only the host functions the manifest permits are installed (checkModule refused any other import).
    const shimmyFunctions = (Object.keys(SHIMMY_FUNCTIONS) as ShimmyFunctionName[]).filter((name) => {
      const needs = SHIMMY_FUNCTIONS[name];
      return needs === null || (needs === "net" ? net.length > 0 : needs === "models" ? (manifest.permissions?.models?.length ?? 0) > 0 : hasFs);
    });
    const spec: WorkerInstanceSpec = { module, config, caps: workerCaps(limits), shimmyFunctions, extismHttp: net.length > 0, grants, log };
    const startTimeoutMs = options.startTimeoutMs;
    const factory = (signal: AbortSignal) => WorkerInstance.start(spec, { signal, ...(startTimeoutMs === undefined ? {} : { timeoutMs: startTimeoutMs }) });
    const pool = await InstancePool.create(factory, {
      size: options.poolSize ?? HOST_LIMITS.instancesPerPlugin,
      ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
      ...(options.maxStartFailures === undefined ? {} : { maxStartFailures: options.maxStartFailures }),
      ...(options.signal ? { signal: options.signal } : {}),
      onFailed: (reason) => {
        logger.warn({ event: "plugin_failed", plugin: manifest.name }, `${manifest.name} is marked failed: ${reason}`);
        options.onFailed?.(reason);
      },
    });
    return new PluginHost(manifest, callables, embedders, pool, logger);
  }

  /**
   * Why the plugin is marked failed (its instances kept failing to start; every call now fails with
   * `start_failed`), or null while it runs. Reloading it (a new host) is the way back.
   */
  get failure(): string | null {
    return this.pool.failure;
  }

  /** The tools this plugin declares, by name. */
  get toolNames(): string[] {
    return [...this.callables.tool.keys()];
  }

  /** The workflow steps this plugin declares, by name. */
  get stepNames(): string[] {
    return [...this.callables.step.keys()];
  }

  /** The embedders this plugin declares, their sizes read from its settings (one that cannot be called says why). */
  get embedders(): readonly ResolvedEmbedder[] {
    return this.embedderList;
  }

  /**
   * Calls a tool: the input is checked against its `inputSchema` and the byte cap, the call runs on
   * a pooled instance under `timeoutMs`, and the output must be JSON matching its `outputSchema`
   * within `maxResponseBytes`. Writes one audit line per call.
   *
   * @throws {PluginCallError} `unknown_tool`, `invalid_input`, `payload_too_large`, `timeout` (the
   *   deadline counts time in line too), `busy` (the queue is full), `start_failed`, `aborted`,
   *   `closed`, `plugin_error`, `memory_limit` (the call passed an allocation cap; the
   *   instance is replaced), `invalid_output` or `response_too_large`.
   */
  callTool(toolName: string, input: unknown, options: CallToolOptions = {}): Promise<unknown> {
    return this.call("tool", toolName, input, options);
  }

  /**
   * Calls a workflow step exactly as {@link callTool} calls a tool (same pool, limits, cancel and
   * audit line): its input, any JSON value, is checked against the step's `input` schema, and its
   * output against its `output` schema.
   *
   * @throws {PluginCallError} `unknown_step`, and the codes of {@link callTool} but `unknown_tool`.
   * @example
   * const chunks = await host.callStep("chunk", { text, size: 1000, overlap: 100 }, { signal });
   */
  callStep(stepName: string, input: unknown, options: CallToolOptions = {}): Promise<unknown> {
    return this.call("step", stepName, input, options);
  }

  /**
   * Embeds `texts` with an embedder: in calls of at most its `maxBatchSize` texts, one after the
   * other, each run as {@link callTool} runs a tool (same pool, limits, cancel and audit line) and
   * checked: one vector per text, each exactly `dimensions` finite numbers.
   *
   * @throws {PluginCallError} `unknown_embedder`, `not_configured` (a size setting is unset), and the
   *   codes of {@link callTool} but `unknown_tool`; `invalid_output` says which vector is wrong.
   * @example
   * const { vectors, promptTokens } = await host.callEmbedder("embed", ["hello", "world"], { signal });
   */
  async callEmbedder(name: string, texts: readonly string[], options: CallToolOptions = {}): Promise<EmbedderVectors> {
    const embedder = this.embedderList.find((e) => e.name === name);
    if (!embedder) throw new PluginCallError("unknown_embedder", `${this.name} has no embedder "${name}"`);
    if (embedder.problem) throw new PluginCallError("not_configured", `${this.name} ${name} cannot embed yet: ${embedder.problem}`);
    if (texts.length === 0) throw new PluginCallError("invalid_input", `no texts to embed with ${name}`);
    const vectors: Float32Array[] = [];
    let promptTokens = 0;
    for (let start = 0; start < texts.length; start += embedder.maxBatchSize) {
      const batch = (await this.call("embedder", name, { input: texts.slice(start, start + embedder.maxBatchSize) }, options)) as EmbedderVectors;
      vectors.push(...batch.vectors);
      promptTokens += batch.promptTokens;
    }
    return { vectors, promptTokens };
  }

  /**
   * Calls a model router with a request's features and the route's candidates (routing/routes/
   * router-input.ts), as {@link callTool} runs a tool (same pool, limits, cancel and audit line); its
   * JSON answer is the caller's to check.
   *
   * @throws {PluginCallError} `unknown_router`, and the codes of {@link callTool} but `unknown_tool`.
   */
  callRouter(routerName: string, input: unknown, options: CallToolOptions = {}): Promise<unknown> {
    return this.call("router", routerName, input, options);
  }

  private async call(kind: CallableKind, name: string, input: unknown, options: CallToolOptions): Promise<unknown> {
    const started = performance.now();
    let bytesIn = 0;
    let bytesOut = 0;
    let outcome = "ok";
    try {
      const callable = this.callables[kind].get(name);
      if (!callable) throw new PluginCallError(UNKNOWN[kind], `${this.name} has no ${kind} "${name}"`);
      // `undefined` is no JSON: nothing could be sent (a `true` schema would let it through).
      if (input === undefined) throw new PluginCallError("invalid_input", `the input of ${name} is missing`);
      if (!callable.validateInput(input)) {
        throw new PluginCallError("invalid_input", `the input of ${name} does not match its ${SCHEMA_NAMES[kind].input}: ${ajvErrorsText(callable.validateInput.errors)}`);
      }
      const inputBytes = Buffer.from(JSON.stringify(input), "utf8");
      bytesIn = inputBytes.length;
      if (bytesIn > this.limits.maxResponseBytes) {
        throw new PluginCallError("payload_too_large", `the input of ${name} is ${bytesIn} bytes; the cap is ${this.limits.maxResponseBytes}`);
      }
      let output: Uint8Array | null;
      try {
        output = await this.pool.run(callable.export, inputBytes, { timeoutMs: this.limits.timeoutMs, signal: options.signal });
      } catch (error) {
        if (!(error instanceof InstanceCallFailure)) throw error;
        const code = error.original instanceof PluginCallError && error.original.code === "memory_limit" ? "memory_limit" : "plugin_error";
        throw new PluginCallError(code, `${this.name} failed in ${name}: ${error.message}`, { cause: error.original });
      }
      bytesOut = output?.length ?? 0;
      const value = this.checkOutput(kind, callable, name, output);
      return callable.check ? callable.check(value, input) : value;
    } catch (error) {
      outcome = error instanceof PluginCallError ? error.code : "error";
      throw error;
    } finally {
      const ms = Math.round((performance.now() - started) * 100) / 100;
      this.logger.info({ event: "plugin_call", ...(options.requestId === undefined ? {} : { requestId: options.requestId }), plugin: this.name, [kind]: name, ms, outcome, bytesIn, bytesOut });
      publishPluginCall({ plugin: this.name, outcome, ms });
    }
  }

  private checkOutput(kind: CallableKind, callable: Callable, name: string, output: Uint8Array | null): unknown {
    const cap = this.limits.maxResponseBytes;
    if (output === null || output.length === 0) throw new PluginCallError("invalid_output", `${name} returned no output`);
    if (output.length > cap) throw new PluginCallError("response_too_large", `${name} returned ${output.length} bytes; the cap is ${cap}`);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(output));
    } catch {
      throw new PluginCallError("invalid_output", `${name} returned output that is not UTF-8 JSON`);
    }
    if (callable.validateOutput && !callable.validateOutput(value)) {
      throw new PluginCallError("invalid_output", `the output of ${name} does not match its ${SCHEMA_NAMES[kind].output}: ${ajvErrorsText(callable.validateOutput.errors)}`);
    }
    return value;
  }

  /** Terminates every instance; calls in flight or waiting fail with `closed`. */
  async dispose(): Promise<void> {
    await this.pool.dispose();
  }
}
