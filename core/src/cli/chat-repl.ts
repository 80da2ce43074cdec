/**
 * The interactive chat of `shimmy run`: reads lines from any input stream, keeps the conversation,
 * and streams each answer to the output as it comes. The completion source and the streams are
 * injected, so the loop runs the same over a terminal and over PassThrough streams in tests.
 *
 * Input as Ollama's `run` takes it: a line ending in `\` continues on the next line, `"""` opens and
 * closes a block of lines, and lines starting with `/` are commands (`/help`).
 */
import readline from "node:readline";
import type { ChatMessage } from "./api-client.js";

/** What {@link CompletionSource} is given besides the conversation. */
export interface CompletionRequest {
  /** Called with each piece of the answer as it arrives. */
  onText(text: string): void;
  /** Aborted when the user stops the answer (Ctrl-C). */
  signal: AbortSignal;
}

/**
 * Answers a conversation, streaming through `onText`; resolves with `stopped: true` when the
 * signal stopped it, and rejects when the answer failed.
 */
export type CompletionSource = (messages: readonly ChatMessage[], request: CompletionRequest) => Promise<{ stopped: boolean }>;

/** Options of {@link ChatRepl}. */
export interface ChatReplOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Where failures of one answer go. @default output */
  errorOutput?: NodeJS.WritableStream;
  complete: CompletionSource;
  /** The system message to start with. @default null */
  system?: string | null;
  /** Line editing, history and Ctrl-C as keys; off for pipes. @default output.isTTY */
  terminal?: boolean;
  /** Earlier input lines, oldest first, for the up arrow. @default [] */
  history?: readonly string[];
  /** How many input lines the history keeps. @default 500 */
  historySize?: number;
  /** Called with the history, oldest first, each time a line joins it (terminal mode only). */
  onHistory?(lines: string[]): void;
}

/** The prompt of a new message, and of its continuation lines. */
export const PROMPT = ">>> ";
export const CONTINUATION_PROMPT = "... ";

/** The text of `/help`. */
export const REPL_HELP = [
  "Commands:",
  "  /system TEXT   Set the system message (/system alone shows it)",
  "  /clear         Forget the conversation (the system message stays)",
  "  /help          Show this help",
  "  /bye           Exit (or Ctrl-D)",
  "",
  "End a line with \\ to continue on the next one, or put a block between \"\"\" lines.",
  "Ctrl-C stops the answer being written; twice at an empty prompt, it exits.",
  "",
].join("\n");

type ReplEvent = { kind: "line"; text: string } | { kind: "interrupt"; lineTyped: boolean } | { kind: "close" };

const BLOCK = '"""';

/**
 * One chat session over a pair of streams.
 *
 * @example
 * const repl = new ChatRepl({ input: process.stdin, output: process.stdout, complete });
 * await repl.run();
 */
export class ChatRepl {
  private readonly options: ChatReplOptions;
  private readonly rl: readline.Interface;
  private readonly terminal: boolean;
  private readonly conversation: ChatMessage[] = [];
  private system: string | null;
  private readonly events: ReplEvent[] = [];
  private wake: (() => void) | null = null;
  /** Lines of a `"""` block being typed; null outside one. */
  private block: string[] | null = null;
  /** Lines that ended in `\`, waiting for the last one. */
  private continued: string[] = [];
  /** The answer being written, to stop on Ctrl-C. */
  private answering: AbortController | null = null;
  /** Ctrl-C pressed at an empty prompt, not yet followed by anything else. */
  private interruptedAtPrompt = false;
  /** Set when readline closes (Ctrl-D, input ended): prompting then throws on Node 24, not on 20. */
  private closed = false;

  constructor(options: ChatReplOptions) {
    this.options = options;
    this.system = options.system ?? null;
    this.terminal = options.terminal ?? (options.output as { isTTY?: boolean }).isTTY === true;
    this.rl = readline.createInterface({
      input: options.input,
      output: options.output,
      terminal: this.terminal,
      // readline wants the newest first.
      history: [...(options.history ?? [])].reverse(),
      historySize: options.historySize ?? 500,
      removeHistoryDuplicates: true,
    });
    this.rl.on("line", (text) => this.push({ kind: "line", text }));
    this.rl.on("close", () => {
      this.closed = true;
      this.push({ kind: "close" });
    });
    // Only a terminal turns Ctrl-C into this event; in raw mode it is a key, not a signal.
    this.rl.on("SIGINT", () => this.interrupt());
    this.rl.on("history", (lines: string[]) => this.options.onHistory?.([...lines].reverse()));
  }

  /** The conversation so far, without the system message. */
  get messages(): readonly ChatMessage[] {
    return this.conversation;
  }

  /** The system message in force, or null. */
  get systemMessage(): string | null {
    return this.system;
  }

  /**
   * What Ctrl-C does: stops the answer being written; at the prompt, drops what was typed, and a
   * second one in a row at an empty prompt ends the session.
   */
  interrupt(): void {
    if (this.answering) {
      this.answering.abort();
      return;
    }
    const lineTyped = this.terminal && this.rl.line !== "";
    this.push({ kind: "interrupt", lineTyped });
  }

