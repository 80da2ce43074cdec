/**
 * classify-router: labels the request's last user message with a small local model (the host
 * function `shimmy_chat`, the answer forced to one of the configured labels), then picks the
 * candidate the label maps to.
 */
import { chat, config, configInteger, configJson, fail, hostError, inputJson, JsonValue, ok } from "@shimmy/plugin-sdk/assembly";

/** The first available candidate with `id`, or with the tag; "" when none (first available when both are null). */
function target(candidates: JsonValue, model: string | null, tag: string | null): string {
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

function labelList(labels: JsonValue): string {
  let text = "";
  for (let i = 0; i < labels.length; i++) text += (i > 0 ? ", " : "") + labels.at(i)!.str;
  return text;
}

export function route(): i32 {
  const input = inputJson().value;
  if (input === null || !input.isObject()) return fail("input must be a JSON object");
  const request = input.getObject("request");
  const candidates = input.getArray("candidates");
  if (request === null || candidates === null) return fail("input needs request and candidates");
  const model = config("model");
  const labels = configJson("labels");
  if (model === null || labels === null || !labels.isArray() || labels.length == 0) return fail("set model and labels: shimmy plugin config classify-router model=ID labels=a,b,c");
  let query = request.getString("last_user_text");
  if (query === null) query = "";
  const maxChars = <i32>configInteger("max_chars", 2000);
  if (query!.length > maxChars) query = query!.substring(0, maxChars);
  let instructions = config("instructions");
  if (instructions === null) instructions = "Classify the user's message. Answer with one label: " + labelList(labels) + ".";
  const messages = JsonValue.makeArray()
    .push(JsonValue.makeObject().setString("role", "system").setString("content", instructions!))
    .push(JsonValue.makeObject().setString("role", "user").setString("content", query!));
  let longest = 0;
  for (let i = 0; i < labels.length; i++) longest = max(longest, labels.at(i)!.str.length);
  // A label in quotes, a token or so per character at worst.
  const reply = chat(model!, messages, longest + 8, labels);
  const error = hostError(reply);
  if (error !== null) return fail("labelling with " + model! + " failed: " + error!);
  const label = reply.getString("text");
  if (label === null) return fail("labelling gave no text");
  const routes = configJson("routes");
  const mapped = routes !== null ? routes.getString(label!) : null;
  let picked = "";
  if (mapped !== null) picked = mapped!.startsWith("tag:") ? target(candidates, null, mapped!.substring(4)) : target(candidates, mapped, null);
  const reason = "labelled " + label! + " by " + model!;
  if (picked == "") {
    picked = target(candidates, null, null);
    if (picked == "") return fail("no candidate is available");
    return ok(JsonValue.makeObject().setString("model", picked).setString("reason", reason + "; no available candidate for it: first candidate"));
  }
  return ok(JsonValue.makeObject().setString("model", picked).setString("reason", reason));
}
