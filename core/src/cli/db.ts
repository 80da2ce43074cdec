/**
 * `shimmy db`: the state database (`$SHIMMY_HOME/shimmy.db`). `backup FILE` copies it with SQLite's
 * online backup, so a running server keeps answering (and writing) while it is copied.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { shimmyHome } from "../config/index.js";
import { StartupError } from "../startup-error.js";
import { stateDbPath } from "../state/state-db.js";

/** The text of `shimmy db --help`. */
export function dbUsage(): string {
  return `Usage: shimmy db <command> [options]

The state database, $SHIMMY_HOME/shimmy.db (stored responses, conversations).

Commands:
  backup FILE    Copy the database to FILE while it stays in use (SQLite's online backup).

Options:
  --force        Overwrite FILE if it exists.
  -h, --help     Print this help.
`;
}

/** Runs `shimmy db`; the exit code (2 for a usage mistake). */
export async function dbCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: { values: { force?: boolean; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { force: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    process.stderr.write(`shimmy db: ${(error as Error).message}\n\n${dbUsage()}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? process.stdout : process.stderr).write(dbUsage());
    return values.help ? 0 : 2;
  }
  const [command, file, ...extra] = positionals;
  if (command !== "backup" || file === undefined || extra.length > 0) {
    process.stderr.write(`shimmy db: expected "backup FILE"\n\n${dbUsage()}`);
    return 2;
  }
  await backupStateDb(stateDbPath(shimmyHome(env)), path.resolve(file), values.force === true);
  process.stderr.write(`shimmy db: backed up to ${path.resolve(file)}\n`);
  return 0;
}

/**
 * Copies `source` to `destination` with SQLite's online backup. The source is opened read-only and
 * not migrated, so a database of another Shimmy version can be backed up too.
 *
 * @throws StartupError when there is no database yet, or `destination` exists and `force` is off.
 */
export async function backupStateDb(source: string, destination: string, force: boolean): Promise<void> {
  if (!fs.existsSync(source)) throw new StartupError(`there is no state database at ${source} yet: nothing to back up`);
  if (fs.existsSync(destination) && !force) throw new StartupError(`${destination} exists: pass --force to overwrite it`);
  const db = new Database(source, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    // A partial copy must never look like a backup: write beside it, then rename.
    const partial = `${destination}.partial`;
    await db.backup(partial);
    fs.renameSync(partial, destination);
  } finally {
    db.close();
  }
}
