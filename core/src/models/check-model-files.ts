/**
 * The `--model` files must be models Shimmy can serve, as in llama.cpp's server, where a bad `-m`
 * stops the start: someone who names a file means to serve it, and a warning among the log lines
 * while other models are served (or none, with `--no-discovery`) hides the mistake.
 */
import { discoverModels } from "./discovery.js";
import type { HeaderCache } from "./header.js";
import type { RootOptions } from "./roots.js";
import { StartupError } from "../startup-error.js";

/** Options of {@link checkModelFiles}. */
export interface CheckModelFilesOptions {
  /** The `--model` files, as given. */
  files: readonly string[];
  /** Where relative paths start. */
  cwd: string;
  env: RootOptions["env"];
  /** Discovery's cache, so the headers read here are not read again. */
  cache?: HeaderCache;
}

/** The fix to suggest for a refusal reason. */
function fixFor(reason: string): string {
  return /does not exist/.test(reason) ? "check the path, or leave --model out to serve the models Shimmy finds" : "pass a valid GGUF model file";
}

/**
 * Reads the header of each `--model` file (never the weights), with the checks discovery makes.
 * @throws StartupError naming the first file that is missing, unreadable, not a GGUF, a GGUF llama.cpp
 *   would crash on, or not a model (a vision projector, an adapter), and what to do about it.
 */
export async function checkModelFiles({ files, cwd, env, cache }: CheckModelFilesOptions): Promise<void> {
  if (files.length === 0) return;
  const { models, skipped } = await discoverModels({ env, cwd, modelFiles: [...files], modelsDirs: [], discovery: false, cache });
  const refused = models.find((model) => model.invalidReason);
  if (refused) {
    // Reasons about a missing file start with its path; "it" reads better after the flag.
    const reason = refused.invalidReason!.startsWith(`${refused.path} `) ? `it${refused.invalidReason!.slice(refused.path.length)}` : refused.invalidReason!;
    throw new StartupError(`--model ${refused.path}: ${reason}; ${fixFor(reason)}`);
  }
  const notAModel = skipped[0];
  if (notAModel) {
    throw new StartupError(`--model ${notAModel.path}: it is ${notAModel.reason}, not a model to serve; pass the model's own GGUF file`);
  }
}
