import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "./api-client.js";
import { ChatRepl, REPL_HELP, type CompletionRequest, type CompletionSource } from "./chat-repl.js";

/** A completion source that answers `echo: QUESTION` in two pieces and records what it was sent. */
function echoSource() {
  const calls: ChatMessage[][] = [];
  const complete: CompletionSource = async (messages, request) => {
    calls.push(messages.map((m) => ({ ...m })));
    const question = messages.at(-1)!.content;
    request.onText("echo: ");
    request.onText(question);
    return { stopped: false };
  };
  return { calls, complete };
}

/** A REPL over PassThrough streams, with everything it wrote collected. */
function startRepl(complete: CompletionSource, options: { terminal?: boolean; system?: string; onHistory?: (lines: string[]) => void } = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let written = "";
  let errorText = "";
  output.on("data", (chunk: Buffer) => (written += chunk.toString()));
  errors.on("data", (chunk: Buffer) => (errorText += chunk.toString()));
  const repl = new ChatRepl({ input, output, errorOutput: errors, complete, terminal: options.terminal ?? false, system: options.system, onHistory: options.onHistory });
  const done = repl.run();
  return {
    repl,
    input,
    done,
    type: (text: string) => input.write(text),
    output: () => written,
    errors: () => errorText,
  };
}

/** A completion source that writes `partial` and then waits for its signal, as a long answer would. */
function stalledSource() {
  const calls: ChatMessage[][] = [];
  let started: () => void = () => undefined;
  let onStart = new Promise<void>((resolve) => (started = resolve));
  let lastRequest: CompletionRequest | undefined;
  const complete: CompletionSource = async (messages, request) => {
    calls.push(messages.map((m) => ({ ...m })));
    lastRequest = request;
    if (calls.length > 1) {
      request.onText("second answer");
      return { stopped: false };
    }
    request.onText("partial");
    started();
    await new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve(), { once: true }));
    return { stopped: true };
  };
  return {
    calls,
    complete,
    started: () => onStart,
    signal: () => lastRequest!.signal,
    reset: () => (onStart = new Promise<void>((resolve) => (started = resolve))),
  };
}

