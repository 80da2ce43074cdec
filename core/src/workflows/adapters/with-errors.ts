/**
 * An adapter checks its step's resolved `with` with the same validators as the HTTP routes, whose
 * errors name fields from the body's root (`messages.0.content`); in a run they sit under `with`.
 */
import { ShimmyError } from "../../errors.js";

/** Runs `check`; an `invalid_parameter` it throws is renamed to the field under `with`. */
export function checkWith<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw underWith(err);
  }
}

/** `err` with its `param` (and the message's mention of it) under `with`; other errors as they are. */
export function underWith(err: unknown): unknown {
  if (!(err instanceof ShimmyError) || err.code !== "invalid_parameter") return err;
  const param = err.param === null ? "with" : `with.${err.param}`;
  const message = err.param === null ? `with: ${err.message}` : err.message.replaceAll(err.param, param);
  return new ShimmyError(err.code, message, { param, cause: err });
}
