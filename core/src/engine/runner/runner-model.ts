/**
 * The server's side of a runner: a loaded model as the pool and {@link LlamaEngine} see it (the
 * surface `LoadedModel` has inside the runner), each call sent over IPC with an id, its streamed
 * deltas and result matched back by that id. The runner's death fails only its own calls, with
 * `model_crashed`; unloading ends the process, so its memory returns to the system at once.
 */
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ShimmyError, retryLater } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type {
  ChatRequest, ChatSession, CompletionRequest, EmbeddingRequest, EmbeddingResult, GenerationResult, InfillRequest, SlotStatus, ToolCallDelta,
} from "../types.js";
import { fromWireError, streamFlags, toWire, type FromRunner, type RunnerCall, type RunnerInit, type ToRunner, type WireError } from "./protocol.js";
import { StderrTail } from "./stderr-tail.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Run from TypeScript sources (tests, bench), the runner is too, through tsx. */
const FROM_SOURCES = import.meta.url.endsWith(".ts");

/** The file and node options that run one of this folder's child scripts (`runner-main`, `binary-check`). */
export function childScript(name: string): { script: string; execArgv: string[] } {
  return { script: path.join(here, `${name}.${FROM_SOURCES ? "ts" : "js"}`), execArgv: FROM_SOURCES ? ["--import", "tsx"] : [] };
}
/** After `dispose`, how long the runner has to exit before SIGTERM, and then before SIGKILL. */
const EXIT_GRACE_MS = 1500;
const KILL_GRACE_MS = 1000;

/** How a runner ended: its exit code or the signal that killed it. */
export interface RunnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Words for a runner's end: "killed by SIGKILL", "exit code 134". */
export function describeExit({ code, signal }: RunnerExit): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/** Why a runner did not become ready: its load failed (`stage` says where), or it died loading. */
export class RunnerLoadError extends Error {
  constructor(
    message: string,
    /** `weights`: the file could not be loaded; `context`: the weights were, not the context; `died`: the process ended. */
    readonly stage: "weights" | "context" | "died",
    /** The runner's last stderr lines (llama.cpp says why there). */
    readonly stderr: string[],
  ) {
    super(message);
    this.name = "RunnerLoadError";
  }
}

/** Options of {@link RunnerModel.start}. */
export interface RunnerStartOptions {
  onProgress?(progress: number): void;
  /** The runner died by itself after it was ready (not on `dispose`): with how, and its last stderr lines. */
  onCrash(exit: RunnerExit, stderr: string[]): void;
  /** Where llama.cpp's messages go. */
  logger: Logger;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  onText?: (text: string) => void;
  onToolCall?: (delta: ToolCallDelta) => void;
  cleanup(): void;
}

