/**
 * `PluginHost`: one loaded plugin, its tools callable as JSON in, JSON out, with every limit of the
 * manifest enforced by the host itself (the Extism Node SDK enforces none of them, notes-extism.md).
 *
 * Design (why worker mode with async host functions): each pooled instance is an Extism plugin
 * created with `runInWorker: true`, so wasm runs off the main thread and never stalls token
 * streaming. In that mode the SDK's worker blocks on `Atomics.wait` while the main thread runs the
 * host function and *awaits* its result (`BackgroundPlugin.#handleInvoke` in `@extism/extism`
 * 1.0.3 does `await func(context, ...args)`), so async host functions (HTTP, files) work as they
 * are. The costs, handled here: a host function that throws makes the SDK terminate the worker
 * (ours answer `{"error"}` instead, see host-functions.ts); the SDK has no timeout (the pool races
 * each call and terminates the worker); the SDK's kernel `alloc` in the worker cannot be capped
 * (notes-extism.md: overriding it in worker mode breaks calls), so the caps are on what the host
 * itself hands over: input, config and host-function answers.
 */
import { createPlugin } from "@extism/extism";
import type { PluginManifest, ToolCapability } from "@shimmy/plugin-sdk";
import { Ajv, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { resolveFolderGrants } from "./fs-grants.js";
import { extismFetch, shimmyHostFunctions, type HostFunctionGrants } from "./host-functions.js";
import { InstanceCallFailure, InstancePool, type PoolInstance } from "./instance-pool.js";
import { checkModule, EXTISM_USER } from "./module-check.js";
import { resolveGrants } from "./net-grants.js";
import { PluginCallError } from "./plugin-call-error.js";

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
  /** The user's settings: passed to the plugin as Extism config and used to expand `{config.KEY}` grants. */
  config: Record<string, unknown>;
  /** What `~` in `permissions.fs` and in plugin paths stands for. */
  home: string;
  /** Shimmy's own listen addresses, never reachable from a plugin. */
  serverAddresses: { host: string; port: number }[];
  logger: PluginHostLogger;
  /** Instances, each running one call at a time; 2 unless given. */
  poolSize?: number;
}

/** Per-call options of {@link PluginHost.callTool}. */
export interface CallToolOptions {
  /** Cancels the call; a running call's instance is terminated and replaced. */
  signal?: AbortSignal;
}

interface Tool {
  capability: ToolCapability;
  validateInput: ValidateFunction;
  validateOutput: ValidateFunction | null;
}

const AJV_OPTIONS: Options = { strict: false, allErrors: false, validateFormats: false };
const PLUGIN_ERROR_PREFIX = "Plugin-originated error: ";

/** Compiles a tool schema once, in the dialect its `$schema` names (draft-07 otherwise, as MCP). */
function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  const ajv = declared.includes("2020-12") ? new Ajv2020(AJV_OPTIONS) : declared.includes("2019-09") ? new Ajv2019(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
  const { $schema: _ignored, ...bare } = schema;
  return ajv.compile(bare);
}

function schemaErrors(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; ");
}

/** The user's config as Extism config: strings as they are, anything else as JSON. */
function extismConfig(config: Record<string, unknown>, maxBytes: number): Record<string, string> {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    out[key] = text;
    bytes += Buffer.byteLength(key) + Buffer.byteLength(text);
  }
  if (bytes > maxBytes) throw new PluginCallError("payload_too_large", `the plugin's config is ${bytes} bytes; the cap (maxResponseBytes) is ${maxBytes}`);
  return out;
}

/** A loaded plugin: a checked, compiled module and a pool of instances running its tools. */
export class PluginHost {
  readonly #name: string;
  readonly #tools: Map<string, Tool>;
  readonly #pool: InstancePool;
  readonly #limits: PluginManifest["limits"];
  readonly #logger: PluginHostLogger;

  private constructor(manifest: PluginManifest, tools: Map<string, Tool>, pool: InstancePool, logger: PluginHostLogger) {
    this.#name = manifest.name;
    this.#tools = tools;
    this.#pool = pool;
    this.#limits = manifest.limits;
    this.#logger = logger;
  }

