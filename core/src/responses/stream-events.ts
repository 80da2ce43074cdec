/**
 * The output of one response as it is generated, and the server-sent events that tell it, in the
 * order OpenAI sends them: `response.created`, `response.in_progress`, then per output item
 * `output_item.added`, its content or argument deltas and their `done` events, `output_item.done`,
 * and last `response.completed` (or `.incomplete`, `.failed`). Each event carries `type` and a
 * `sequence_number` counting from 0, and is framed as OpenAI frames it (`event: TYPE` then
 * `data: JSON`); no `[DONE]` line ends the stream. A response that is not streamed is built by the
 * same class (its event text unread), so `output` is the same items in the same order either way.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { randomId } from "../ids.js";
import { toolTurnText, type ToolTraceEntry } from "../tools/tool-trace.js";
import {
  callItemId, finalStatus, outputCallResult, outputFunctionCall, outputMessage, outputText, responseObject, type OutputIds, type ResponseHead,
} from "./response-object.js";
import type { OutputFileSearchCall, OutputItem, ResponseObject, ResponseStatus } from "./types.js";

type OpenItem = { kind: "message"; id: string; text: string } | { kind: "call"; index: number; callId: string; name: string; arguments: string };

/** Builds the output and the events of one response; each method returns the text to write. */
export class ResponseEventStream {
  private sequence = 0;
  /** The items finished so far, in output order. */
  private readonly closed: OutputItem[] = [];
  /** The item being generated: the message (with its text so far) or a client tool call. */
  private open: OpenItem | null = null;
  private messages = 0;
  /** Annotations the first message's text gets when it closes (the server's `file_search` citations), given its length. */
  private citations: ((textLength: number) => unknown[]) | null = null;

  constructor(
    private readonly head: ResponseHead,
    private readonly ids: OutputIds,
  ) {}

  /** The output items so far: the finished ones, and the one in progress as it stands. */
  get output(): OutputItem[] {
    const open = this.open;
    if (!open) return [...this.closed];
    const item =
      open.kind === "message"
        ? outputMessage(open.id, open.text, "in_progress")
        : outputFunctionCall(callItemId(this.ids, open.index), { id: open.callId, name: open.name, arguments: open.arguments }, "in_progress");
    return [...this.closed, item];
  }

  /** The response as it stands, for a background response read while it runs. */
  snapshot(status: ResponseStatus, error?: { code: string; message: string }): ResponseObject {
    return responseObject(this.head, { status, output: this.output, ...(error ? { error } : {}) });
  }

  /** `response.created` and `response.in_progress`. */
  start(): string {
    const response = responseObject(this.head, { status: "in_progress" });
    return this.event("response.created", { response }) + this.event("response.in_progress", { response });
  }

  /** A piece of the answer's text, opening a message item on the first. */
  text(delta: string): string {
    if (delta === "") return "";
    let out = "";
    if (this.open?.kind !== "message") out += this.closeOpen() + this.openMessage();
    (this.open as { text: string }).text += delta;
    return out + this.event("response.output_text.delta", { ...this.textPosition(), delta, logprobs: [] });
  }

  /** A piece of a client tool call: its first piece opens a function call item, later ones add arguments. */
  toolCall(delta: ToolCallDelta): string {
    let out = "";
    if (delta.id !== undefined) {
      out += this.closeOpen();
      this.open = { kind: "call", index: delta.index, callId: delta.id, name: delta.name ?? "", arguments: "" };
      const item = outputFunctionCall(callItemId(this.ids, delta.index), { id: delta.id, name: delta.name ?? "", arguments: "" }, "in_progress");
      out += this.event("response.output_item.added", { output_index: this.closed.length, item });
    }
    if (delta.arguments && this.open?.kind === "call") {
      this.open.arguments += delta.arguments;
      out += this.event("response.function_call_arguments.delta", { item_id: callItemId(this.ids, this.open.index), output_index: this.closed.length, delta: delta.arguments });
    }
    return out;
  }

  /**
   * The server's `file_search`, run before the model answers: its finished `file_search_call` item,
   * told as OpenAI tells it (`output_item.added` in progress, `file_search_call.in_progress`,
   * `.searching`, `.completed`, then `output_item.done`); `citations` are put on the answer's text
   * when it closes, each with its `output_text.annotation.added` event.
   */
  fileSearch(call: OutputFileSearchCall, citations: (textLength: number) => unknown[]): string {
    let out = this.closeOpen();
    const position = { output_index: this.closed.length, item_id: call.id };
    out +=
      this.event("response.output_item.added", { output_index: position.output_index, item: { ...call, status: "in_progress", queries: [], results: null } }) +
      this.event("response.file_search_call.in_progress", position) +
      this.event("response.file_search_call.searching", position) +
      this.event("response.file_search_call.completed", position);
    this.citations = citations;
    return out + this.add(call);
  }

