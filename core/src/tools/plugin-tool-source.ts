/**
 * What the tool loop needs of the installed plugins: their tools, and a way to call one. The
 * server's `InstalledPlugins` satisfies it; tests pass a small fake. Kept this narrow so the loop
 * does not depend on how the plugin host is built.
 */

/** One tool of a plugin, as the loop offers it to the model. */
export interface PluginToolView {
  /** The tool's own name in its manifest. */
  name: string;
  /** The safe, unique name the model sees and calls (the store assigns it). */
  function_name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** One installed plugin, as the loop sees it. */
export interface PluginView {
  name: string;
  /** Only `ready` plugins are offered. */
  status: string;
  tools: PluginToolView[];
}

/** A call of one plugin tool. */
export interface PluginToolCall {
  /** The tool's name (or function name). */
  name: string;
  plugin?: string;
  arguments: Record<string, unknown>;
}

/** Options of one call: its cancellation, and the request whose audit line it writes. */
export interface PluginToolCallOptions {
  signal?: AbortSignal;
  requestId?: string;
}

/**
 * The installed plugins as the tool loop uses them.
 *
 * @example
 * const source: PluginToolSource = installedPlugins;
 * const result = await source.callTool({ name: "calculate", plugin: "calculator", arguments: { expression: "6*7" } }, { signal, requestId });
 */
export interface PluginToolSource {
  /** Every installed plugin with its tools. */
  list(): PluginView[];
  /**
   * Runs a tool in the plugin's sandbox.
   * @throws an error whose message says what failed (trap, timeout, invalid input, …).
   */
  callTool(call: PluginToolCall, options: PluginToolCallOptions): Promise<unknown>;
}
