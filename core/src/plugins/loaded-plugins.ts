/**
 * One snapshot of what the server has loaded from the plugin store: every installed plugin's
 * {@link PluginLoad}, in lock order, the function names chat requests give their tools, and the
 * lookup of a tool or a workflow step by name. A reload builds a new snapshot and swaps it in whole, so a call never
 * sees half of a reload.
 */
import type { EmbedderCapability, RouterCapability, StepCapability, ToolCapability } from "@shimmy/plugin-sdk";
import { ShimmyError, type ErrorCode } from "../errors.js";
import type { LoadedPlugin, PluginLoad } from "./plugin-loader.js";
import { assignFunctionNames } from "./tool-names.js";

/** A tool call as `POST /api/tools/call` takes it. */
export interface ToolCallRequest {
  /** The tool's own name or its function name. */
  name: string;
  /** The plugin to look in; every plugin when absent. */
  plugin?: string;
  arguments: Record<string, unknown>;
}

/** A workflow step call, as `InstalledPlugins.callStep` takes it. */
export interface StepCallRequest {
  /** The step's name. */
  name: string;
  /** The plugin to look in; every plugin when absent. */
  plugin?: string;
  /** Any JSON value; checked against the step's `input` schema. */
  input: unknown;
}

/** The tools a plugin declares, from its manifest (none when the manifest could not be read). */
export function toolsOf(plugin: PluginLoad): ToolCapability[] {
  return (plugin.manifest?.capabilities ?? []).filter((c): c is ToolCapability => c.kind === "tool");
}

/** The workflow steps a plugin declares, from its manifest (none when the manifest could not be read). */
export function stepsOf(plugin: PluginLoad): StepCapability[] {
  return (plugin.manifest?.capabilities ?? []).filter((c): c is StepCapability => c.kind === "step");
}

/** The embedders a plugin declares, from its manifest (none when the manifest could not be read). */
export function embeddersOf(plugin: PluginLoad): EmbedderCapability[] {
  return (plugin.manifest?.capabilities ?? []).filter((c): c is EmbedderCapability => c.kind === "embedder");
}

/** The installed plugins as one reload left them. */
export class LoadedPlugins {
  private readonly plugins: ReadonlyMap<string, PluginLoad>;
  private readonly functionNames: Map<string, string>;

  /**
   * @param plugins every installed plugin, by name, in lock order.
   * @param generation the lock generation they were loaded from.
   */
  constructor(plugins: ReadonlyMap<string, PluginLoad> = new Map(), readonly generation = 0) {
    this.plugins = plugins;
    this.functionNames = assignFunctionNames([...plugins.values()].flatMap((p) => toolsOf(p).map((c) => ({ plugin: p.name, tool: c.name }))));
  }

  /** One plugin by name. */
  get(name: string): PluginLoad | undefined {
    return this.plugins.get(name);
  }

  /** Every plugin, in lock order. */
  all(): PluginLoad[] {
    return [...this.plugins.values()];
  }

  /** The hosts running now. */
  hosts(): LoadedPlugin["host"][] {
    return this.all().flatMap((p) => (p.state === "loaded" ? [p.host] : []));
  }

  /** The safe, unique name chat requests use for `plugin`'s `tool`. */
  functionName(plugin: string, tool: string): string {
    return this.functionNames.get(`${plugin}\n${tool}`) ?? tool;
  }

  /**
   * The plugin and tool a request names, ready to call: by the tool's name or its function name, in
   * `request.plugin` when given; else the one enabled plugin that has it.
   *
   * @throws {ShimmyError} `plugin_not_found`, `tool_not_found`, `ambiguous_tool` (naming the plugins),
   *   or `plugin_unavailable` (disabled, not loadable, or marked failed).
   */
  findTool(request: Pick<ToolCallRequest, "name" | "plugin">): { plugin: LoadedPlugin; tool: ToolCapability } {
    const toolOf = (p: PluginLoad): ToolCapability | undefined =>
      toolsOf(p).find((c) => c.name === request.name || this.functionNames.get(`${p.name}\n${c.name}`) === request.name);
    const { plugin, capability } = this.find(request, toolOf, { kind: "tool", notFound: "tool_not_found", ambiguous: "ambiguous_tool", listed: "the tools" });
    return { plugin, tool: capability };
  }

