/**
 * Sends a runner's messages with backpressure. llama.cpp produces tokens at its own pace and
 * node-llama-cpp's callbacks cannot wait, so when the IPC channel falls behind (a slow server
 * event loop) the streamed deltas of a request are held and merged, consecutive text into one
 * message, and sent in order once the channel has caught up: memory stays bounded by the text
 * generated, not by the number of tokens, and nothing is reordered or lost.
 */
import type { FromRunner } from "./protocol.js";

/** Messages in flight (sent, not yet written to the pipe) above which deltas are held. */
const HIGH_WATER = 16;

/** Where messages go: `process.send` in a runner; a callback reports when one was written. */
export type SendFn = (message: FromRunner, done: (err: Error | null) => void) => void;

/** Sends messages, holding and merging a request's deltas while the channel is behind. */
export class DeltaSender {
  private pending = 0;
  /** Held messages per request id, in order. */
  private readonly held = new Map<number, FromRunner[]>();

  constructor(
    private readonly send: SendFn,
    private readonly highWater = HIGH_WATER,
  ) {}

  /** Messages written to the channel but not yet acknowledged. */
  get inFlight(): number {
    return this.pending;
  }

  /** Sends a text or tool-call delta of request `id`, or holds it while the channel is behind. */
  delta(message: Extract<FromRunner, { type: "text" | "tool_call" }>): void {
    const held = this.held.get(message.id);
    if (held) {
      const last = held.at(-1);
      if (message.type === "text" && last?.type === "text") last.text += message.text;
      else held.push(message);
      return;
    }
    if (this.pending >= this.highWater) {
      this.held.set(message.id, [{ ...message }]);
      return;
    }
    this.write(message);
  }

  /** Sends a message now, after the held deltas of its request (a result must follow its text). */
  now(message: FromRunner): void {
    if ("id" in message) this.flush(message.id);
    this.write(message);
  }

  private flush(id: number): void {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    for (const message of held) this.write(message);
  }

  private write(message: FromRunner): void {
    this.pending++;
    this.send(message, () => {
      this.pending--;
      // Caught up: what was held goes out, merged.
      if (this.pending === 0 && this.held.size > 0) for (const id of [...this.held.keys()]) this.flush(id);
    });
  }
}
