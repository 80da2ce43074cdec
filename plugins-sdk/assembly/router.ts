/**
 * Helpers for router plugins (`"kind": "router"`), whose input holds the route's candidates:
 * `candidates: [{id, tags, available, …}]`, in the route's order.
 */
import { inputJson } from "./host";
import { JsonValue } from "./json";

/** A router call's input, read by {@link routerInput}. */
export class RouterInput {
  /** The request's summary (`kind`, `messages`, `last_user_text`, `tokens`, `tools`, …); empty when `error` is set. */
  request: JsonValue = JsonValue.makeObject();
  /** The route's candidates, in its order; empty when `error` is set. */
  candidates: JsonValue = JsonValue.makeArray();
  /** Why the input is not a router's (fail the call with it), or null. */
  error: string | null = null;
}

/**
 * The call's input as a router's: `{request, candidates, …}`.
 *
 * @example
 * const input = routerInput();
 * if (input.error !== null) return fail(input.error!);
 */
export function routerInput(): RouterInput {
  const result = new RouterInput();
  const input = inputJson().value;
  if (input === null || !input.isObject()) {
    result.error = "input must be a JSON object";
    return result;
  }
  const request = input.getObject("request");
  const candidates = input.getArray("candidates");
  if (request === null || candidates === null) {
    result.error = "input needs request and candidates";
    return result;
  }
  result.request = request!;
  result.candidates = candidates!;
  return result;
}

/**
 * The id of the first available candidate that is `model` or, for a `tag`, carries it; with both
 * null, the first available candidate. "" when none is. A candidate without `available` counts as
 * available.
 *
 * @example
 * const picked = pickCandidate(candidates, null, "code"); // the first available candidate tagged "code"
 * if (picked == "") return fail("no candidate is available");
 */
export function pickCandidate(candidates: JsonValue, model: string | null, tag: string | null): string {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates.at(i)!;
    if (!c.getBool("available", true)) continue;
    const id = c.getString("id");
    if (id === null) continue;
    if (model === null && tag === null) return id!;
    if (model !== null && id! == model!) return id!;
    if (tag !== null) {
      const tags = c.getArray("tags");
      if (tags === null) continue;
      for (let t = 0; t < tags.length; t++) if (tags.at(t)!.isString() && tags.at(t)!.str == tag!) return id!;
    }
  }
  return "";
}
