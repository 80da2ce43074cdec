/**
 * What a router sees: the request's features and the route's candidates with their traits, as the
 * JSON a router plugin receives. Pure: built from the engine's request and the model list.
 */
import type { ChatRequest, ChatTurn, CompletionRequest, EmbeddingRequest, ModelInfo, ModelState } from "../../engine/types.js";
import type { RouteCandidateConfig } from "./route-config.js";

/** The request as a router sees it. */
export interface RequestFeatures {
  kind: "chat" | "completion" | "embedding";
  /** Every message with its text (a completion's prompt is one `user` message; embeddings one per input). */
  messages: { role: string; text: string }[];
  /** The text of the last user message: what most rules look at. */
  last_user_text: string;
  /** Tokens of every message's text, estimated as characters / 4 (no tokenizer: the candidates may not be loaded). */
  tokens: number;
  /** Whether the request offers tools. */
  tools: boolean;
  /** Whether it asks for JSON (`response_format` json_object or json_schema). */
  json: boolean;
  /** Whether a message holds an image part. */
  images: boolean;
  /** The client's `metadata` (string to string), `{}` when none. */
  metadata: Record<string, unknown>;
}

/** A candidate as a router sees it. */
export interface CandidateTraits {
  id: string;
  /** Bytes of the model file(s); null when the engine does not know the model. */
  size_bytes: number | null;
  parameters: number | null;
  /** Tokens one slot holds. */
  context_length: number | null;
  loaded: boolean;
  /** Whether it can take tools (it has a chat template, which renders tools or a tool grammar). */
  tools: boolean;
  tags: readonly string[];
  /** False when the engine serves no such model (a router should not pick it; fallback would skip it). */
  available: boolean;
}

/** The router's whole input. */
export interface RouterInput {
  route: string;
  request: RequestFeatures;
  candidates: CandidateTraits[];
}

/** The engine requests a route serves. */
export type RoutedRequest = { kind: "chat"; request: ChatRequest } | { kind: "completion"; request: CompletionRequest } | { kind: "embedding"; request: EmbeddingRequest };

/** Tokens of text, estimated: about four characters a token for English and code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function turnText(turn: ChatTurn): string {
  return turn.text;
}

/** The features of a request; `body` is its raw JSON, for `metadata` and image parts. */
export function requestFeatures(routed: RoutedRequest, body: unknown): RequestFeatures {
  const messages = messagesOf(routed);
  const users = messages.filter((m) => m.role === "user");
  const chat = routed.kind === "chat" ? routed.request : undefined;
  const raw = (typeof body === "object" && body !== null ? body : {}) as { metadata?: unknown; response_format?: { type?: unknown }; messages?: unknown };
  return {
    kind: routed.kind,
    messages,
    last_user_text: users.at(-1)?.text ?? "",
    tokens: estimateTokens(messages.map((m) => m.text).join("\n")),
    tools: (chat?.tools?.length ?? 0) > 0,
    json: chat?.responseFormat?.type === "json_schema" || raw.response_format?.type === "json_object",
    images: hasImagePart(raw.messages),
    metadata: typeof raw.metadata === "object" && raw.metadata !== null && !Array.isArray(raw.metadata) ? (raw.metadata as Record<string, unknown>) : {},
  };
}

function messagesOf(routed: RoutedRequest): { role: string; text: string }[] {
  switch (routed.kind) {
    case "chat":
      return routed.request.turns.map((turn) => ({ role: turn.role, text: turnText(turn) }));
    case "completion":
      return [{ role: "user", text: routed.request.prompt }];
    case "embedding":
      return routed.request.inputs.map((input) => ({ role: "user", text: typeof input === "string" ? input : "" }));
  }
}

/** Whether any message of an OpenAI body has an image content part. */
function hasImagePart(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  return messages.some((m) => Array.isArray((m as { content?: unknown })?.content) && (m as { content: unknown[] }).content.some((p) => /image/.test(String((p as { type?: unknown })?.type))));
}

/** The traits of each candidate, from the engine's model list and state. */
export function candidateTraits(candidates: readonly RouteCandidateConfig[], models: ReadonlyMap<string, ModelInfo>, state: (id: string) => ModelState | undefined): CandidateTraits[] {
  return candidates.map(({ model, tags }) => {
    const info = models.get(model);
    const usable = info !== undefined && info.invalidReason === undefined;
    return {
      id: model,
      size_bytes: info?.sizeBytes ?? null,
      parameters: info?.parameterCount ?? null,
      context_length: info?.contextSize ?? null,
      loaded: usable ? (state(model)?.loaded ?? false) : false,
      tools: info?.hasChatTemplate ?? false,
      tags,
      available: usable,
    };
  });
}