  /**
   * The plugin calls a round of the server's tool loop ran: each as a finished `function_call` item
   * followed by its `function_call_output` item (what the model was shown), so a stored run reads back.
   */
  pluginCalls(entries: readonly ToolTraceEntry[]): string {
    let out = "";
    for (const entry of entries) {
      if (entry.type !== "tool_call") continue;
      out += this.closeOpen();
      const args = typeof entry.arguments === "string" ? entry.arguments : JSON.stringify(entry.arguments);
      const callId = randomId("fc_");
      const call = { id: entry.id, name: entry.name, arguments: args };
      out +=
        this.event("response.output_item.added", { output_index: this.closed.length, item: outputFunctionCall(callId, { ...call, arguments: "" }, "in_progress") }) +
        this.event("response.function_call_arguments.done", { item_id: callId, output_index: this.closed.length, name: entry.name, arguments: args });
      out += this.add(outputFunctionCall(callId, call, "completed"));
      const result = outputCallResult(randomId("fco_"), entry.id, toolTurnText(entry));
      out += this.event("response.output_item.added", { output_index: this.closed.length, item: result }) + this.add(result);
    }
    return out;
  }

  /**
   * Closes what is open (an answer with no text and no client call gets its empty message) and
   * ends the response; {@link output} is then the response's `output`.
   */
  finish(result: GenerationResult): string {
    let out = this.closeOpen(result);
    const answered = this.closed.some((item) => item.type === "message") || (result.toolCalls ?? []).length > 0;
    if (!answered) out += this.openMessage() + this.closeOpen(result);
    const status = finalStatus(result);
    const response = responseObject(this.head, { status, result, output: this.output });
    return out + this.event(status === "completed" ? "response.completed" : "response.incomplete", { response });
  }

  /** `response.failed`, with the error as OpenAI's response object carries it. */
  fail(error: { code: string; message: string }): string {
    return this.event("response.failed", { response: responseObject(this.head, { status: "failed", error }) });
  }

  private openMessage(): string {
    // The first message has the id chosen up front; one after server-side calls gets its own.
    const id = this.messages++ === 0 ? this.ids.message : randomId("msg_");
    this.open = { kind: "message", id, text: "" };
    const item = { ...outputMessage(id, "", "in_progress"), content: [] };
    return (
      this.event("response.output_item.added", { output_index: this.closed.length, item }) +
      this.event("response.content_part.added", { ...this.textPosition(), part: outputText("") })
    );
  }

  /** The `done` events of the open item; the finished result, when given, has the final text and arguments. */
  private closeOpen(result?: GenerationResult): string {
    const open = this.open;
    if (!open) return "";
    const status = result?.finishReason === "length" ? "incomplete" : "completed";
    let out: string;
    if (open.kind === "message") {
      const text = open.text;
      const annotations = this.citations?.(text.length) ?? [];
      this.citations = null; // the first message only
      out = annotations.map((annotation, i) => this.event("response.output_text.annotation.added", { ...this.textPosition(), annotation_index: i, annotation })).join("");
      const part = { ...outputText(text), annotations };
      out +=
        this.event("response.output_text.done", { ...this.textPosition(), text, logprobs: [] }) +
        this.event("response.content_part.done", { ...this.textPosition(), part });
      this.open = null;
      out += this.add({ ...outputMessage(open.id, text, status), content: [part] });
    } else {
      const call = result?.toolCalls?.[open.index];
      const args = call?.arguments ?? open.arguments;
      const itemId = callItemId(this.ids, open.index);
      out = this.event("response.function_call_arguments.done", { item_id: itemId, output_index: this.closed.length, name: open.name, arguments: args });
      this.open = null;
      out += this.add(outputFunctionCall(itemId, { id: open.callId, name: open.name, arguments: args }, status));
    }
    return out;
  }

  /** Records a finished item and returns its `output_item.done`. */
  private add(item: OutputItem): string {
    const out = this.event("response.output_item.done", { output_index: this.closed.length, item });
    this.closed.push(item);
    return out;
  }

  private textPosition() {
    const id = this.open?.kind === "message" ? this.open.id : this.ids.message;
    return { item_id: id, output_index: this.closed.length, content_index: 0 };
  }

  private event(type: string, fields: object): string {
    const data = JSON.stringify({ type, sequence_number: this.sequence++, ...fields });
    return `event: ${type}\ndata: ${data}\n\n`;
  }
}
