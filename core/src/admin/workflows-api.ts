/**
 * The workflow API of one server, wired: the stores on the state database, the step adapters over
 * the engine and the plugins, the runs ({@link WorkflowRuns}), a cache of planned saved workflows,
 * and the routes. `resume()` (after the plugins have loaded) goes on with the runs a previous process
 * left unfinished; `dispose()` (before the database closes) stops the runs without ending them.
 */
import type Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import type { ShimmyState } from "../http/request-context.js";
import type { Logger } from "../logger.js";
import { openStateDb, type StateDb } from "../state/state-db.js";
import { SqliteWorkflowRunStore } from "../state/workflow-runs-repo.js";
import { SqliteWorkflowStore } from "../state/workflows-repo.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { embedStep } from "../workflows/adapters/embed-step.js";
import { llmStep } from "../workflows/adapters/llm-step.js";
import { pluginStep, type PluginStepSource } from "../workflows/adapters/plugin-step.js";
import { toolStep } from "../workflows/adapters/tool-step.js";
import { workflowStep } from "../workflows/adapters/workflow-step.js";
import { planWorkflow, type WorkflowPlan } from "../workflows/planner.js";
import { runView, type RunView } from "../workflows/run-view.js";
import type { StepAdapters } from "../workflows/step-adapter.js";
import { runNotFound, WorkflowRuns, type LoadedWorkflow } from "../workflows/workflow-runs.js";
import { workflowsRouter } from "./workflows-routes.js";

/** Planned saved workflows kept, by name and version. */
const PLAN_CACHE_SIZE = 100;

/** What the workflow API needs of the installed plugins (`InstalledPlugins` has it all). */
export type WorkflowPlugins = PluginToolSource & PluginStepSource;

/** Options of {@link workflowsApi}. */
export interface WorkflowsApiOptions {
  engine: Engine;
  plugins: WorkflowPlugins;
  defaultPlugins?: DefaultPlugins;
  /** The state database. @default a private in-memory one (in-process tests of other routes) */
  state?: StateDb;
  logger?: Logger;
  /** Steps running at once on this server. @default DEFAULT_MAX_CONCURRENT_STEPS */
  maxConcurrentSteps?: number;
  /** The step adapters, when not those over `engine` and `plugins` (tests). */
  adapters?: StepAdapters;
}

/** The routers of the workflow API, and its start and stop. */
export interface WorkflowsApi {
  routers: Router<ShimmyState>[];
  runs: WorkflowRuns;
  /** Goes on with the runs a previous process left unfinished; returns their ids. Call once the plugins have loaded. */
  resume(): Promise<string[]>;
  /** Stops the runs, leaving them `running` for the next start; call before closing the database. */
  dispose(): Promise<void>;
}

/** Builds the workflow API; see the module comment. */
export function workflowsApi(options: WorkflowsApiOptions): WorkflowsApi {
  const state = options.state ?? openStateDb({ file: ":memory:" });
  const workflows = new SqliteWorkflowStore(state.db);
  const store = new SqliteWorkflowRunStore(state.db);
  const plans = new Map<string, WorkflowPlan>();

  const loadWorkflow = async (name: string, version?: number): Promise<LoadedWorkflow | null> => {
    const saved = await workflows.get(name, version);
    if (!saved) return null;
    const key = `${name}@${saved.version}`;
    let plan = plans.get(key);
    if (!plan) {
      plan = planWorkflow(saved.document);
      if (plans.size >= PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value!);
      plans.set(key, plan);
    }
    return { name, version: saved.version, plan };
  };

  const adapters: StepAdapters = options.adapters ?? {
    llm: llmStep({ engine: options.engine, plugins: options.plugins, ...(options.defaultPlugins ? { defaultPlugins: options.defaultPlugins } : {}) }),
    embed: embedStep(options.engine),
    tool: toolStep(options.plugins),
    step: pluginStep(options.plugins),
    workflow: workflowStep((request) => runs.runChild(request)),
  };
  const runs: WorkflowRuns = new WorkflowRuns({
    store, adapters, loadWorkflow,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.maxConcurrentSteps === undefined ? {} : { maxConcurrentSteps: options.maxConcurrentSteps }),
  });

  const view = async (id: string, include: { attempts?: boolean } = {}): Promise<RunView> => {
    const run = (await store.get(id)) ?? (() => { throw runNotFound(id); })();
    return runView(run, await store.attempts(id), { idempotentHint: (name, plugin) => idempotentHint(options.plugins, name, plugin), attempts: include.attempts === true });
  };

  return {
    routers: [workflowsRouter({ workflows, store, runs, loadWorkflow, view, forget: (name) => forget(plans, name) })],
    runs,
    resume: () => runs.resumeUnfinished(),
    dispose: () => runs.dispose(),
  };
}

function forget(plans: Map<string, WorkflowPlan>, name: string): void {
  for (const key of plans.keys()) if (key.startsWith(`${name}@`)) plans.delete(key);
}

/** A tool's `idempotentHint` from the plugin list, when the plugin declares one. */
function idempotentHint(plugins: WorkflowPlugins, name: string, plugin?: string): boolean | undefined {
  // InstalledPlugins lists each tool's annotations (MCP's hints); a narrower source may not.
  for (const summary of plugins.list() as { name: string; tools: { name: string; function_name: string; annotations?: { idempotentHint?: boolean } }[] }[]) {
    if (plugin !== undefined && summary.name !== plugin) continue;
    const tool = summary.tools.find((t) => t.name === name || t.function_name === name);
    if (tool) return tool.annotations?.idempotentHint;
  }
  return undefined;
}
