/**
 * The workflow routes of a running server (`/api/workflows`, `/api/workflow-runs`) as `shimmy
 * workflow` calls them, over {@link ApiClient} (its errors: {@link ApiError}, {@link ConnectionError}).
 * The types are the server's own, imported as types only.
 */
import type { RunEvent } from "../workflows/run-events.js";
import type { RunView } from "../workflows/run-view.js";
import type { WorkflowDocument } from "../workflows/types.js";
import type { ApiClient } from "./api-client.js";

export type { AttemptView, RunView, StepView, UnitView } from "../workflows/run-view.js";
export type { RunEvent } from "../workflows/run-events.js";

/** A saved workflow's latest version, as `GET /api/workflows` lists it. */
export interface WorkflowSummary {
  name: string;
  version: number;
  /** How many versions are saved. */
  versions: number;
  description: string | null;
  created_at: number;
}

/** A saved version, as `GET /api/workflows/{name}` and `POST /api/workflows` answer. */
export interface SavedWorkflow {
  name: string;
  version: number;
  description: string | null;
  created_at: number;
  document: WorkflowDocument;
}

/** A page of `GET /api/workflow-runs`: runs without their steps. */
export interface RunList {
  data: RunView[];
  has_more: boolean;
  last_id: string | null;
}

/** Which runs to list. */
export interface RunQuery {
  workflow?: string;
  status?: string;
  limit?: number;
  /** The id of the last run of the previous page. */
  after?: string;
}

/** What a run runs: a document as it is (inline), or a saved workflow by name. */
export type RunTarget = { document: unknown } | { name: string; version?: number };

/** An event of a run's stream: the run's own, then the ended run. */
export type RunStreamEvent = RunEvent | { type: "run"; run: RunView };

/** The workflow routes of one server. */
export class WorkflowClient {
  constructor(private readonly api: ApiClient) {}

  /** The server's base URL. */
  get url(): string {
    return this.api.url;
  }

  /** `GET /api/workflows`. */
  async list(): Promise<WorkflowSummary[]> {
    return (await this.api.request<{ data: WorkflowSummary[] }>("GET", "/api/workflows")).data;
  }

  /** `GET /api/workflows/{name}`: the latest version, or `version`. */
  get(name: string, version?: number): Promise<SavedWorkflow> {
    return this.api.request<SavedWorkflow>("GET", `/api/workflows/${encodeURIComponent(name)}${version === undefined ? "" : `?version=${version}`}`);
  }

  /** `POST /api/workflows`: saves `document` (the next version when it has none). */
  save(document: unknown): Promise<SavedWorkflow> {
    return this.api.request<SavedWorkflow>("POST", "/api/workflows", document);
  }

  /** Starts a run and answers at once with the run as it starts (the server's 202). */
  start(target: RunTarget, input: unknown): Promise<RunView> {
    const { path, body } = runRequest(target, input);
    return this.api.request<RunView>("POST", path, body);
  }

  /** Starts a run with `stream: true`: its events as they come, the ended run last. Aborting `signal` stops reading, not the run. */
  stream(target: RunTarget, input: unknown, signal?: AbortSignal): AsyncGenerator<RunStreamEvent> {
    const { path, body } = runRequest(target, input);
    return this.api.events("POST", path, { ...body, stream: true }, signal) as AsyncGenerator<RunStreamEvent>;
  }

  /** `GET /api/workflow-runs`, newest first. */
  runs(query: RunQuery = {}): Promise<RunList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.size > 0 ? `?${params}` : "";
    return this.api.request<RunList>("GET", `/api/workflow-runs${search}`);
  }

  /** `GET /api/workflow-runs/{id}`: the run with its steps; with `attempts`, every attempt of its journal too. */
  show(id: string, attempts = false): Promise<RunView> {
    return this.api.request<RunView>("GET", `/api/workflow-runs/${encodeURIComponent(id)}${attempts ? "?include=attempts" : ""}`);
  }

  /** `POST /api/workflow-runs/{id}/cancel`: the run once cancelled. */
  cancel(id: string): Promise<RunView> {
    return this.api.request<RunView>("POST", `/api/workflow-runs/${encodeURIComponent(id)}/cancel`);
  }
}

function runRequest(target: RunTarget, input: unknown): { path: string; body: Record<string, unknown> } {
  if ("document" in target) return { path: "/api/workflow-runs", body: { workflow: target.document, input } };
  return { path: `/api/workflows/${encodeURIComponent(target.name)}/runs`, body: { input, ...(target.version === undefined ? {} : { version: target.version }) } };
}