  /**
   * Checks and compiles the module (memory maximum, imports against permissions, exports), resolves
   * the grants once, compiles the tool schemas and starts the instance pool.
   *
   * @throws {PluginCallError} `memory_limit`, `invalid_module`, `permission_denied` or
   *   `payload_too_large` (config); an instance that fails to start rejects with the SDK's error.
   */
  static async load(options: PluginHostOptions): Promise<PluginHost> {
    const { manifest, logger } = options;
    const limits = manifest.limits;
    const module = await checkModule(options.wasm, manifest);
    const config = extismConfig(options.config, limits.maxResponseBytes);
    const tools = new Map<string, Tool>();
    for (const capability of manifest.capabilities) {
      if (capability.kind !== "tool") continue;
      tools.set(capability.name, {
        capability,
        validateInput: compileSchema(capability.inputSchema),
        validateOutput: capability.outputSchema ? compileSchema(capability.outputSchema) : null,
      });
    }
    const net = manifest.permissions?.net ?? [];
    const grants: HostFunctionGrants = {
      net: resolveGrants(net, options.config),
      // Resolved once, now: a folder that appears later is not granted until the plugin is reloaded.
      fs: await resolveFolderGrants(manifest.permissions?.fs?.read ?? [], manifest.permissions?.fs?.write ?? [], options.config, options.home),
      serverAddresses: options.serverAddresses,
      maxResponseBytes: limits.maxResponseBytes,
      timeoutMs: limits.timeoutMs,
    };
    // Plugin log lines (Extism's log_* functions) go to our logger, tagged with the plugin.
    const log = (level: "info" | "warn" | "debug") => (message: string) => logger[level]({ event: "plugin_log", plugin: manifest.name }, String(message));
    const pluginLogger = { info: log("info"), warn: log("warn"), debug: log("debug"), error: log("warn"), trace: log("debug") } as unknown as Console;

    const factory = async (): Promise<PoolInstance> => {
      // Aborted when the instance is killed, so its host functions stop at once (host-functions.ts).
      const alive = new AbortController();
      const plugin = await createPlugin(
        { wasm: [{ module }] },
        {
          runInWorker: true,
          useWasi: false,
          // The SDK's own check compares hostnames only; ours (checkedFetch, behind `fetch`) is the
          // real one, so the SDK's is opened fully, and only for a plugin that declares `net`.
          allowedHosts: net.length > 0 ? ["*"] : [],
          fetch: extismFetch(grants, alive.signal),
          functions: { [EXTISM_USER]: shimmyHostFunctions(grants, alive.signal) },
          config,
          logger: pluginLogger,
        },
      );
      return {
        async call(exportName, input) {
          const output = await plugin.call(exportName, input);
          return output === null ? null : output.bytes();
        },
        async close() {
          alive.abort(new PluginCallError("closed", "the plugin instance was closed"));
          await plugin.close();
        },
      };
    };
    const pool = await InstancePool.create(factory, options.poolSize ?? 2);
    return new PluginHost(manifest, tools, pool, logger);
  }

  /** The tools this plugin declares, by name. */
  get toolNames(): string[] {
    return [...this.#tools.keys()];
  }

  /**
   * Calls a tool: the input is checked against its `inputSchema` and the byte cap, the call runs on
   * a pooled instance under `timeoutMs`, and the output must be JSON matching its `outputSchema`
   * within `maxResponseBytes`. Writes one audit line per call.
   *
   * @throws {PluginCallError} `unknown_tool`, `invalid_input`, `payload_too_large`, `timeout`,
   *   `aborted`, `closed`, `plugin_error`, `invalid_output` or `response_too_large`.
   */
  async callTool(toolName: string, input: unknown, options: CallToolOptions = {}): Promise<unknown> {
    const started = performance.now();
    let bytesIn = 0;
    let bytesOut = 0;
    let outcome = "ok";
    try {
      const tool = this.#tools.get(toolName);
      if (!tool) throw new PluginCallError("unknown_tool", `${this.#name} has no tool "${toolName}"`);
      if (!tool.validateInput(input)) {
        throw new PluginCallError("invalid_input", `the input of ${toolName} does not match its inputSchema: ${schemaErrors(tool.validateInput)}`);
      }
      const inputBytes = Buffer.from(JSON.stringify(input), "utf8");
      bytesIn = inputBytes.length;
      if (bytesIn > this.#limits.maxResponseBytes) {
        throw new PluginCallError("payload_too_large", `the input of ${toolName} is ${bytesIn} bytes; the cap is ${this.#limits.maxResponseBytes}`);
      }
      let output: Uint8Array | null;
      try {
        output = await this.#pool.run(tool.capability.export, inputBytes, { timeoutMs: this.#limits.timeoutMs, signal: options.signal });
      } catch (error) {
        if (!(error instanceof InstanceCallFailure)) throw error;
        const message = error.message.startsWith(PLUGIN_ERROR_PREFIX) ? error.message.slice(PLUGIN_ERROR_PREFIX.length) : error.message;
        throw new PluginCallError("plugin_error", `${this.#name} failed in ${toolName}: ${message}`, { cause: error.original });
      }
      bytesOut = output?.length ?? 0;
      return this.#checkOutput(tool, toolName, output);
    } catch (error) {
      outcome = error instanceof PluginCallError ? error.code : "error";
      throw error;
    } finally {
      const ms = Math.round((performance.now() - started) * 100) / 100;
      this.#logger.info({ event: "plugin_call", plugin: this.#name, tool: toolName, ms, outcome, bytesIn, bytesOut });
    }
  }

  #checkOutput(tool: Tool, toolName: string, output: Uint8Array | null): unknown {
    const cap = this.#limits.maxResponseBytes;
    if (output === null || output.length === 0) throw new PluginCallError("invalid_output", `${toolName} returned no output`);
    if (output.length > cap) throw new PluginCallError("response_too_large", `${toolName} returned ${output.length} bytes; the cap is ${cap}`);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(output));
    } catch {
      throw new PluginCallError("invalid_output", `${toolName} returned output that is not UTF-8 JSON`);
    }
    if (tool.validateOutput && !tool.validateOutput(value)) {
      throw new PluginCallError("invalid_output", `the output of ${toolName} does not match its outputSchema: ${schemaErrors(tool.validateOutput)}`);
    }
    return value;
  }

  /** Terminates every instance; calls in flight or waiting fail with `closed`. */
  async close(): Promise<void> {
    await this.#pool.close();
  }
}
