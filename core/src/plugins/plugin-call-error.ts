/**
 * The error a plugin host function or a plugin load check fails with.
 *
 * A {@link CodedError} (the SDK's), not a {@link import("../errors.js").ShimmyError}: these failures
 * are answered to the *plugin* as a JSON `{"error": {code, message}}` (ARCHITECTURE.md, "Plugin
 * ABI"), not to an HTTP client, so they carry their own small set of codes and no HTTP status.
 */
import { CodedError } from "@shimmy/plugin-sdk";

/** Why a plugin call (or a module check) was refused or failed. */
export type PluginCallErrorCode =
  | "permission_denied" // the manifest's grants do not cover this origin, address or path
  | "response_too_large" // a response or read went past its byte cap
  | "payload_too_large" // a write went past its byte cap
  | "too_many_entries" // a folder listing went past its entry cap
  | "too_many_redirects"
  | "timeout"
  | "invalid_request" // the plugin's request itself is malformed (bad URL, bad header, relative path)
  | "not_found"
  | "network_error" // DNS or connection failure
  | "io_error" // another file-system failure
  | "invalid_module" // the wasm binary could not be parsed
  | "memory_limit" // the wasm module's memory limits break the manifest's cap
  | "unknown_tool" // the plugin declares no tool of that name
  | "unknown_step" // the plugin declares no workflow step of that name
  | "unknown_embedder" // the plugin declares no embedder of that name
  | "unknown_router" // the plugin declares no router of that name
  | "not_configured" // an embedder's size comes from a setting that is not set
  | "invalid_input" // a call's input breaks the tool's inputSchema (the step's input schema) or a host cap
  | "invalid_output" // the plugin's output is not JSON or breaks the tool's outputSchema (the step's output schema)
  | "plugin_error" // the plugin failed: an error it set, a trap, or an instance that broke
  | "start_failed" // an instance could not be instantiated (its start function or hs_init trapped or ran past the start deadline)
  | "busy" // the plugin's queue of waiting calls is full
  | "aborted" // the caller cancelled the call
  | "closed"; // the host was closed

/** A coded failure of a plugin call; `toJSON` is the shape the plugin sees. */
export class PluginCallError extends CodedError<PluginCallErrorCode> {
  /** The `{"error": {...}}` object handed back to the plugin instead of a trap. */
  toJSON(): { error: { code: PluginCallErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
