/**
 * The Responses API's `file_search` tool, run by the server: before the model answers, the
 * request's last user text searches the tool's vector stores; the chunks found go to the model in a
 * system turn, and the response gets OpenAI's `file_search_call` output item (its `results` only
 * when `include` asks for `file_search_call.results`) and a `file_citation` annotation per file
 * cited on the answer's text. Unlike OpenAI, the model does not write its own queries: the user's
 * words are the query (one search round, no tool-call round trip), which a small local model does
 * no worse than rewriting them.
 */
import { randomId } from "../ids.js";
import { ShimmyError } from "../errors.js";
import { checkFilter } from "../vectors/filters.js";
import { rankerOf, RANKER_NAMES, type ScoredHit } from "../vectors/store-search.js";
import type { VectorStores } from "../vectors/vector-stores.js";
import type { StoredItem } from "../state/responses-repo.js";
import type { OutputFileSearchCall, ResponseCreateRequest, ResponseObject } from "./types.js";

/** A `file_search` tool of a request, checked. */
export interface FileSearchTool {
  vectorStoreIds: string[];
  maxResults: number;
  filters: unknown;
  ranker: (typeof RANKER_NAMES)[number] | undefined;
  scoreThreshold: number;
}

/** The request's `file_search` tools (at most one is meaningful; each is run). */
export function fileSearchTools(request: ResponseCreateRequest): FileSearchTool[] {
  return (request.tools ?? []).flatMap((tool, i) => {
    if (tool.type !== "file_search") return [];
    const ids = tool.vector_store_ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string")) {
      throw new ShimmyError("invalid_parameter", "file_search needs vector_store_ids: a non-empty list of vector store ids.", { param: `tools.${i}.vector_store_ids` });
    }
    const max = tool.max_num_results ?? 10;
    if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 50) throw new ShimmyError("invalid_parameter", "max_num_results must be from 1 to 50.", { param: `tools.${i}.max_num_results` });
    const ranking = (tool.ranking_options ?? {}) as { ranker?: string; score_threshold?: number };
    if (ranking.ranker !== undefined && !(RANKER_NAMES as readonly string[]).includes(ranking.ranker)) {
      throw new ShimmyError("invalid_parameter", `ranking_options.ranker must be one of ${RANKER_NAMES.join(", ")}.`, { param: `tools.${i}.ranking_options.ranker` });
    }
    if (tool.filters !== undefined && tool.filters !== null) checkFilter(tool.filters, `tools.${i}.filters`);
    return [{ vectorStoreIds: ids as string[], maxResults: max as number, filters: tool.filters ?? null, ranker: ranking.ranker as FileSearchTool["ranker"], scoreThreshold: ranking.score_threshold ?? 0 }];
  });
}

/** The text of the last user message among items. */
export function lastUserText(items: readonly StoredItem[]): string {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as { role?: string; content?: unknown };
    if (item.role !== "user") continue;
    if (typeof item.content === "string") return item.content;
    if (Array.isArray(item.content)) return item.content.map((p: { text?: string }) => p.text ?? "").join(" ").trim();
  }
  return "";
}

/** What one file search did: the output item and the system turn for the model. */
export interface FileSearchRun {
  call: OutputFileSearchCall;
  hits: ScoredHit[];
  /** The chunks, quoted for the model; null when nothing was found. */
  context: string | null;
}

/** Runs the tools' searches for `query`. */
export async function runFileSearch(tools: readonly FileSearchTool[], query: string, vectors: VectorStores, includeResults: boolean, signal: AbortSignal): Promise<FileSearchRun> {
  const hits: ScoredHit[] = [];
  for (const [t, tool] of tools.entries()) {
    const filter = tool.filters === null ? null : checkFilter(tool.filters, `tools.${t}.filters`);
    for (const storeId of tool.vectorStoreIds) {
      const found = await vectors.search(storeId, { queries: [query], maxResults: tool.maxResults, filter, ranker: rankerOf(tool.ranker), scoreThreshold: tool.scoreThreshold }, signal, `tools.${t}.vector_store_ids`);
      hits.push(...found);
    }
  }
  hits.sort((a, b) => b.score - a.score);
  const top = hits.slice(0, Math.max(...tools.map((t) => t.maxResults)));
  const call: OutputFileSearchCall = {
    id: randomId("fs_"), type: "file_search_call", status: "completed", queries: [query],
    results: includeResults ? top.map((h) => ({ file_id: h.fileId, filename: h.filename, score: h.score, attributes: h.attributes, text: h.text })) : null,
  };
  const context = top.length === 0 ? null : [
    "Answer using these excerpts of the user's files where they help; cite the file names you use.",
    ...top.map((h) => `<file name="${h.filename}">\n${h.text}\n</file>`),
  ].join("\n\n");
  return { call, hits: top, context };
}

/** OpenAI's `file_citation` annotations for an answer of `textLength` characters: one per file found, at the text's end. */
export function fileCitations(run: FileSearchRun, textLength: number): { type: "file_citation"; index: number; file_id: string; filename: string }[] {
  const cited = [...new Map(run.hits.map((h) => [h.fileId, h])).values()];
  return cited.map((h) => ({ type: "file_citation", index: textLength, file_id: h.fileId, filename: h.filename }));
}

/**
 * Puts the `file_search_call` item first in the output and cites the files found on the answer's
 * text, unless the output has them already (a response built by the event stream, which emits them
 * as they happen: stream-events.ts).
 */
export function addFileSearchOutput(response: ResponseObject, run: FileSearchRun): void {
  const output = response.output;
  if (output.some((item) => item.type === "file_search_call")) return;
  const message = output.find((item) => item.type === "message");
  const part = message?.content.find((p) => p.type === "output_text");
  if (part) part.annotations = [...part.annotations, ...fileCitations(run, part.text.length)];
  output.unshift(run.call);
}
