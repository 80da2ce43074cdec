/**
 * What the main thread and a plugin instance's worker (plugin-worker.ts) say to each other. Types
 * only, plus the few constants both sides need: the worker imports nothing else of Shimmy's, so it
 * starts fast and holds nothing but the plugin.
 */

/** The caps the worker enforces on one instance (see host.ts, "Caps", for how they are derived). */
export interface WorkerCaps {
  /** Most live bytes in Extism memory blocks during one call: `alloc`, the input, every answer. */
  blockBytes: number;
  /** Most blocks one call may create, freed ones included (each costs the worker's heap a little). */
  blocksPerCall: number;
  /** Most bytes of vars (keys and values) one instance holds, across calls. */
  varBytes: number;
  /** Largest request block a host function takes, and largest answer it gives. */
  jsonBytes: number;
  /** Most log text one call may send; lines are cut to `logLineBytes`. */
  logBytes: number;
  logLineBytes: number;
}

/** `workerData` of a plugin worker. */
export interface WorkerSpec {
  /** The compiled, checked `WebAssembly.Module` (a worker receives it without compiling again). */
  module: object;
  /** Extism config, UTF-8 encoded values. */
  config: Record<string, Uint8Array>;
  caps: WorkerCaps;
  /** Which host functions to install: Shimmy's by name, and Extism's own `http_request`. */
  shimmyFunctions: string[];
  extismHttp: boolean;
  /** Int32Array(1) over this: the bridge's "answer ready" flag. */
  flag: SharedArrayBuffer;
  /** The worker's end of the bridge channel (transferred). */
  bridge: unknown;
}

/** Main → worker: run one export. */
export interface CallMessage {
  type: "call";
  id: number;
  exportName: string;
  input: Uint8Array;
}

/** Worker → main. */
export type WorkerMessage =
  | { type: "instantiating" } // the SDK is loaded; the plugin's own code (start function, hs_init) runs next
  | { type: "ready" }
  | { type: "start_failed"; message: string }
  | { type: "result"; id: number; ok: true; output: Uint8Array | null }
  | { type: "result"; id: number; ok: false; code: "plugin_error" | "memory_limit"; message: string }
  | { type: "log"; level: "info" | "warn" | "debug" | "error"; message: string };

/** Worker → main over the bridge port: one host function call, the worker blocked until answered. */
export type BridgeRequest =
  | { id: number; fn: "http_request"; request: Uint8Array; body: Uint8Array | null }
  | { id: number; fn: string; request: Uint8Array };

/** Main → worker over the bridge port: the answer's bytes (JSON, or the HTTP body) and HTTP status. */
export interface BridgeAnswer {
  id: number;
  answer: Uint8Array;
  status?: number;
}

/** Values of the bridge flag. */
export const FLAG_WAITING = 0;
export const FLAG_ANSWERED = 1;
