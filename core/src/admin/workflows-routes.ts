/**
 * `/api/workflows` and `/api/workflow-runs`: saved workflows (every version kept), runs of a saved
 * or an inline document, and reading, listing and cancelling runs. Thin handlers over the planner,
 * the stores and {@link WorkflowRuns}; how a run request is answered is `run-answer.ts`.
 */
import Router from "@koa/router";
import { ShimmyError } from "../errors.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../openai/json-depth.js";
import { parsePageQuery, toListBody } from "../responses/list-query.js";
import type { RunStatus, WorkflowRunStore } from "../state/workflow-runs-repo.js";
import type { StoredWorkflow, WorkflowStore } from "../state/workflows-repo.js";
import { planWorkflow } from "../workflows/planner.js";
import { runSummary, type RunView } from "../workflows/run-view.js";
import type { LoadedWorkflow, WorkflowRuns } from "../workflows/workflow-runs.js";
import { answerRun } from "./run-answer.js";

const RUN_FIELDS = {
  input: { description: "The run's input; checked against the document's input schema." },
  wait: { type: "boolean", [MESSAGE_KEYWORD]: { type: "wait must be true or false" } },
  stream: { type: "boolean", [MESSAGE_KEYWORD]: { type: "stream must be true or false" } },
};

const validateNamedRun = compileBodySchema({
  type: "object",
  additionalProperties: false,
  properties: { ...RUN_FIELDS, version: { type: "integer", minimum: 1 } },
});

const validateInlineRun = compileBodySchema({
  type: "object",
  required: ["workflow"],
  additionalProperties: false,
  [MESSAGE_KEYWORD]: { required: "Missing required parameter: workflow (a workflow document; or POST /api/workflows/{name}/runs to run a saved one)" },
  properties: { ...RUN_FIELDS, workflow: { type: "object", [MESSAGE_KEYWORD]: { type: "workflow must be a workflow document (a JSON object)" } } },
});

const RUN_STATUSES: readonly RunStatus[] = ["pending", "running", "succeeded", "failed", "cancelled"];

interface RunBody {
  input?: unknown;
  wait?: boolean;
  stream?: boolean;
}

