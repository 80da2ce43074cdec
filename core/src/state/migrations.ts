/**
 * The versioned schema of `shimmy.db`. Each migration is plain SQL that PostgreSQL also accepts
 * (TEXT, BIGINT, INTEGER, foreign keys with ON DELETE CASCADE; JSON kept as TEXT), applied once, in
 * order, inside one transaction at start. `schema_migrations` records what ran, so a database
 * written by a newer Shimmy is recognised and refused instead of being misread.
 */
import type { Database } from "better-sqlite3";
import { CORE_VERSION } from "../version.js";
import { StartupError } from "../startup-error.js";

/** One step of the schema. Never edit a released one: add the next. */
export interface Migration {
  /** 1, 2, 3…: consecutive. */
  version: number;
  /** What it adds, in a few words. */
  name: string;
  /** SQL statements, separated by semicolons. */
  sql: string;
}

/** Every migration, oldest first. Features (workflows, vector stores) append theirs here. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "responses and conversations",
    sql: `
      CREATE TABLE responses (
        id TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        previous_response_id TEXT,
        conversation_id TEXT,
        body TEXT NOT NULL
      );
      CREATE INDEX responses_expires_at ON responses (expires_at);
      CREATE TABLE response_items (
        response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        position INTEGER NOT NULL,
        item_id TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (response_id, kind, position)
      );
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL,
        metadata TEXT NOT NULL
      );
      CREATE TABLE conversation_items (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        item_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (conversation_id, position)
      );
      CREATE UNIQUE INDEX conversation_items_item_id ON conversation_items (conversation_id, item_id);
    `,
  },
  {
    version: 2,
    name: "workflows, their runs and step attempts",
    sql: `
      CREATE TABLE workflows (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        description TEXT,
        document TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE TABLE workflow_runs (
        id TEXT PRIMARY KEY,
        position BIGINT NOT NULL UNIQUE,
        workflow_name TEXT NOT NULL,
        workflow_version INTEGER,
        document TEXT NOT NULL,
        input TEXT NOT NULL,
        status TEXT NOT NULL,
        output TEXT,
        error TEXT,
        idempotency_key TEXT UNIQUE,
        request_hash TEXT,
        parent_run_id TEXT REFERENCES workflow_runs (id) ON DELETE CASCADE,
        depth INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        started_at BIGINT,
        finished_at BIGINT
      );
      CREATE INDEX workflow_runs_status ON workflow_runs (status);
      CREATE INDEX workflow_runs_workflow ON workflow_runs (workflow_name, position);
      CREATE TABLE step_attempts (
        run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
        step_id TEXT NOT NULL,
        item_index INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        status TEXT NOT NULL,
        input TEXT,
        output TEXT,
        error TEXT,
        started_at BIGINT NOT NULL,
        finished_at BIGINT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        PRIMARY KEY (run_id, step_id, item_index, attempt)
      );
    `,
  },
  {
    version: 3,
    name: "files, vector stores, their files and chunks",
    // Chunks carry their vector (the source of truth the index is rebuilt from) and a stable integer
    // id, the index's key. The FTS5 table and its triggers are SQLite's; a PostgreSQL port would use
    // a tsvector column instead, and BYTEA for the vector.
    sql: `
      CREATE TABLE files (
        id TEXT PRIMARY KEY,
        position BIGINT NOT NULL UNIQUE,
        filename TEXT NOT NULL,
        purpose TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX files_sha256 ON files (sha256);
      CREATE TABLE vector_stores (
        id TEXT PRIMARY KEY,
        position BIGINT NOT NULL UNIQUE,
        name TEXT,
        embedding_model TEXT NOT NULL,
        dimensions INTEGER NOT NULL,
        metadata TEXT NOT NULL,
        expires_after TEXT,
        expires_at BIGINT,
        created_at BIGINT NOT NULL,
        last_active_at BIGINT NOT NULL
      );
      CREATE TABLE vector_store_file_batches (
        id TEXT PRIMARY KEY,
        vector_store_id TEXT NOT NULL REFERENCES vector_stores (id) ON DELETE CASCADE,
        cancelled INTEGER NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE vector_store_files (
        vector_store_id TEXT NOT NULL REFERENCES vector_stores (id) ON DELETE CASCADE,
        file_id TEXT NOT NULL,
        position BIGINT NOT NULL UNIQUE,
        batch_id TEXT,
        status TEXT NOT NULL,
        last_error TEXT,
        attributes TEXT NOT NULL,
        max_chunk_size_tokens INTEGER NOT NULL,
        chunk_overlap_tokens INTEGER NOT NULL,
        usage_bytes BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (vector_store_id, file_id)
      );
      CREATE INDEX vector_store_files_status ON vector_store_files (status);
      CREATE INDEX vector_store_files_batch ON vector_store_files (batch_id);
      CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        vector_store_id TEXT NOT NULL,
        file_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        embedding BLOB NOT NULL,
        FOREIGN KEY (vector_store_id, file_id) REFERENCES vector_store_files (vector_store_id, file_id) ON DELETE CASCADE
      );
      CREATE INDEX chunks_file ON chunks (vector_store_id, file_id, position);
      CREATE VIRTUAL TABLE chunks_fts USING fts5 (text, content='chunks', content_rowid='id');
      CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
    `,
  },
];

/**
 * Brings the database up to the last of `migrations`, in one immediate transaction (a second
 * process starting at the same time waits, then finds the work done). Returns the versions applied.
 *
 * @throws StartupError when the database holds a version this Shimmy does not know (a newer Shimmy wrote it).
 */
export function runMigrations(db: Database, file: string, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const latest = migrations.at(-1)?.version ?? 0;
  const apply = db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, shimmy_version TEXT NOT NULL)",
    );
    const row = db.prepare("SELECT MAX(version) AS version, COUNT(*) AS count FROM schema_migrations").get() as { version: number | null; count: number };
    const current = row.version ?? 0;
    if (current > latest) {
      const by = db.prepare("SELECT shimmy_version FROM schema_migrations WHERE version = ?").get(current) as { shimmy_version: string };
      throw new StartupError(
        `${file} was written by a newer Shimmy (${by.shimmy_version}, database schema ${current}; this Shimmy ${CORE_VERSION} knows up to ${latest}): upgrade Shimmy, or move the file aside to start afresh`,
      );
    }
    const applied: number[] = [];
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at, shimmy_version) VALUES (?, ?, ?, ?)");
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now(), CORE_VERSION);
      applied.push(migration.version);
    }
    return applied;
  });
  return apply.immediate();
}