  /** Runs the session until `/bye`, Ctrl-D (the end of the input) or a second Ctrl-C. */
  async run(): Promise<void> {
    try {
      this.prompt();
      for (;;) {
        const event = await this.next();
        if (event.kind === "close") break;
        if (event.kind === "interrupt") {
          if (this.onInterrupt(event.lineTyped) === "exit") break;
          continue;
        }
        this.interruptedAtPrompt = false;
        const text = this.collect(event.text);
        if (text === undefined) {
          this.prompt(CONTINUATION_PROMPT);
          continue;
        }
        if ((await this.handle(text)) === "bye") break;
        this.prompt();
      }
    } finally {
      this.rl.close();
    }
  }

  private push(event: ReplEvent): void {
    this.events.push(event);
    this.wake?.();
  }

  private async next(): Promise<ReplEvent> {
    while (this.events.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
    return this.events.shift()!;
  }

  private prompt(text = PROMPT): void {
    if (this.closed) return; // the close event is queued: the loop ends on it
    this.rl.setPrompt(text);
    this.rl.prompt();
  }

  private write(text: string): void {
    this.options.output.write(text);
  }

  private onInterrupt(lineTyped: boolean): "exit" | "stay" {
    const pending = lineTyped || this.block !== null || this.continued.length > 0;
    this.block = null;
    this.continued = [];
    if (pending) {
      this.interruptedAtPrompt = false;
      if (this.terminal) {
        // Ctrl-E then Ctrl-U: to the end of the line, then delete it all.
        this.rl.write(null, { ctrl: true, name: "e" });
        this.rl.write(null, { ctrl: true, name: "u" });
      }
      this.write("\n");
      this.prompt();
      return "stay";
    }
    if (this.interruptedAtPrompt) {
      this.write("\n");
      return "exit";
    }
    this.interruptedAtPrompt = true;
    this.write("\nUse Ctrl-D or /bye to exit, or press Ctrl-C again.\n");
    this.prompt();
    return "stay";
  }

  /** Adds a line to the message being typed; returns the whole message once it is complete. */
  private collect(line: string): string | undefined {
    if (this.block !== null) {
      const trimmed = line.trimEnd();
      if (!trimmed.endsWith(BLOCK)) {
        this.block.push(line);
        return undefined;
      }
      const last = trimmed.slice(0, -BLOCK.length);
      const lines = last === "" ? this.block : [...this.block, last];
      this.block = null;
      return lines.join("\n");
    }
    if (this.continued.length === 0 && line.startsWith(BLOCK)) {
      const rest = line.slice(BLOCK.length).trimEnd();
      if (rest.endsWith(BLOCK)) return rest.slice(0, -BLOCK.length);
      this.block = rest === "" ? [] : [rest];
      return undefined;
    }
    if (line.endsWith("\\")) {
      this.continued.push(line.slice(0, -1));
      return undefined;
    }
    const lines = [...this.continued, line];
    this.continued = [];
    return lines.join("\n");
  }

  private async handle(text: string): Promise<"bye" | "more"> {
    if (text.trim() === "") return "more";
    if (text.startsWith("/")) return this.command(text);
    await this.answer(text);
    return "more";
  }

  private command(text: string): "bye" | "more" {
    const [name = "", ...words] = text.trim().split(/\s+/);
    const argument = text.trim().slice(name.length).trim();
    switch (name) {
      case "/bye":
        return "bye";
      case "/help":
      case "/?":
        this.write(REPL_HELP);
        return "more";
      case "/clear":
        this.conversation.length = 0;
        this.write("Cleared the conversation.\n");
        return "more";
      case "/system":
        if (words.length === 0) {
          this.write(this.system === null ? "No system message.\n" : `System message: ${this.system}\n`);
        } else {
          this.system = argument;
          this.write("Set the system message.\n");
        }
        return "more";
      default:
        this.write(`Unknown command ${name}. Type /help for the commands.\n`);
        return "more";
    }
  }

  /** Sends the conversation with `text` added and streams the answer. */
  private async answer(text: string): Promise<void> {
    this.conversation.push({ role: "user", content: text });
    const messages: ChatMessage[] = this.system === null ? [...this.conversation] : [{ role: "system", content: this.system }, ...this.conversation];
    const controller = new AbortController();
    this.answering = controller;
    let reply = "";
    try {
      await this.options.complete(messages, {
        signal: controller.signal,
        onText: (piece) => {
          reply += piece;
          this.write(piece);
        },
      });
    } catch (err) {
      // The question stays out of the conversation, so asking again does not send it twice.
      this.conversation.pop();
      if (reply !== "") this.write("\n");
      (this.options.errorOutput ?? this.options.output).write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    } finally {
      this.answering = null;
    }
    // A stopped answer is kept as far as it went: the conversation holds what the user saw.
    if (reply !== "") this.conversation.push({ role: "assistant", content: reply });
    else this.conversation.pop();
    this.write(reply.endsWith("\n") || reply === "" ? "\n" : "\n\n");
  }
}
