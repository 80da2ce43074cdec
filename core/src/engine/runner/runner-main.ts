/**
 * A runner: the child process that owns node-llama-cpp for one loaded model (its context, slots,
 * grammars, embeddings and token cache), forked by {@link RunnerModel} with libuv's pool pinned to
 * one thread (node-llama-cpp decodes on a pool thread, and hopping between threads is slow). It
 * loads its model, says `ready`, serves calls over IPC (protocol.ts) until told to `dispose`, and
 * kills itself the moment its parent goes away, so no runner outlives the server.
 * Usage (by fork only): node runner-main.js '<RunnerInit as JSON>'
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { GrammarCache } from "../grammar-cache.js";
import { LoadedModel } from "../loaded-model.js";
import type { ChatSession, ToolCallDelta } from "../types.js";
import { DeltaSender } from "./delta-sender.js";
import { toWireError, type FromRunner, type RunnerCall, type RunnerInit, type ToRunner } from "./protocol.js";

/** How often the slots are compared with the last report while calls run. */
const REPORT_INTERVAL_MS = 100;
/** How long freeing the model may take on `dispose` before the runner exits anyway. */
const DISPOSE_GRACE_MS = 1000;

// The server is gone (exited, killed, crashed): nothing is left to serve, and nothing to save.
process.on("disconnect", () => process.kill(process.pid, "SIGKILL"));
if (!process.send || !process.connected) process.kill(process.pid, "SIGKILL");

const init = JSON.parse(process.argv[2] ?? "{}") as RunnerInit;
const sender = new DeltaSender((message, done) => {
  if (process.connected) process.send!(message, undefined, undefined, done);
  else done(null);
});
const send = (message: FromRunner) => sender.now(message);

/**
 * llama.cpp's messages go to stderr, one line each with its level, written at once (a pipe is
 * synchronous on Linux): the server logs them and keeps the last lines, which say why when
 * llama.cpp aborts the process.
 */
function logLine(level: LlamaLogLevel, message: string): void {
  const text = message.trim();
  if (text) process.stderr.write(`${level}: ${text.replaceAll("\n", " ")}\n`);
}

async function loadModel(): Promise<LoadedModel> {
  let llama: Llama;
  try {
    llama = await getLlama({ build: "never", gpu: init.gpu === "off" ? false : (init.gpu as "auto"), maxThreads: init.threads, logLevel: LlamaLogLevel.warn, logger: logLine });
  } catch (err) {
    return fail("context", err);
  }
  const options = {
    ...init,
    onLoadProgress: (progress: number) => send({ type: "progress", progress }),
  };
  let weights;
  try {
    weights = await llama.loadModel({ modelPath: init.path, onLoadProgress: options.onLoadProgress });
  } catch (err) {
    return fail("weights", err);
  }
  try {
    const model = await LoadedModel.withContext(weights, options, new GrammarCache(llama));
    send({ type: "ready", contextSize: model.contextSize, chatFormat: model.chatFormat, gpu: llama.gpu || "cpu", slots: model.slotStatus, rssBytes: process.memoryUsage.rss() });
    return model;
  } catch (err) {
    return fail("context", err);
  }
}

/** Reports a failed load and exits once the report is written (exiting at once could drop it). */
function fail(stage: "weights" | "context", err: unknown): Promise<never> {
  process.send!({ type: "load_failed", stage, error: toWireError(err) } satisfies FromRunner, undefined, undefined, () => process.exit(1));
  return new Promise<never>(() => undefined);
}

serve(await loadModel());

function serve(model: LoadedModel): void {
  const calls = new Map<number, AbortController>();
  const sessions = new Map<number, { controller: AbortController; session: ChatSession }>();
  let reported = JSON.stringify(model.slotStatus);
  let timer: NodeJS.Timeout | undefined;

  /** Sends the slots when they changed since the last report; polls while calls run. */
  const report = () => {
    const slots = model.slotStatus;
    const now = JSON.stringify(slots);
    if (now !== reported) {
      reported = now;
      send({ type: "report", slots, rssBytes: process.memoryUsage.rss() });
    }
    if (calls.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    } else if (calls.size > 0 && !timer) {
      timer = setInterval(report, REPORT_INTERVAL_MS);
    }
  };

  const run = async (id: number, call: RunnerCall) => {
    const controller = new AbortController();
    calls.set(id, controller);
    report();
    const signal = controller.signal;
    const stream = "stream" in call ? call.stream : { text: false, toolCalls: false };
    const onText = stream.text ? (text: string) => sender.delta({ type: "text", id, text }) : undefined;
    const onToolCall = stream.toolCalls ? (delta: ToolCallDelta) => sender.delta({ type: "tool_call", id, delta }) : undefined;
    const base = { model: model.id, signal, onText, onToolCall };
    try {
      let value;
      switch (call.kind) {
        case "chat": value = await model.chat({ ...call.request, ...base }); break;
        case "complete": value = await model.complete({ ...call.request, ...base }); break;
        case "infill": value = await model.infill({ ...call.request, ...base }); break;
        case "countChatTokens": value = model.countChatTokens({ ...call.request, ...base }); break;
        case "embed": value = await model.embed({ ...call.request, model: model.id, signal }); break;
        case "round": {
          const open = sessions.get(call.session);
          if (!open) throw new Error("chat session already released");
          value = await open.session.chat({ ...call.request, onText, onToolCall });
          break;
        }
      }
      send({ type: "result", id, value });
    } catch (err) {
      send({ type: "error", id, error: toWireError(err) });
    } finally {
      calls.delete(id);
      report();
    }
  };

  const dispose = async () => {
    for (const controller of calls.values()) controller.abort();
    for (const { session } of sessions.values()) session.release();
    await Promise.race([model.dispose(), new Promise((resolve) => setTimeout(resolve, DISPOSE_GRACE_MS))]).catch(() => undefined);
    process.exit(0);
  };

  process.on("message", (message: ToRunner) => {
    switch (message.type) {
      case "call": void run(message.id, message.call); break;
      case "abort": calls.get(message.id)?.abort(); break;
      case "session_open": {
        const controller = new AbortController();
        sessions.set(message.session, { controller, session: model.chatSession(controller.signal) });
        break;
      }
      case "session_abort": sessions.get(message.session)?.controller.abort(); break;
      case "session_release": {
        sessions.get(message.session)?.session.release();
        sessions.delete(message.session);
        report();
        break;
      }
      case "dispose": void dispose(); break;
    }
  });
}
