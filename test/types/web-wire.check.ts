/**
 * The web page's copy of the wire format (core/web/wire.ts, browser code that cannot import the
 * server's Node modules) checked against the server's own types by the type check of `npm test`:
 * whatever the server sends must be assignable to what the page reads, so a field renamed or
 * retyped on one side and not the other fails the build instead of the page. Nothing here runs.
 */
import type { AdminModel } from "../../core/src/admin/models-routes.js";
import type { OpenAIErrorBody } from "../../core/src/errors.js";
import type { ChatCompletionChunk } from "../../core/src/openai/types.js";
import type { PluginSummary, PluginToolSummary } from "../../core/src/plugins/plugin-summary.js";
import type { RoundTrace, ToolCallTrace, ToolTraceEntry } from "../../core/src/tools/tool-trace.js";
import type * as Page from "../../core/web/wire.js";

/** Whether what the server sends (`Sent`) can be read as the page's type (`Read`). */
type Reads<Sent, Read> = [Sent] extends [Read] ? true : false;
/** Compiles only for `true`. */
type Holds<T extends true> = T;

/** Each entry fails to compile when the page's type no longer reads what the server sends. */
export type WireChecks = [
  Holds<Reads<OpenAIErrorBody["error"], Page.WireError>>,
  Holds<Reads<AdminModel, Page.AdminModel>>,
  Holds<Reads<PluginToolSummary, Page.PluginTool>>,
  Holds<Reads<PluginSummary, Page.Plugin>>,
  Holds<Reads<RoundTrace, Page.RoundTrace>>,
  Holds<Reads<ToolCallTrace, Page.ToolCallTrace>>,
  Holds<Reads<ChatCompletionChunk & { tool_trace?: ToolTraceEntry[] }, Page.ChatChunk>>,
];
