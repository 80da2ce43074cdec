/**
 * The engine's side of the `shimmy_chat` host function: a plugin (a classify router) asks a model it
 * is permitted (`permissions.models`, checked by the host function) for a short answer. With
 * `labels`, a grammar forces the answer to be exactly one of them (a JSON string enum), so a small
 * model's label is always usable. Greedy sampling: the same query gets the same label.
 */
import type { ChatTurn, Engine } from "../../engine/types.js";
import type { HostChat } from "../../plugins/host-functions.js";

/**
 * The {@link HostChat} that generates on `engine` (the engine within the routes, so a plugin's call
 * never routes again and cannot loop through its own router).
 */
export function engineChat(engine: Pick<Engine, "chat">): HostChat {
  return async (request, signal) => {
    const turns: ChatTurn[] = request.messages.map((m) => (m.role === "assistant" ? { role: "assistant", text: m.content, toolCalls: [] } : { role: m.role, text: m.content }));
    const result = await engine.chat({
      model: request.model,
      turns,
      sampling: { stop: [], maxTokens: request.maxTokens, temperature: 0 },
      signal,
      ...(request.labels ? { responseFormat: { type: "json_schema", schema: { type: "string", enum: request.labels } } } : {}),
    });
    if (!request.labels) return { text: result.text };
    // The grammar wrote a JSON string of one label; a cut-off answer (max_tokens too small) is none.
    let label: unknown;
    try {
      label = JSON.parse(result.text);
    } catch {
      label = undefined;
    }
    if (typeof label !== "string" || !request.labels.includes(label)) throw new Error(`the model's answer ${JSON.stringify(result.text)} is no label; raise max_tokens`);
    return { text: label };
  };
}
