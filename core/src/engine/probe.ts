/**
 * The verdicts of model files' first loads, remembered by path, size and mtime in
 * `$SHIMMY_HOME/probe-verdicts.json`. A file that passed the header check can still abort the
 * process while its tensors load (llama.cpp asserts); it is loaded first in a runner process
 * (runner/), so one bad file never takes the server down, and the verdict of that first load is
 * kept: a refused file is refused from then on without another try, until it changes.
 */
import fs from "node:fs";
import path from "node:path";

/** The outcome of a first load. */
export type ProbeVerdict = { ok: true } | { ok: false; reason: string };

interface StoredVerdict {
  size: number;
  mtimeMs: number;
  verdict: ProbeVerdict;
}

/** Remembers the verdicts of model files. */
export class ModelProber {
  private verdicts: Record<string, StoredVerdict>;

  /** @param file where verdicts are kept; null keeps them in memory only. */
  constructor(private readonly file: string | null) {
    this.verdicts = file ? readVerdicts(file) : {};
  }

  /** The verdict for a file when its size and mtime are unchanged since; undefined when it was never loaded so. */
  async known(modelPath: string): Promise<ProbeVerdict | undefined> {
    const stat = await fs.promises.stat(modelPath);
    const known = this.verdicts[modelPath];
    return known && known.size === stat.size && known.mtimeMs === stat.mtimeMs ? known.verdict : undefined;
  }

  /** Keeps the verdict of a file's first load, for its current size and mtime. */
  async remember(modelPath: string, verdict: ProbeVerdict): Promise<void> {
    const stat = await fs.promises.stat(modelPath);
    this.verdicts[modelPath] = { size: stat.size, mtimeMs: stat.mtimeMs, verdict };
    if (this.file) writeVerdicts(this.file, this.verdicts);
  }
}

function readVerdicts(file: string): Record<string, StoredVerdict> {
  try {
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    return data !== null && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, StoredVerdict>) : {};
  } catch {
    return {};
  }
}

/** Written to a temporary file, then renamed: a crash never leaves half a file. */
function writeVerdicts(file: string, verdicts: Record<string, StoredVerdict>): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(verdicts, null, 2));
    fs.renameSync(temporary, file);
  } catch {
    // Remembering is an optimisation; a read-only home only means probing again next start.
  }
}
