/**
 * The one embedded database, `$SHIMMY_HOME/shimmy.db`: opened with the settings every process
 * sharing it needs (WAL, so the CLI reads while the server writes; a busy timeout, so a writer
 * waits for another instead of failing; foreign keys on), migrated at open, closed once.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { StartupError } from "../startup-error.js";
import { MIGRATIONS, runMigrations, type Migration } from "./migrations.js";

/** The database's file name inside `$SHIMMY_HOME`. */
export const STATE_DB_FILE = "shimmy.db";

/** How hard a commit waits for the disk (SQLite's `synchronous`). */
export type SyncMode = "normal" | "full";

/** Options of {@link openStateDb}. */
export interface StateDbOptions {
  /** The database file, or `:memory:` for a private in-memory one (in-process tests). */
  file: string;
  /**
   * `normal`: in WAL mode a commit survives a crash of Shimmy, though the last ones may be lost if the
   * machine loses power; `full`: each commit waits for the disk, surviving power loss too.
   * @default "normal"
   */
  synchronous?: SyncMode;
  /** How long a statement waits for another process's write lock, in ms. @default 5000 */
  busyTimeoutMs?: number;
  /** The schema to migrate to (tests pass their own). @default MIGRATIONS */
  migrations?: readonly Migration[];
}

/** An open state database. */
export interface StateDb {
  /** The better-sqlite3 handle the repositories use. */
  readonly db: Database.Database;
  /** The file it was opened from. */
  readonly file: string;
  /** Copies the database, while it stays in use, to `destination` (SQLite's online backup). */
  backup(destination: string): Promise<void>;
  /** Closes the handle; idempotent. */
  dispose(): void;
}

/** `$SHIMMY_HOME/shimmy.db`. */
export function stateDbPath(home: string): string {
  return path.join(home, STATE_DB_FILE);
}

/**
 * Opens (creating it if needed) and migrates the database.
 *
 * @throws StartupError when the file cannot be opened as a database, or a newer Shimmy wrote it.
 * @example
 * const state = openStateDb({ file: stateDbPath(home) });
 * try { … } finally { state.dispose(); }
 */
export function openStateDb(options: StateDbOptions): StateDb {
  const { file, synchronous = "normal", busyTimeoutMs = 5000 } = options;
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: busyTimeoutMs });
    db.pragma("journal_mode = WAL");
  } catch (err) {
    throw new StartupError(`cannot open the state database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    runMigrations(db, file, options.migrations ?? MIGRATIONS);
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    db,
    file,
    backup: async (destination) => {
      await db.backup(destination);
    },
    dispose: () => {
      if (db.open) db.close();
    },
  };
}
