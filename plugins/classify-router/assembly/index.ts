/**
 * classify-router: labels the request's last user message with a small local model (the host
 * function `shimmy_chat`, the answer forced to one of the configured labels), then picks the
 * candidate the label maps to.
 */
import { chat, config, configInteger, configJson, fail, hostError, JsonValue, ok, pickCandidate, routerInput } from "@shimmy/plugin-sdk/assembly";

function labelList(labels: JsonValue): string {
  let text = "";
  for (let i = 0; i < labels.length; i++) text += (i > 0 ? ", " : "") + labels.at(i)!.str;
  return text;
}

export function route(): i32 {
  const input = routerInput();
  if (input.error !== null) return fail(input.error!);
  const request = input.request;
  const candidates = input.candidates;
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
  if (mapped !== null) picked = mapped!.startsWith("tag:") ? pickCandidate(candidates, null, mapped!.substring(4)) : pickCandidate(candidates, mapped, null);
  const reason = "labelled " + label! + " by " + model!;
  if (picked == "") {
    picked = pickCandidate(candidates, null, null);
    if (picked == "") return fail("no candidate is available");
    return ok(JsonValue.makeObject().setString("model", picked).setString("reason", reason + "; no available candidate for it: first candidate"));
  }
  return ok(JsonValue.makeObject().setString("model", picked).setString("reason", reason));
}
