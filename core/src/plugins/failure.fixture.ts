/** Test helper: the error a promise rejects with, or a failure when it resolves. */
import type { PluginCallError } from "./plugin-call-error.js";

/** Awaits `p` and returns what it rejected with. */
export async function failure(p: Promise<unknown>): Promise<PluginCallError> {
  try {
    await p;
  } catch (error) {
    return error as PluginCallError;
  }
  throw new Error("expected a failure");
}