/** Options of {@link workflowsRouter}. */
export interface WorkflowsRouterOptions {
  workflows: WorkflowStore;
  store: WorkflowRunStore;
  runs: WorkflowRuns;
  /** A saved workflow, planned (cached by version); null when there is none. */
  loadWorkflow(name: string, version?: number): Promise<LoadedWorkflow | null>;
  /** Forgets the cached plans of a deleted workflow. */
  forget(name: string): void;
  /** A run as `GET /api/workflow-runs/{id}` shows it; with `attempts`, every attempt of its journal too. */
  view(id: string, include?: { attempts?: boolean }): Promise<RunView>;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/** A saved version as the routes show it. */
function workflowObject(workflow: StoredWorkflow, extra: Record<string, unknown> = {}) {
  return { object: "workflow", name: workflow.name, version: workflow.version, description: workflow.description, created_at: workflow.createdAt, ...extra, document: workflow.document };
}

/** The routes of saved workflows and their runs. */
export function workflowsRouter(options: WorkflowsRouterOptions): Router<ShimmyState> {
  const { workflows, store, runs } = options;
  const now = options.now ?? Date.now;
  const router = new Router<ShimmyState>({ prefix: "/api" });

  router.post("/workflows", async (ctx) => {
    const plan = planWorkflow(ctx.state.body);
    const { document } = plan;
    const saved = await workflows.save({
      name: document.name, ...(document.version === undefined ? {} : { version: document.version }), description: document.description ?? null,
      document: document as unknown as Record<string, unknown>, createdAt: now(),
    });
    if (saved.outcome === "conflict") {
      throw new ShimmyError("workflow_version_exists", `Version ${saved.workflow.version} of workflow ${document.name} is already saved with another document; leave version out to save the next one.`, { param: "version" });
    }
    ctx.status = saved.outcome === "created" ? 201 : 200;
    ctx.body = workflowObject(saved.workflow);
  });

  router.get("/workflows", async (ctx) => {
    const list = await workflows.list();
    ctx.body = { object: "list", data: list.map((w) => ({ object: "workflow", name: w.name, version: w.version, versions: w.versions, description: w.description, created_at: w.createdAt })) };
  });

  router.get("/workflows/:name", async (ctx) => {
    const version = versionQuery(ctx);
    const workflow = (await workflows.get(ctx.params.name!, version)) ?? workflowNotFound(ctx.params.name!, version);
    ctx.body = workflowObject(workflow, { versions: await workflows.versions(workflow.name) });
  });

  router.delete("/workflows/:name", async (ctx) => {
    const deleted = await workflows.delete(ctx.params.name!);
    if (deleted === 0) workflowNotFound(ctx.params.name!);
    options.forget(ctx.params.name!);
    ctx.body = { object: "workflow", name: ctx.params.name, deleted: true, versions: deleted };
  });

  router.post("/workflows/:name/runs", async (ctx) => {
    const body = checkBody<RunBody & { version?: number }>(validateNamedRun, ctx.state.body ?? {});
    const loaded = (await options.loadWorkflow(ctx.params.name!, body.version)) ?? workflowNotFound(ctx.params.name!, body.version);
    await startRun(ctx as ShimmyContext, loaded.plan, loaded.version, body);
  });

  router.post("/workflow-runs", async (ctx) => {
    const body = checkBody<RunBody & { workflow: unknown }>(validateInlineRun, ctx.state.body);
    await startRun(ctx as ShimmyContext, planWorkflow(body.workflow, { path: "workflow" }), null, body);
  });

  router.get("/workflow-runs", async (ctx) => {
    const query = parsePageQuery(ctx.query);
    const workflow = singleQuery(ctx, "workflow");
    const status = singleQuery(ctx, "status");
    if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
      throw new ShimmyError("invalid_parameter", `status must be one of ${RUN_STATUSES.join(", ")}`, { param: "status" });
    }
    const page = await store.list({ ...(workflow === undefined ? {} : { workflow }), ...(status === undefined ? {} : { status: status as RunStatus }) }, query);
    if (!page) {
      const param = query.after !== undefined ? "after" : "before";
      throw new ShimmyError("invalid_parameter", `${param} names no workflow run`, { param });
    }
    ctx.body = toListBody({ data: page.data.map(runSummary), hasMore: page.hasMore });
  });

  router.get("/workflow-runs/:id", async (ctx) => {
    const include = singleQuery(ctx, "include");
    if (include !== undefined && include !== "attempts") throw new ShimmyError("invalid_parameter", 'include must be "attempts"', { param: "include" });
    ctx.body = await options.view(ctx.params.id!, { attempts: include === "attempts" });
  });

  router.post("/workflow-runs/:id/cancel", async (ctx) => {
    await runs.cancel(ctx.params.id!);
    ctx.body = await options.view(ctx.params.id!);
  });

  /** Checks the input against the document's schema, then starts the run and answers. */
  async function startRun(ctx: ShimmyContext, plan: ReturnType<typeof planWorkflow>, version: number | null, body: RunBody): Promise<void> {
    const input = body.input === undefined ? {} : body.input;
    if (exceedsJsonDepth(input)) throw new ShimmyError("invalid_parameter", `input nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, { param: "input" });
    plan.checkInput(input);
    await answerRun(ctx, runs, { plan, version, input, wait: body.wait === true, stream: body.stream === true }, options.view);
  }

  return router;
}

function workflowNotFound(name: string, version?: number): never {
  throw new ShimmyError("workflow_not_found", `No saved workflow is named '${name}'${version === undefined ? "" : ` with version ${version}`}; GET /api/workflows lists them.`, {
    param: version === undefined ? "name" : "version",
  });
}

function singleQuery(ctx: { query: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new ShimmyError("invalid_parameter", `${name} is given more than once`, { param: name });
  return value === "" ? undefined : value;
}

function versionQuery(ctx: { query: Record<string, string | string[] | undefined> }): number | undefined {
  const text = singleQuery(ctx, "version");
  if (text === undefined) return undefined;
  const version = Number(text);
  if (!Number.isInteger(version) || version < 1) throw new ShimmyError("invalid_parameter", "version must be a version number (1, 2, …)", { param: "version" });
  return version;
}
