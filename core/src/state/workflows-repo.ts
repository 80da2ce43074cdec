/**
 * Saved workflows: every version of each, its document kept as the client sent it (with its
 * version). Plain portable SQL, as in `responses-repo.ts`.
 */
import type { Database } from "better-sqlite3";
import type { Awaitable } from "./page.js";

/** One saved version of a workflow. */
export interface StoredWorkflow {
  name: string;
  version: number;
  description: string | null;
  /** The document, its `version` set. */
  document: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A workflow as `GET /api/workflows` lists it: its latest version, and how many it has. */
export interface WorkflowSummary extends StoredWorkflow {
  versions: number;
}

/** What {@link WorkflowStore.save} did. */
export type SaveOutcome =
  | { outcome: "created"; workflow: StoredWorkflow }
  /** The same version with the same document was saved before: nothing changed. */
  | { outcome: "unchanged"; workflow: StoredWorkflow }
  /** The version exists with another document (returned); nothing changed. */
  | { outcome: "conflict"; workflow: StoredWorkflow };

/** A version to save. */
export interface NewWorkflow {
  name: string;
  /** Absent: the next number (1 for a new name). */
  version?: number;
  description: string | null;
  document: Record<string, unknown>;
  createdAt: number;
}

/** What the workflow routes need of a database; SQLite's is {@link SqliteWorkflowStore}. */
export interface WorkflowStore {
  /** Saves a version, numbering it when it has no number; in one transaction. */
  save(workflow: NewWorkflow): Awaitable<SaveOutcome>;
  /** A version, or the latest when `version` is absent; null when there is none. */
  get(name: string, version?: number): Awaitable<StoredWorkflow | null>;
  /** The version numbers of a workflow, oldest first. */
  versions(name: string): Awaitable<number[]>;
  /** Every workflow's latest version, by name. */
  list(): Awaitable<WorkflowSummary[]>;
  /** Deletes every version; returns how many there were. */
  delete(name: string): Awaitable<number>;
}

interface Row {
  name: string;
  version: number;
  description: string | null;
  document: string;
  created_at: number;
}

const toWorkflow = (row: Row): StoredWorkflow => ({
  name: row.name, version: row.version, description: row.description, document: JSON.parse(row.document) as Record<string, unknown>, createdAt: row.created_at,
});

/** {@link WorkflowStore} on the state database. */
export class SqliteWorkflowStore implements WorkflowStore {
  constructor(private readonly db: Database) {}

  save(workflow: NewWorkflow): SaveOutcome {
    return this.db.transaction((): SaveOutcome => {
      const version = workflow.version ?? this.latestVersion(workflow.name) + 1;
      const document = { ...workflow.document, version };
      const existing = this.get(workflow.name, version);
      if (existing) return { outcome: JSON.stringify(existing.document) === JSON.stringify(document) ? "unchanged" : "conflict", workflow: existing };
      this.db
        .prepare("INSERT INTO workflows (name, version, description, document, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(workflow.name, version, workflow.description, JSON.stringify(document), workflow.createdAt);
      return { outcome: "created", workflow: { name: workflow.name, version, description: workflow.description, document, createdAt: workflow.createdAt } };
    }).immediate();
  }

  get(name: string, version?: number): StoredWorkflow | null {
    const row = (
      version === undefined
        ? this.db.prepare("SELECT * FROM workflows WHERE name = ? ORDER BY version DESC LIMIT 1").get(name)
        : this.db.prepare("SELECT * FROM workflows WHERE name = ? AND version = ?").get(name, version)
    ) as Row | undefined;
    return row ? toWorkflow(row) : null;
  }

  versions(name: string): number[] {
    return (this.db.prepare("SELECT version FROM workflows WHERE name = ? ORDER BY version").all(name) as { version: number }[]).map((row) => row.version);
  }

  list(): WorkflowSummary[] {
    const rows = this.db
      .prepare(
        `SELECT w.*, c.versions FROM workflows w
         JOIN (SELECT name, MAX(version) AS latest, COUNT(*) AS versions FROM workflows GROUP BY name) c ON c.name = w.name AND c.latest = w.version
         ORDER BY w.name`,
      )
      .all() as (Row & { versions: number })[];
    return rows.map((row) => ({ ...toWorkflow(row), versions: row.versions }));
  }

  delete(name: string): number {
    return this.db.prepare("DELETE FROM workflows WHERE name = ?").run(name).changes;
  }

  private latestVersion(name: string): number {
    return (this.db.prepare("SELECT MAX(version) AS latest FROM workflows WHERE name = ?").get(name) as { latest: number | null }).latest ?? 0;
  }
}
