/**
 * The worker that runs one pooled plugin instance (worker-instance.ts starts it; host.ts explains
 * the design). Extism runs here in foreground mode, so the kernel's `extism:host/env` functions can
 * be replaced, and they are: every byte the plugin can make this thread hold goes through a cap.
 *
 * - `alloc` (and every block the host hands over: host-function answers, config values, vars, HTTP
 *   bodies) counts the call's live block bytes and blocks; past a cap it throws, which ends the call
 *   with a `memory_limit` error instead of growing. `free` gives the bytes back.
 * - vars are kept here, as copies, under a per-instance byte cap (the SDK's own vars point at blocks
 *   that it never frees); blocks are all dropped after each call.
 * - log lines are cut to a length, and a call's log text is capped.
 * - `error_set` is recorded, so a plugin that sets an error and then traps (AssemblyScript's abort)
 *   is reported with its message; the SDK alone drops it.
 * - Shimmy's host functions and Extism's `http_request` are synchronous here: the request goes to
 *   the main thread over the bridge port, this thread blocks on `Atomics.wait`, the main thread runs
 *   the checked I/O (host-functions.ts), posts the answer and notifies. `shimmy_now` needs no I/O and
 *   is answered here.
 *
 * Reaching the kernel needs two things the SDK (pinned at 1.0.3) does not export: the call context,
 * captured when `createPlugin` binds a host function to it, and its `extism:host/env` table, an own
 * symbol-keyed property of the context that is the very object handed to `WebAssembly.instantiate`.
 * Both are checked at start: a different SDK fails every instance with a clear message.
 *
 * Plain JavaScript at run time (core/dist/plugins/plugin-worker.js): it imports only the SDK, Node
 * and the protocol's constants.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { CallContext } from "@extism/extism";
import {
  FLAG_WAITING,
  type BridgeAnswer,
  type BridgeRequest,
  type CallMessage,
  type WorkerMessage,
  type WorkerSpec,
} from "./worker-protocol.js";

type Address = bigint;
type EnvFunction = (...args: never[]) => unknown;
type Env = Record<string, EnvFunction>;

const EXTISM_USER = "extism:host/user";
const PLUGIN_ERROR_PREFIX = "Plugin-originated error: ";
/** A config or var key longer than this is not looked up (its text is never decoded). */
const MAX_KEY_BYTES = 4096;
/** An error message set by the plugin is kept up to this many bytes. */
const MAX_ERROR_BYTES = 16 * 1024;
/** `shimmy_now` takes `{}`: a request longer than this is refused without decoding it. */
const MAX_NOW_REQUEST_BYTES = 4096;
/** What a var costs beyond its key and value bytes (its Map entry, string and buffer objects). */
const VAR_OVERHEAD = 256;
/** What a log line costs beyond its bytes (the message to the main thread), so empty lines count. */
const LOG_LINE_OVERHEAD = 64;

const spec = workerData as WorkerSpec;
const caps = spec.caps;
const port = parentPort as MessagePort;
const bridgePort = spec.bridge as MessagePort;
const flag = new Int32Array(spec.flag);
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

// Node warns once that WASI is experimental when the SDK loads (it imports node:wasi, which Shimmy
// never enables): not worth a line on stderr per instance. Other warnings go to the plugin's log.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name === "ExperimentalWarning" && /WASI/.test(warning.message)) return;
  post({ type: "log", level: "warn", message: `${warning.name}: ${warning.message}` });
});

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

/** Thrown by a cap: the call fails with `memory_limit` (the message is kept in the call state). */
class CapReached extends Error {}

interface CallState {
  /** Live bytes in this call's blocks. */
  live: number;
  /** Blocks made in this call (freed ones included: the SDK never reuses a slot). */
  blocks: number;
  /** The first cap this call hit. */
  limit: string | null;
  /** The error the plugin set with `error_set`. */
  error: string | null;
  logBytes: number;
  logDropped: number;
}

function freshState(inputBytes: number): CallState {
  return { live: inputBytes, blocks: 1, limit: null, error: null, logBytes: 0, logDropped: 0 };
}

