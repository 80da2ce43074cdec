/**
 * The server-sent events of one streamed Messages answer, in the order Anthropic sends them:
 * `message_start`, then per content block `content_block_start`, its `content_block_delta`s
 * (`text_delta` for text, `input_json_delta` for a tool call's input) and `content_block_stop`,
 * then `message_delta` (the stop reason and the usage) and `message_stop`. Each event is framed
 * as Anthropic frames it, `event: TYPE` then `data: JSON` with the same `type`; no `[DONE]` line.
 *
 * The prompt's token count is known only when the generation ends, so `message_start` carries
 * `input_tokens: 0` and `message_delta` the real count (Anthropic's SDK takes it from there).
 *
 * @example
 * const events = new MessageEventStream({ id: newMessageId(), model });
 * write(events.start());
 * const result = await generate((text) => write(events.text(text)), (delta) => write(events.toolCall(delta)));
 * write(events.finish(result));
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { toStopReason, type MessageMeta } from "./convert-response.js";

/** One SSE event: its name and, as Anthropic sends them, the same name as the data's `type`. */
function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Builds the events of one answer; each method returns the text to write. */
export class MessageEventStream {
  /** Index of the next block; the open one is `next - 1` while `open` is set. */
  private next = 0;
  private open: "text" | "tool_use" | null = null;

  constructor(private readonly meta: MessageMeta) {}

  /** `message_start`, with an empty message. */
  start(): string {
    const message = {
      id: this.meta.id, type: "message", role: "assistant", model: this.meta.model, content: [],
      stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 },
    };
    return event("message_start", { message });
  }

  /** A piece of the answer's text, opening a text block on the first piece after another block. */
  text(text: string): string {
    if (text === "") return "";
    const head = this.open === "text" ? "" : this.openBlock("text", { type: "text", text: "" });
    return head + event("content_block_delta", { index: this.next - 1, delta: { type: "text_delta", text } });
  }

  /** A piece of a tool call: its first piece (with `id`) opens a `tool_use` block, later ones add input JSON. */
  toolCall(delta: ToolCallDelta): string {
    let out = "";
    if (delta.id !== undefined) out += this.openBlock("tool_use", { type: "tool_use", id: delta.id, name: delta.name ?? "", input: {} });
    if (delta.arguments && this.open === "tool_use") {
      out += event("content_block_delta", { index: this.next - 1, delta: { type: "input_json_delta", partial_json: delta.arguments } });
    }
    return out;
  }

  /**
   * Closes the open block, then `message_delta` and `message_stop`. An answer with no block at all
   * gets an empty text block, as the non-streamed answer has.
   */
  finish(result: Pick<GenerationResult, "finishReason" | "stopSequence" | "promptTokens" | "completionTokens">): string {
    const head = this.next === 0 ? this.openBlock("text", { type: "text", text: "" }) : "";
    const stopReason = toStopReason(result);
    const delta = { stop_reason: stopReason, stop_sequence: stopReason === "stop_sequence" ? result.stopSequence : null };
    return (
      head + this.closeOpen() +
      event("message_delta", { delta, usage: { input_tokens: result.promptTokens, output_tokens: result.completionTokens } }) +
      event("message_stop", {})
    );
  }

  private openBlock(kind: "text" | "tool_use", block: Record<string, unknown>): string {
    const out = this.closeOpen() + event("content_block_start", { index: this.next, content_block: block });
    this.open = kind;
    this.next++;
    return out;
  }

  private closeOpen(): string {
    if (this.open === null) return "";
    this.open = null;
    return event("content_block_stop", { index: this.next - 1 });
  }
}