  /**
   * The plugin and workflow step a request names, ready to call: by the step's name, in
   * `request.plugin` when given; else the one enabled plugin that has it.
   *
   * @throws {ShimmyError} `plugin_not_found`, `step_not_found`, `ambiguous_step` (naming the plugins),
   *   or `plugin_unavailable` (disabled, not loadable, or marked failed).
   */
  findStep(request: Pick<StepCallRequest, "name" | "plugin">): { plugin: LoadedPlugin; step: StepCapability } {
    const stepOf = (p: PluginLoad): StepCapability | undefined => stepsOf(p).find((c) => c.name === request.name);
    const { plugin, capability } = this.find(request, stepOf, { kind: "step", notFound: "step_not_found", ambiguous: "ambiguous_step", listed: "each plugin's steps" });
    return { plugin, step: capability };
  }

  /**
   * The plugin and embedder of a model id `PLUGIN/EMBEDDER`, ready to call; undefined when no
   * installed plugin of that name declares that embedder (the id may name a local model).
   *
   * @throws {ShimmyError} `plugin_unavailable` (disabled, not loadable, or marked failed).
   */
  findEmbedder(plugin: string, name: string): { plugin: LoadedPlugin; embedder: EmbedderCapability } | undefined {
    const named = this.plugins.get(plugin);
    if (!named || !embeddersOf(named).some((c) => c.name === name)) return undefined;
    const embedderOf = (p: PluginLoad): EmbedderCapability | undefined => embeddersOf(p).find((c) => c.name === name);
    const found = this.find({ name, plugin }, embedderOf, { kind: "embedder", notFound: "model_not_found", ambiguous: "model_not_found", listed: "" });
    return { plugin: found.plugin, embedder: found.capability };
  }

  /**
   * The plugin and model router `plugin`'s `name` (a route's `router`, `PLUGIN/ROUTER`), ready to call.
   *
   * @throws {ShimmyError} `plugin_not_found`, `not_found` (no such router), or `plugin_unavailable`.
   */
  findRouter(plugin: string, name: string): { plugin: LoadedPlugin; router: RouterCapability } {
    const routerOf = (p: PluginLoad): RouterCapability | undefined =>
      (p.manifest?.capabilities ?? []).find((c): c is RouterCapability => c.kind === "router" && c.name === name);
    const found = this.find({ name, plugin }, routerOf, { kind: "router", notFound: "not_found", ambiguous: "not_found", listed: "" });
    return { plugin: found.plugin, router: found.capability };
  }

  /** The lookup {@link findTool}, {@link findStep} and {@link findEmbedder} share: `capabilityOf` finds the capability in one plugin. */
  private find<C>(
    request: { name: string; plugin?: string | undefined },
    capabilityOf: (p: PluginLoad) => C | undefined,
    codes: { kind: string; notFound: ErrorCode; ambiguous: ErrorCode; listed: string },
  ): { plugin: LoadedPlugin; capability: C } {
    const { kind, notFound, ambiguous, listed } = codes;
    let target: PluginLoad;
    if (request.plugin !== undefined) {
      const named = this.plugins.get(request.plugin);
      if (!named) throw new ShimmyError("plugin_not_found", `no plugin named ${request.plugin} is installed; GET /api/plugins lists them`, { param: "plugin" });
      if (!capabilityOf(named)) throw new ShimmyError(notFound, `${request.plugin} has no ${kind} named ${request.name}`, { param: "name" });
      target = named;
    } else {
      const candidates = this.all().filter((p) => capabilityOf(p) !== undefined);
      const usable = candidates.filter((p) => p.entry.enabled);
      if (usable.length > 1) {
        throw new ShimmyError(ambiguous, `${usable.length} plugins have a ${kind} named ${request.name}: ${usable.map((p) => p.name).join(", ")}; name one in "plugin"`, { param: "plugin" });
      }
      const only = usable[0] ?? candidates[0];
      if (!only) throw new ShimmyError(notFound, `no installed plugin has a ${kind} named ${request.name}; GET /api/plugins lists ${listed}`, { param: "name" });
      target = only;
    }
    if (!target.entry.enabled) throw new ShimmyError("plugin_unavailable", `${target.name} is disabled; enable it with: shimmy plugin enable ${target.name}`);
    if (target.state !== "loaded") throw new ShimmyError("plugin_unavailable", `${target.name} could not be loaded: ${target.state === "unloadable" ? target.error : "unknown reason"}`);
    if (target.host.failure !== null) {
      throw new ShimmyError("plugin_unavailable", `${target.name} is marked failed: ${target.host.failure}; reinstall it, or disable and enable it to try again`);
    }
    return { plugin: target, capability: capabilityOf(target) as C };
  }
}
