/**
 * The prompt history of `shimmy run`, kept between sessions in `$SHIMMY_HOME/run_history`: one
 * input line per line, oldest first, as a shell keeps its history, and never more than a bound.
 */
import fs from "node:fs";
import path from "node:path";

/** The file name inside `$SHIMMY_HOME`. */
export const RUN_HISTORY_FILE = "run_history";

/** How many lines the history keeps. */
export const RUN_HISTORY_SIZE = 500;

/** The last `limit` lines of the history file, oldest first; none when it does not exist yet. */
export function readRunHistory(file: string, limit = RUN_HISTORY_SIZE): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return text.split("\n").filter((line) => line !== "").slice(-limit);
}

/**
 * Replaces the history file with the last `limit` of `lines` (oldest first). Readable by its owner
 * only, since prompts can hold anything.
 */
export function writeRunHistory(file: string, lines: readonly string[], limit = RUN_HISTORY_SIZE): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const kept = lines.filter((line) => line !== "" && !line.includes("\n")).slice(-limit);
  fs.writeFileSync(file, kept.map((line) => line + "\n").join(""), { mode: 0o600 });
}
