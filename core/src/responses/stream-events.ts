/**
 * The server-sent events of a streamed response, in the order OpenAI sends them: `response.created`,
 * `response.in_progress`, then per output item `output_item.added`, its content or argument
 * deltas and their `done` events, `output_item.done`, and last `response.completed` (or
 * `.incomplete`, `.failed`). Each event carries `type` and a `sequence_number` counting from 0, and is
 * framed as OpenAI frames it (`event: TYPE` then `data: JSON`); no `[DONE]` line ends the stream.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { callItemId, finalStatus, outputFunctionCall, outputMessage, outputText, responseObject, type OutputIds, type ResponseHead } from "./response-object.js";

/** Builds the events of one streamed response; each method returns the text to write. */
export class ResponseEventStream {
  readonly #head: ResponseHead;
  readonly #ids: OutputIds;
  #sequence = 0;
  #outputIndex = 0;
  /** What is open now: the message (with its text so far) or a function call (by tool call index). */
  #open: { kind: "message"; text: string } | { kind: "call"; index: number; callId: string; name: string; arguments: string } | null = null;
  #messageDone = false;

  constructor(head: ResponseHead, ids: OutputIds) {
    this.#head = head;
    this.#ids = ids;
  }

  /** `response.created` and `response.in_progress`. */
  start(): string {
    const response = responseObject(this.#head, { status: "in_progress" });
    return this.#event("response.created", { response }) + this.#event("response.in_progress", { response });
  }

  /** A piece of the answer's text, opening the message item on the first. */
  text(delta: string): string {
    if (delta === "") return "";
    let out = "";
    if (this.#open?.kind !== "message") out += this.#closeOpen() + this.#openMessage();
    (this.#open as { text: string }).text += delta;
    return out + this.#event("response.output_text.delta", { ...this.#textPosition(), delta, logprobs: [] });
  }

  /** A piece of a tool call: its first piece opens a function call item, later ones add arguments. */
  toolCall(delta: ToolCallDelta): string {
    let out = "";
    if (delta.id !== undefined) {
      out += this.#closeOpen();
      this.#open = { kind: "call", index: delta.index, callId: delta.id, name: delta.name ?? "", arguments: "" };
      const item = outputFunctionCall(callItemId(this.#ids, delta.index), { id: delta.id, name: delta.name ?? "", arguments: "" }, "in_progress");
      out += this.#event("response.output_item.added", { output_index: this.#outputIndex, item });
    }
    if (delta.arguments && this.#open?.kind === "call") {
      this.#open.arguments += delta.arguments;
      out += this.#event("response.function_call_arguments.delta", { item_id: callItemId(this.#ids, this.#open.index), output_index: this.#outputIndex, delta: delta.arguments });
    }
    return out;
  }

  /** Closes what is open (an answer with no output gets its empty message) and ends the response. */
  finish(result: GenerationResult): string {
    let out = this.#closeOpen(result);
    if (!this.#messageDone && (result.toolCalls ?? []).length === 0) out += this.#openMessage() + this.#closeOpen(result);
    const status = finalStatus(result);
    const response = responseObject(this.#head, { status, result, ids: this.#ids });
    return out + this.#event(status === "completed" ? "response.completed" : "response.incomplete", { response });
  }

  /** `response.failed`, with the error as OpenAI's response object carries it. */
  fail(error: { code: string; message: string }): string {
    return this.#event("response.failed", { response: responseObject(this.#head, { status: "failed", error }) });
  }

  #openMessage(): string {
    this.#open = { kind: "message", text: "" };
    const item = { ...outputMessage(this.#ids.message, "", "in_progress"), content: [] };
    return (
      this.#event("response.output_item.added", { output_index: this.#outputIndex, item }) +
      this.#event("response.content_part.added", { ...this.#textPosition(), part: outputText("") })
    );
  }

  /** The `done` events of the open item; the finished result, when given, has the final text and arguments. */
  #closeOpen(result?: GenerationResult): string {
    const open = this.#open;
    if (!open) return "";
    const status = result?.finishReason === "length" ? "incomplete" : "completed";
    let out: string;
    if (open.kind === "message") {
      const text = open.text;
      out =
        this.#event("response.output_text.done", { ...this.#textPosition(), text, logprobs: [] }) +
        this.#event("response.content_part.done", { ...this.#textPosition(), part: outputText(text) }) +
        this.#event("response.output_item.done", { output_index: this.#outputIndex, item: outputMessage(this.#ids.message, text, status) });
      this.#messageDone = true;
    } else {
      const call = result?.toolCalls?.[open.index];
      const args = call?.arguments ?? open.arguments;
      const itemId = callItemId(this.#ids, open.index);
      out =
        this.#event("response.function_call_arguments.done", { item_id: itemId, output_index: this.#outputIndex, name: open.name, arguments: args }) +
        this.#event("response.output_item.done", {
          output_index: this.#outputIndex,
          item: outputFunctionCall(itemId, { id: open.callId, name: open.name, arguments: args }, status),
        });
    }
    this.#open = null;
    this.#outputIndex++;
    return out;
  }

  #textPosition() {
    return { item_id: this.#ids.message, output_index: this.#outputIndex, content_index: 0 };
  }

  #event(type: string, fields: object): string {
    const data = JSON.stringify({ type, sequence_number: this.#sequence++, ...fields });
    return `event: ${type}\ndata: ${data}\n\n`;
  }
}