let state = freshState(0);
/** Extism vars of this instance: copies, kept across calls. */
const vars = new Map<string, Uint8Array>();
let varBytes = 0;
let lastStatus = 0;
let bridgeId = 0;

function reachCap(message: string): never {
  state.limit ??= message;
  throw new CapReached(message);
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${bytes} bytes`;
}

/** The instrumented kernel: set up once, by {@link instrument}. */
let context: CallContext | null = null;
let env: Env | null = null;

function blockView(ctx: CallContext, addr: Address): Uint8Array | null {
  const out = ctx.read(addr);
  return out === null ? null : out.bytes(); // a view of the whole block (an ArrayBuffer here, not a copy)
}

/** Stores bytes as a new block through the capped `alloc`; returns its address. */
function storeBytes(bytes: Uint8Array): Address {
  const addr = (env as Env).alloc!(BigInt(bytes.length) as never) as Address;
  const view = blockView(context as CallContext, addr) as Uint8Array;
  view.set(bytes);
  return addr;
}

function storeJson(value: unknown): Address {
  return storeBytes(encoder.encode(JSON.stringify(value)));
}

function errorJson(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function readKey(ctx: CallContext, addr: Address): string | null {
  const bytes = blockView(ctx, addr);
  if (bytes === null || bytes.length > MAX_KEY_BYTES) return null;
  return utf8.decode(bytes);
}

/**
 * Sends one request over the bridge and blocks until the main thread answers. A worker being
 * terminated (timeout, abort, close) is woken out of `Atomics.wait` by the termination itself.
 */
function bridge(request: BridgeRequest, transfer: ArrayBuffer[]): BridgeAnswer {
  Atomics.store(flag, 0, FLAG_WAITING);
  bridgePort.postMessage(request, transfer);
  while (Atomics.load(flag, 0) === FLAG_WAITING) Atomics.wait(flag, 0, FLAG_WAITING);
  const received = receiveMessageOnPort(bridgePort);
  const answer = received?.message as BridgeAnswer | undefined;
  if (answer?.id !== request.id) throw new Error(`host function bridge out of step (expected answer ${request.id})`);
  return answer;
}

/** Replaces the kernel functions (see the module comment); run as `createPlugin` binds. */
function instrument(ctx: CallContext): void {
  const key = Object.getOwnPropertySymbols(ctx).find((s) => s.description === "env");
  const table = key === undefined ? undefined : ((ctx as unknown as Record<symbol, Env>)[key] as Env | undefined);
  const originals = {
    alloc: table?.alloc as ((n: bigint) => Address) | undefined,
    free: table?.free as ((addr: Address) => void) | undefined,
    error_set: table?.error_set as ((addr: Address) => void) | undefined,
  };
  if (!table || !originals.alloc || !originals.free || !originals.error_set || typeof ctx.read !== "function" || typeof ctx.length !== "function") {
    throw new Error("unsupported @extism/extism: its call context is not the one of version 1.0.3 that Shimmy's plugin worker instruments");
  }
  const { alloc, free, error_set } = originals as { [K in keyof typeof originals]: NonNullable<(typeof originals)[K]> };
  context = ctx;
  env = table;
  const blockCap = caps.blockBytes;

  table.alloc = ((n: bigint): Address => {
    const size = Number(n);
    if (!(size >= 0)) throw new RangeError(`alloc: invalid size ${n}`);
    if (state.blocks + 1 > caps.blocksPerCall) {
      reachCap(`memory limit: the plugin made more than ${caps.blocksPerCall} Extism memory blocks in one call (the cap on blocks per call)`);
    }
    if (state.live + size > blockCap) {
      reachCap(
        `memory limit: the plugin's Extism memory blocks would reach ${mib(state.live + size)} in one call; the cap is ${mib(blockCap)} (${blockCap} bytes: memoryMaxPages × 64 KiB plus room for one host answer)`,
      );
    }
    state.blocks++;
    state.live += size;
    return alloc(n);
  }) as EnvFunction;

  table.free = ((addr: Address): void => {
    const size = Number(ctx.length(addr));
    free(addr);
    state.live = Math.max(0, state.live - size);
  }) as EnvFunction;

  table.error_set = ((addr: Address): void => {
    const bytes = blockView(ctx, addr);
    if (bytes !== null) state.error = utf8.decode(bytes.subarray(0, MAX_ERROR_BYTES));
    error_set(addr);
  }) as EnvFunction;

  table.config_get = ((addr: Address): Address => {
    const name = readKey(ctx, addr);
    const value = name === null ? undefined : spec.config[name];
    return value === undefined ? 0n : storeBytes(value);
  }) as EnvFunction;

  table.var_get = ((addr: Address): Address => {
    const name = readKey(ctx, addr);
    const value = name === null ? undefined : vars.get(name);
    return value === undefined ? 0n : storeBytes(value);
  }) as EnvFunction;

  table.var_set = ((keyAddr: Address, valueAddr: Address): void => {
    const keyBytes = blockView(ctx, keyAddr);
    if (keyBytes === null) return;
    if (keyBytes.length > MAX_KEY_BYTES) reachCap(`memory limit: a var name is ${keyBytes.length} bytes; the cap is ${MAX_KEY_BYTES}`);
    const name = utf8.decode(keyBytes);
    const old = vars.get(name);
    const oldBytes = old === undefined ? 0 : keyBytes.length + old.length + VAR_OVERHEAD;
    if (valueAddr === 0n) {
      vars.delete(name);
      varBytes -= oldBytes;
      return;
    }
    const value = blockView(ctx, valueAddr);
    if (value === null) return;
    const total = varBytes - oldBytes + keyBytes.length + value.length + VAR_OVERHEAD;
    if (total > caps.varBytes) {
      reachCap(
        `memory limit: the plugin's vars would reach ${mib(total)} (names and values, plus ${VAR_OVERHEAD} bytes each); the cap is ${mib(caps.varBytes)} (${caps.varBytes} bytes, Extism's own default max_var_bytes)`,
      );
    }
    vars.set(name, value.slice());
    varBytes = total;
  }) as EnvFunction;

  for (const level of ["info", "warn", "debug", "error"] as const) {
    table[`log_${level}`] = ((addr: Address): void => {
      const bytes = blockView(ctx, addr);
      if (bytes === null) return;
      const cut = bytes.subarray(0, caps.logLineBytes);
      if (state.logBytes + cut.length + LOG_LINE_OVERHEAD > caps.logBytes) {
        state.logDropped++;
        return;
      }
      state.logBytes += cut.length + LOG_LINE_OVERHEAD;
      post({ type: "log", level, message: utf8.decode(cut) + (cut.length < bytes.length ? " …(cut)" : "") });
    }) as EnvFunction;
  }

  if (spec.extismHttp) {
    table.http_request = ((reqAddr: Address, bodyAddr: Address): Address => {
      const request = blockView(ctx, reqAddr);
      if (request === null) return 0n;
      const body = bodyAddr === 0n ? null : blockView(ctx, bodyAddr);
      const tooBig = request.length > caps.jsonBytes ? request.length : body !== null && body.length > caps.jsonBytes ? body.length : 0;
      if (tooBig > 0) {
        lastStatus = 413;
        return storeJson(errorJson("payload_too_large", `http_request: the request is ${tooBig} bytes; the cap is ${caps.jsonBytes}`));
      }
      const requestCopy = request.slice();
      const bodyCopy = body === null ? null : body.slice();
      const answer = bridge(
        { id: ++bridgeId, fn: "http_request", request: requestCopy, body: bodyCopy },
        bodyCopy === null ? [requestCopy.buffer] : [requestCopy.buffer, bodyCopy.buffer],
      );
      lastStatus = answer.status ?? 0;
      return storeBytes(answer.answer);
    }) as EnvFunction;
    table.http_status_code = (() => lastStatus) as EnvFunction;
  }
}

