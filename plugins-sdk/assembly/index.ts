/**
 * `@shimmy/plugin-sdk/assembly`: what a Shimmy plugin written in AssemblyScript imports.
 *
 *   import { inputJson, ok, fail, JsonValue } from "@shimmy/plugin-sdk/assembly";
 *
 *   export function my_tool(): i32 {
 *     const input = inputJson().value;
 *     if (input === null) return fail("input must be JSON");
 *     return ok(JsonValue.makeObject().setString("answer", "42"));
 *   }
 *
 * Build with `shimmy-plugin build`, which names {@link shimmyAbort} below as AssemblyScript's abort.
 */
import { reportAbort } from "./host";

export { JSON_MAX_DEPTH, JSON_MAX_SAFE_INTEGER, JsonKind, JsonValue, quoteJsonString } from "./json";
export { JsonParseResult, parseJson } from "./json-parse";

export {
  chat,
  collect,
  config,
  configBool,
  configInteger,
  configJson,
  fail,
  hostError,
  hostErrorCode,
  http,
  httpRequest,
  inputBytes,
  inputJson,
  inputText,
  listFolder,
  logDebug,
  logError,
  logInfo,
  logWarn,
  now,
  ok,
  outputJson,
  outputText,
  readFile,
  setError,
  writeFile,
} from "./host";

export { ContentType, HttpReply, parseContentType } from "./http-reply";

export { decodeEntities } from "./entities";

export { decodeBase64, encodeBase64 } from "./base64";

export { decodeUtf8, incompleteUtf8Tail, isValidUtf8, truncateChars } from "./text";

export { percentEncode, QueryBuilder } from "./url";

export { pickCandidate, RouterInput, routerInput } from "./router";

/**
 * The abort handler `shimmy-plugin build` passes as
 * `--use abort=~lib/@shimmy/plugin-sdk/assembly/index/shimmyAbort`: the message becomes the call's
 * error, then the call traps.
 */
export function shimmyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  reportAbort(message, fileName, line, column);
}