/** A model loaded in its own runner process. */
export class RunnerModel {
  readonly id: string;
  readonly contextSize: number;
  readonly chatFormat: string;
  /** The runner's process id, for status pages (and `kill`). */
  readonly pid: number;
  private readonly calls = new Map<number, PendingCall>();
  private nextId = 1;
  private nextSession = 1;
  private slots: SlotStatus;
  private reportedRss: number;
  private exit: RunnerExit | null = null;
  private disposing = false;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly tail: StderrTail,
    ready: Extract<FromRunner, { type: "ready" }>,
    id: string,
    exited: Promise<void>,
  ) {
    this.id = id;
    this.pid = child.pid!;
    this.contextSize = ready.contextSize;
    this.chatFormat = ready.chatFormat;
    this.slots = ready.slots;
    this.reportedRss = ready.rssBytes;
    this.exited = exited;
  }

  /**
   * Forks a runner for one model and resolves once it is loaded.
   * @throws RunnerLoadError when the load fails or the runner dies loading.
   */
  static start(init: RunnerInit, options: RunnerStartOptions): Promise<RunnerModel> {
    const { script, execArgv } = childScript("runner-main");
    const child = fork(script, [JSON.stringify(init)], {
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      // The runner's own pool, pinned to one thread; the server keeps libuv's default.
      env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
      execArgv,
    });
    const tail = new StderrTail(child.stderr!, options.logger.child({ component: "llama.cpp", model: init.id }));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return new Promise<RunnerModel>((resolve, reject) => {
      const onMessage = (message: FromRunner) => {
        if (message.type === "progress") options.onProgress?.(message.progress);
        else if (message.type === "load_failed") {
          settle();
          reject(new RunnerLoadError(message.error.message, message.stage, tail.lines()));
        } else if (message.type === "ready") {
          settle();
          const model = new RunnerModel(child, tail, message, init.id, exited);
          model.listen(options);
          resolve(model);
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        settle();
        // The last stderr lines may still be on their way.
        setImmediate(() => reject(new RunnerLoadError(`the runner died while loading (${describeExit({ code, signal })})`, "died", tail.lines())));
      };
      const onError = (err: Error) => {
        settle();
        child.kill("SIGKILL");
        reject(new RunnerLoadError(`the runner could not start: ${err.message}`, "died", []));
      };
      const settle = () => {
        child.off("message", onMessage);
        child.off("exit", onExit);
        child.off("error", onError);
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.once("error", onError);
    });
  }

  /** Its slots, as the runner last reported them. */
  get slotStatus(): SlotStatus {
    return this.slots;
  }

  /** The runner's resident memory (VmRSS), read from /proc where there is one. */
  get memoryBytes(): number {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, "latin1");
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      if (kb) return Number(kb) * 1024;
    } catch {
      // not Linux, or the process just ended
    }
    return this.reportedRss;
  }

  /** Whether the runner is still there. */
  get alive(): boolean {
    return this.exit === null;
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.call({ kind: "chat", request: toWire(request), stream: streamFlags(request) }, request);
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.call({ kind: "complete", request: toWire(request), stream: streamFlags(request) }, request);
  }

  infill(request: InfillRequest): Promise<GenerationResult> {
    return this.call({ kind: "infill", request: toWire(request), stream: streamFlags(request) }, request);
  }

  countChatTokens(request: ChatRequest): Promise<number> {
    return this.call({ kind: "countChatTokens", request: toWire(request) }, { signal: request.signal });
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const result = await this.call<EmbeddingResult>({ kind: "embed", request: toWire(request) }, { signal: request.signal });
    // The IPC deserializer hands typed arrays back as views into its read buffer, which Node reuses
    // for later messages: each vector gets a buffer of its own before anyone keeps it.
    return { ...result, vectors: result.vectors.map((vector) => vector.slice()) };
  }

  /** A session of chat rounds on one slot of the runner, known there by its session id. */
  chatSession(signal: AbortSignal): ChatSession {
    const session = this.nextSession++;
    let released = false;
    this.send({ type: "session_open", session });
    const onAbort = () => this.send({ type: "session_abort", session });
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    return {
      chat: (round) => {
        if (released) return Promise.reject(new Error("chat session already released"));
        return this.call({ kind: "round", session, request: toWire(round), stream: streamFlags(round) }, round);
      },
      release: () => {
        if (released) return;
        released = true;
        signal.removeEventListener("abort", onAbort);
        this.send({ type: "session_release", session });
      },
    };
  }

  /** Ends the runner: a `dispose` message, then SIGTERM and SIGKILL if it lingers. Resolves once it has exited. */
  async dispose(): Promise<void> {
    if (this.exit) return;
    this.disposing = true;
    this.send({ type: "dispose" });
    if (await this.exitsWithin(EXIT_GRACE_MS)) return;
    this.child.kill("SIGTERM");
    if (await this.exitsWithin(KILL_GRACE_MS)) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  private exitsWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private listen(options: RunnerStartOptions): void {
    this.child.on("message", (message: FromRunner) => this.receive(message));
    this.child.once("exit", (code, signal) => {
      this.exit = { code, signal };
      // Give the last stderr lines a turn to arrive before they are read.
      setImmediate(() => {
        const failure = this.disposing
          ? retryLater("The model was unloaded; retry shortly.")
          : new ShimmyError("model_crashed", `The model "${this.id}" crashed (its runner process was ${describeExit(this.exit!)}); the next request starts it again.`);
        for (const call of this.calls.values()) {
          call.cleanup();
          call.reject(failure);
        }
        this.calls.clear();
        this.slots = { ...this.slots, busy: 0, waiting: 0 };
        if (!this.disposing) options.onCrash(this.exit!, this.tail.lines());
      });
    });
    // A failed send means the runner is gone; its exit rejects the calls.
    this.child.on("error", () => undefined);
  }

  private receive(message: FromRunner): void {
    switch (message.type) {
      case "text": this.calls.get(message.id)?.onText?.(message.text); break;
      case "tool_call": this.calls.get(message.id)?.onToolCall?.(message.delta); break;
      case "result": this.settle(message.id, (call) => call.resolve(message.value)); break;
      case "error": this.settle(message.id, (call) => call.reject(fromWireError(message.error as WireError))); break;
      case "report":
        this.slots = message.slots;
        this.reportedRss = message.rssBytes;
        break;
      default: break;
    }
  }

  private settle(id: number, finish: (call: PendingCall) => void): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    call.cleanup();
    finish(call);
  }

  private call<T>(call: RunnerCall, request: { signal?: AbortSignal; onText?: (text: string) => void; onToolCall?: (delta: ToolCallDelta) => void }): Promise<T> {
    if (this.exit) {
      return Promise.reject(new ShimmyError("model_crashed", `The model "${this.id}" crashed (its runner process was ${describeExit(this.exit)}); retry to start it again.`));
    }
    const id = this.nextId++;
    const { signal } = request;
    return new Promise<T>((resolve, reject) => {
      // An abort crosses at once: the runner stops the generation (or its wait) and frees the slot.
      const onAbort = () => this.send({ type: "abort", id });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.calls.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        onText: request.onText,
        onToolCall: request.onToolCall,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      });
      this.send({ type: "call", id, call });
      if (signal?.aborted) onAbort();
    });
  }

  private send(message: ToRunner): void {
    if (this.exit || !this.child.connected) return;
    // Errors come back through the callback (a closed channel): the exit handler fails the calls.
    this.child.send(message, undefined, undefined, () => undefined);
  }
}