/** One Shimmy host function, as the plugin calls it: request block in, answer block out. */
function shimmyFunction(name: string): (ctx: CallContext, offset: Address) => Address {
  return (ctx, offset) => {
    const request = blockView(ctx, offset);
    if (request === null) return storeJson(errorJson("invalid_request", `${name}: no memory block at offset ${offset}`));
    if (request.length > caps.jsonBytes) {
      return storeJson(errorJson("payload_too_large", `${name}: the request is ${request.length} bytes; the cap is ${caps.jsonBytes}`));
    }
    if (name === "shimmy_now") return storeJson(now(request));
    const copy = request.slice();
    return storeBytes(bridge({ id: ++bridgeId, fn: name, request: copy }, [copy.buffer]).answer);
  };
}

function now(request: Uint8Array): unknown {
  if (request.length > MAX_NOW_REQUEST_BYTES) return errorJson("payload_too_large", `shimmy_now: the request is ${request.length} bytes; it takes {}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(request));
  } catch {
    return errorJson("invalid_request", "shimmy_now: the request is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return errorJson("invalid_request", "shimmy_now: the request must be a JSON object");
  const date = new Date();
  return { unix_ms: date.getTime(), iso: date.toISOString() };
}

function errorText(error: unknown): string {
  return typeof (error as Error)?.message === "string" ? (error as Error).message : String(error);
}

/** The message of a failed call: the error the plugin set, with the trap that ended it if any. */
function failureMessage(error: unknown): string {
  const text = errorText(error);
  if (text.startsWith(PLUGIN_ERROR_PREFIX)) return state.error ?? text.slice(PLUGIN_ERROR_PREFIX.length);
  return state.error !== null ? `${state.error} (then the plugin trapped: ${text})` : text;
}

async function start(): Promise<void> {
  // Loaded here, after the warning filter above is in place (a static import would run first).
  const { createPlugin } = await import("@extism/extism");
  // createPlugin binds every host function to the call context: this one's `bind` instruments it.
  const capture = function capture(): void {};
  Object.defineProperty(capture, "bind", {
    value(thisArg: unknown, ctx: CallContext) {
      instrument(ctx);
      return Function.prototype.bind.call(capture, thisArg, ctx);
    },
  });
  const user: Record<string, (ctx: CallContext, offset: Address) => Address> = {};
  for (const name of spec.shimmyFunctions) user[name] = shimmyFunction(name);
  const log = (level: "info" | "warn" | "debug" | "error") => (message: unknown) => post({ type: "log", level, message: String(message).slice(0, caps.logLineBytes) });
  const logger = { info: log("info"), warn: log("warn"), debug: log("debug"), error: log("error"), trace: log("debug"), log: log("info") } as unknown as Console;
  // The main thread starts the plugin's start deadline on this: the wasm start function and
  // hs_init run inside createPlugin.
  post({ type: "instantiating" });
  const plugin = await createPlugin(
    { wasm: [{ module: spec.module as never }] },
    {
      runInWorker: false,
      useWasi: false,
      functions: { "shimmy:capture": { capture }, [EXTISM_USER]: user } as never,
      logger,
      config: {},
    },
  );
  if (context === null || env === null) throw new Error("unsupported @extism/extism: createPlugin did not bind host functions to a call context");

  port.on("message", async (message: CallMessage) => {
    if (message?.type !== "call") return;
    state = freshState(message.input.length);
    try {
      const output = await plugin.call(message.exportName, message.input);
      if (state.limit !== null) throw new CapReached(state.limit);
      const bytes = output === null ? null : output.bytes().slice();
      post({ type: "result", id: message.id, ok: true, output: bytes }, bytes === null ? [] : [bytes.buffer]);
    } catch (error) {
      if (state.limit !== null) post({ type: "result", id: message.id, ok: false, code: "memory_limit", message: state.limit });
      else post({ type: "result", id: message.id, ok: false, code: "plugin_error", message: failureMessage(error) });
    } finally {
      if (state.logDropped > 0) post({ type: "log", level: "warn", message: `${state.logDropped} log lines dropped: the call passed its cap of ${caps.logBytes} bytes of log text` });
      // Every block of this call goes (vars are copies kept above): nothing carries to the next.
      await plugin.reset();
    }
  });
  post({ type: "ready" });
}

start().catch((error: unknown) => post({ type: "start_failed", message: errorText(error) }));
