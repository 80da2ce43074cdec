/**
 * Streams the client's tool calls and hides the plugin ones: a round's calls are numbered in the
 * order the model writes them, plugin calls included, but the client must see its own calls
 * numbered from 0 with nothing in between.
 */
import type { ToolCallDelta } from "../engine/types.js";

/** Filters and renumbers the tool-call pieces of one round. */
export class ClientCallDeltas {
  /** Model index → client index; null for a hidden (plugin) call. */
  private readonly indexes = new Map<number, number | null>();
  private next = 0;

  constructor(
    private readonly isPluginTool: (name: string) => boolean,
    private readonly forward: ((delta: ToolCallDelta) => void) | undefined,
  ) {}

  /** Takes one piece from the engine; passes it on when it belongs to a client call. */
  push(delta: ToolCallDelta): void {
    let index = this.indexes.get(delta.index);
    if (index === undefined) {
      // The first piece of each call carries its name (the engine's contract).
      index = delta.name !== undefined && this.isPluginTool(delta.name) ? null : this.next++;
      this.indexes.set(delta.index, index);
    }
    if (index !== null) this.forward?.({ ...delta, index });
  }
}