describe("ChatRepl", () => {
  it("streams each answer after the prompt and keeps the conversation", async () => {
    const source = echoSource();
    const session = startRepl(source.complete);
    session.type("hello\nhow are you\n");
    session.input.end();
    await session.done;
    expect(session.output()).toBe(">>> echo: hello\n\n>>> echo: how are you\n\n>>> ");
    expect(source.calls[1]).toEqual([
      { role: "user", content: "hello" },
      { role: "assistant", content: "echo: hello" },
      { role: "user", content: "how are you" },
    ]);
    expect(session.repl.messages).toHaveLength(4);
  });

  it("/help prints the commands, an unknown command says so, and neither is sent", async () => {
    const source = echoSource();
    const session = startRepl(source.complete);
    session.type("/help\n/frobnicate now\n");
    session.input.end();
    await session.done;
    expect(session.output()).toContain(REPL_HELP);
    expect(session.output()).toContain("Unknown command /frobnicate. Type /help for the commands.\n");
    expect(source.calls).toEqual([]);
  });

  it("/system sets the system message sent first, and /system alone shows it", async () => {
    const source = echoSource();
    const session = startRepl(source.complete, { system: "Be brief." });
    session.type("/system\n/system Answer in French.\n/system\nbonjour\n");
    session.input.end();
    await session.done;
    expect(session.output()).toContain("System message: Be brief.\n");
    expect(session.output()).toContain("System message: Answer in French.\n");
    expect(source.calls[0]![0]).toEqual({ role: "system", content: "Answer in French." });
    expect(session.repl.systemMessage).toBe("Answer in French.");
  });

  it("/clear forgets the conversation but keeps the system message", async () => {
    const source = echoSource();
    const session = startRepl(source.complete, { system: "S" });
    session.type("one\ntwo\n/clear\nthree\n");
    session.input.end();
    await session.done;
    expect(session.output()).toContain("Cleared the conversation.\n");
    expect(source.calls[1]).toHaveLength(4);
    expect(source.calls[2]).toEqual([
      { role: "system", content: "S" },
      { role: "user", content: "three" },
    ]);
  });

  it("/bye ends the session and ignores what follows", async () => {
    const source = echoSource();
    const session = startRepl(source.complete);
    session.type("/bye\nnever sent\n");
    await session.done;
    expect(source.calls).toEqual([]);
    session.input.end();
  });

  it("joins lines ending in a backslash into one message", async () => {
    const source = echoSource();
    const session = startRepl(source.complete);
    session.type("first line\\\nsecond line\\\nthird\n");
    session.input.end();
    await session.done;
    expect(source.calls).toHaveLength(1);
    expect(source.calls[0]![0]!.content).toBe("first line\nsecond line\nthird");
    expect(session.output()).toBe(">>> ... ... echo: first line\nsecond line\nthird\n\n>>> ");
  });

  it('takes a block between """ lines as one message, backslashes and all', async () => {
    const source = echoSource();
    const session = startRepl(source.complete);
    session.type('"""\ndef f():\\\n  return 1\n"""\n"""one-line block"""\n"""starts here\nends here"""\n');
    session.input.end();
    await session.done;
    expect(source.calls.map((c) => c.at(-1)!.content)).toEqual(["def f():\\\n  return 1", "one-line block", "starts here\nends here"]);
  });

  it("Ctrl-C stops the answer being written, keeps what was written, and the session goes on", async () => {
    const source = stalledSource();
    const session = startRepl(source.complete);
    session.type("tell me everything\n");
    await source.started();
    session.repl.interrupt();
    expect(source.signal().aborted).toBe(true);
    session.type("and then?\n");
    session.input.end();
    await session.done;
    expect(source.calls[1]).toEqual([
      { role: "user", content: "tell me everything" },
      { role: "assistant", content: "partial" },
      { role: "user", content: "and then?" },
    ]);
    expect(session.output()).toBe(">>> partial\n\n>>> second answer\n\n>>> ");
  });

  it("a second Ctrl-C in a row at an empty prompt ends the session; one in between does not", async () => {
    const source = echoSource();
    const session = startRepl(source.complete);
    session.repl.interrupt();
    session.type("still here\n");
    session.repl.interrupt();
    session.repl.interrupt();
    await session.done;
    expect(source.calls).toHaveLength(1);
    expect(session.output().match(/Use Ctrl-D or \/bye to exit/g)).toHaveLength(2);
    session.input.end();
  });

  it("Ctrl-C drops a block being typed instead of exiting", async () => {
    const source = echoSource();
    const session = startRepl(source.complete);
    session.type('"""\nhalf a thought\n');
    // Lines reach the REPL on the next turn of the event loop; wait for them before the key.
    await new Promise((resolve) => setImmediate(resolve));
    session.repl.interrupt();
    session.type("fresh\n");
    session.input.end();
    await session.done;
    expect(source.calls.map((c) => c.at(-1)!.content)).toEqual(["fresh"]);
    expect(session.output()).not.toContain("Use Ctrl-D");
  });

  it("reports a failed answer on the error output and leaves the question out of the conversation", async () => {
    let calls = 0;
    const session = startRepl(async (messages, request) => {
      calls++;
      if (calls === 1) throw new Error('model "nope" not found');
      request.onText(`${messages.length} message(s)`);
      return { stopped: false };
    });
    session.type("first\nsecond\n");
    session.input.end();
    await session.done;
    expect(session.errors()).toBe('Error: model "nope" not found\n');
    expect(session.output()).toContain("1 message(s)");
  });

  it("on a terminal, Ctrl-C is a key that stops the answer, and each line joins the history", async () => {
    const source = stalledSource();
    const histories: string[][] = [];
    const session = startRepl(source.complete, { terminal: true, onHistory: (lines) => histories.push(lines) });
    session.type("tell me\r");
    await source.started();
    session.type("\x03");
    expect(source.signal().aborted).toBe(true);
    session.type("next\r");
    // Ctrl-D on an empty line ends a terminal session.
    session.type("\x04");
    await session.done;
    expect(source.calls).toHaveLength(2);
    expect(session.output()).toContain("partial");
    expect(session.output()).toContain("second answer");
    expect(histories.at(-1)).toEqual(["tell me", "next"]);
    session.input.end();
  });
});
