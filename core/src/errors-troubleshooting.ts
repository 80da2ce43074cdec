/**
 * `docs/guides/troubleshooting.md`, made from the error catalog: each code's status and description
 * (the cause, in the catalog's own words) beside what to do about it, grouped by what the user was
 * doing. A code this file gives no advice for still appears, under its group or "Anything else",
 * with a pointer to its message, so a new catalog code is never missing from the page.
 */
import { ERROR_CATALOG } from "./errors.js";

/** What a user does about one code; `seen` adds what a client shows beyond the status and code. */
interface Advice {
  seen?: string;
  fix: string;
}

/** One section of the page: the codes it holds, by name or by prefix. */
interface Group {
  title: string;
  intro?: string;
  codes: readonly string[];
  prefixes?: readonly string[];
}

const GROUPS: readonly Group[] = [
  {
    title: "Reaching the server: key, Host, Origin",
    intro:
      "These three run before anything else, so they answer every route the same way. Server-side clients " +
      "(the SDKs, Open WebUI's backend, Cursor's servers) send no `Origin`; only a web page does.",
    codes: ["invalid_api_key", "forbidden_host", "forbidden_origin", "not_found"],
  },
  {
    title: "Models",
    codes: ["model_not_found", "model_invalid", "model_load_failed", "model_crashed", "model_failed", "context_length_exceeded", "embeddings_unsupported", "model_lacks_infill", "output_invalid"],
  },
  {
    title: "The request itself",
    codes: ["invalid_json", "invalid_parameter", "unsupported_media_type", "request_too_large"],
  },
  {
    title: "A busy server",
    intro: "The `openai` SDKs retry a 503 by themselves (twice by default), waiting as `Retry-After` says.",
    codes: ["server_overloaded", "plugin_busy"],
  },
  {
    title: "Plugins and their tools",
    codes: ["plugin_not_found", "tool_not_found", "ambiguous_tool", "plugin_unavailable", "tool_failed", "tool_timeout"],
    prefixes: ["step_", "ambiguous_step"],
  },
  {
    title: "Stored responses and conversations",
    codes: ["response_not_found", "conversation_not_found", "response_not_cancellable"],
  },
  {
    title: "Files and vector stores",
    codes: ["file_not_found", "vector_store_not_found", "file_too_large", "unsupported_file", "embedding_model_unavailable"],
  },
  {
    title: "Pulling models",
    intro: "A pull that stops keeps what it downloaded: running it again resumes it.",
    codes: ["pull_in_progress", "pull_failed", "disk_full"],
    prefixes: ["hub_"],
  },
  {
    title: "Workflows",
    codes: ["idempotency_key_reused"],
    prefixes: ["workflow_"],
  },
];

const KEY_CLIENTS = "the key field of the client (`apiKey` in the SDKs and Continue, `OPENAI_API_KEY` for Open WebUI, Cursor's OpenAI API key)";

const ADVICE: Record<string, Advice> = {
  invalid_api_key: {
    seen: "`AuthenticationError` in the `openai` SDKs; `WWW-Authenticate: Bearer`",
    fix:
      `Put the server's key (\`--api-key\`, \`SHIMMY_API_KEY\` or \`apiKey\` in \`$SHIMMY_HOME/secrets.json\`) in ${KEY_CLIENTS}: ` +
      "clients send it as `Authorization: Bearer KEY` (Anthropic's SDKs and Claude Code as `x-api-key: KEY`, from `ANTHROPIC_API_KEY`). `GET /health` needs no key, so it tells a wrong key from a server that is not there.",
  },
  forbidden_host: {
    seen: "`PermissionDeniedError`; the message names the `Host` it got",
    fix:
      "The request came through a name that is not loopback: a tunnel (cloudflared, ngrok), a reverse proxy, Docker Desktop's " +
      "`host.docker.internal`. Add that name with `--allowed-hosts NAME` (`SHIMMY_ALLOWED_HOSTS`), or have the proxy send " +
      "`Host: localhost`. A server listening on another address (`--host 0.0.0.0`) does not check `Host`: give it `--api-key`. " +
      "See [Cursor](cursor.md) and [Open WebUI](open-webui.md).",
  },
  forbidden_origin: {
    seen: "a failed `fetch` in the browser's console; the message names the origin",
    fix: "Start the server with `--cors-origins ORIGIN` (comma-separated, `*` for any) for the page's origin, exactly as the browser sends it (`https://app.example.com`).",
  },
  not_found: {
    fix:
      "Check the method and the path. An OpenAI client's base URL ends in `/v1` (`http://127.0.0.1:11435/v1`): without it, " +
      "`/chat/completions` is not found. The admin routes are under `/api` ([HTTP API](../reference/http-api.md)).",
  },
  model_not_found: {
    seen: "`NotFoundError`; the message lists the served ids",
    fix:
      "Use an id exactly as `GET /v1/models` (or `npx shimmy models list`) gives it, or an alias from `config.json`. " +
      "Clients that default to OpenAI's names (`gpt-4o`) need the model set in their settings.",
  },
  model_invalid: {
    fix: "`npx shimmy models list` shows the reason; replace the file (`npx shimmy pull` checks the download's sha256).",
  },
  model_load_failed: {
    fix:
      "Mostly memory: a smaller quantization, a smaller `--ctx-size` or `--parallel` (memory grows with both), " +
      "or fewer models loaded at once (`--max-loaded-models`, `POST /api/models/unload`). The server's log has llama.cpp's reason.",
  },
  model_crashed: {
    fix:
      "The server's log has the runner's last llama.cpp lines (event `model_crashed`); `GET /api/models` shows `last_crash`. " +
      "Out of memory is the usual cause: see `model_load_failed`. After three crashes in a row, fix the cause and `npx shimmy load MODEL`.",
  },
  model_failed: {
    fix: "Find why it crashed (see `model_crashed`: the log's event `model_crashed`, `last_crash` in `GET /api/models`), fix it, then `npx shimmy load MODEL` (`POST /api/models/load`).",
  },
  context_length_exceeded: {
    fix:
      "Send less (a shorter history, smaller chunks to embed), or start the server with a larger `--ctx-size` " +
      "(tokens per slot, up to the model's trained context).",
  },
  file_too_large: {
    fix: "Split the file, or start the server with a larger `--max-file-bytes` (`SHIMMY_MAX_FILE_BYTES`).",
  },
  unsupported_file: {
    fix: "Upload text, Markdown, HTML, JSON, code or a PDF with a text layer ([vector stores](../reference/vector-stores.md)); the extension decides the type.",
  },
  embedding_model_unavailable: {
    fix: "Name an embedding model in `embedding_model`, set `vectorStores.embeddingModel` in config.json, or serve an embedding GGUF (`--model`).",
  },
  embeddings_unsupported: {
    fix: "Embed with another model: an embedding model (BERT-style encoders such as bge or nomic-embed) or any decoder.",
  },
  model_lacks_infill: {
    fix: "Point code completion at a model trained to fill in the middle (a Qwen2.5-Coder, StarCoder2 or Codestral GGUF); chat models have no FIM tokens.",
  },
  output_invalid: {
    fix: "Retry, or use a schema whose rules the grammar enforces ([JSON Schema support](../reference/json-schema.md)).",
  },
  invalid_json: {
    fix: "Send valid JSON; with `curl`, a quoting mistake in the shell is the usual cause.",
  },
  invalid_parameter: {
    seen: "`BadRequestError`; `param` names the field",
    fix: "Change the field `param` names as the message says.",
  },
  unsupported_media_type: {
    fix: "Send `Content-Type: application/json`: `curl -d` alone sends a form (`-H 'content-type: application/json'`).",
  },
  request_too_large: {
    fix: "Send less, or raise `--max-body` (16 MiB by default).",
  },
  server_overloaded: {
    fix: "Retry after `Retry-After`; for more requests at once raise `--parallel` (slots per model) or `--queue-size`.",
  },
  plugin_busy: {
    fix: "Retry after `Retry-After`.",
  },
  plugin_not_found: {
    fix: "`npx shimmy plugin list` shows what is installed; `npx shimmy plugin add NAME` installs one.",
  },
  tool_not_found: {
    fix: "`GET /api/plugins` lists each enabled plugin's tools; a disabled plugin comes back with `npx shimmy plugin enable NAME`.",
  },
  ambiguous_tool: {
    fix: "Name the plugin in the call: `\"plugin\": \"NAME\"`.",
  },
  plugin_unavailable: {
    fix:
      "Do what the message says: `npx shimmy plugin enable NAME` for a disabled plugin, `npx shimmy plugin add NAME` again " +
      "for one whose files changed. `GET /health` lists the plugins that cannot start, with why.",
  },
  tool_failed: {
    fix: "The message carries the plugin's own reason; a missing setting is set with `npx shimmy plugin config NAME key=value` (the plugin's README lists them).",
  },
  tool_timeout: {
    fix: "Retry; a slow service or a large input is the usual cause. The limit is the plugin's (`limits.timeoutMs` in its manifest).",
  },
  response_not_found: {
    fix: "Send the conversation in full instead of `previous_response_id`, or keep responses longer with `--response-ttl`.",
  },
  conversation_not_found: {
    fix: "`npx shimmy conversations list` shows the ids the server has.",
  },
  response_not_cancellable: {
    fix: "Nothing to cancel: only a `background: true` response that is still running can be.",
  },
  hub_repo_not_found: {
    fix: "Check the spelling (`ORG/REPO`, as on huggingface.co); for a private repository start the server with `HF_TOKEN`.",
  },
  hub_file_not_found: {
    fix: "Ask for a quantization the message lists: `ORG/REPO:Q4_K_M`.",
  },
  hub_gated: {
    fix: "Accept the licence on the model's page, then start the server with `HF_TOKEN` set to a token of that account.",
  },
  pull_in_progress: {
    fix: "Wait for the other pull to end, then pull again (it finds the file there).",
  },
  pull_failed: {
    fix: "Pull again: it resumes.",
  },
  hub_timeout: {
    fix: "Pull again: it resumes.",
  },
  disk_full: {
    fix: "Free some space and pull again: it resumes.",
  },
  step_not_found: {
    fix: "`GET /api/plugins` lists each plugin's steps; `npx shimmy plugin add text` installs the first-party step plugin.",
  },
  ambiguous_step: {
    fix: "Name the plugin in the step's `with`: `\"plugin\": \"NAME\"`.",
  },
  step_failed: {
    fix: "The message says which: fix the step's `input` the plugin refused (its README lists the fields), or raise the limit it went past.",
  },
  step_timeout: {
    fix: "Give the step less to do (split the text first), or retry it with `retry` in the workflow. The limit is the plugin's (`limits.timeoutMs`).",
  },
  idempotency_key_reused: {
    fix: "Send a new key for a new run; the same key only with the same workflow and input, to get that first run back.",
  },
  workflow_invalid: {
    seen: "`param` is the JSON path of the fault: `steps.2.with.messages.0.content`",
    fix:
      "Change the field at `param` as the message says. The rules, and what expressions may use: [workflow reference](../reference/workflow.md). " +
      "`npx shimmy workflow add FILE` checks a document without running it.",
  },
  workflow_not_found: {
    fix: "`npx shimmy workflow list` shows the saved names and their latest versions; `npx shimmy workflow add FILE` saves one.",
  },
  workflow_version_exists: {
    fix: "Leave `version` out to save the document as the next version, or give a version not saved yet.",
  },
  workflow_run_not_found: {
    fix: "`npx shimmy workflow runs` lists the run ids the server has.",
  },
  workflow_run_finished: {
    fix: "Nothing to cancel: the run ended before the request arrived. `npx shimmy workflow show RUN_ID` shows how.",
  },
  workflow_expression_failed: {
    seen: "in the run's `error`, with the step and the path of the expression (`steps.1.with.input.text`)",
    fix:
      "The value was not what the expression expected (a missing field, a string where a number goes, a list that is not one). " +
      "`npx shimmy workflow show RUN_ID` shows the outputs the step read; fix the expression, or guard it with `if`. It is not retried.",
  },
  workflow_depth_exceeded: {
    fix: "A workflow runs itself, directly or through another: break the loop of `workflow` steps.",
  },
  workflow_step_timeout: {
    seen: "in the run's `error`, with the step (and item)",
    fix: "Raise the step's `timeoutMs`, give it less to do (a smaller `max_tokens`), or add a `retry`.",
  },
  workflow_timeout: {
    fix: "Raise the document's `timeoutMs`, or let more steps run at once (`concurrency`). The clock starts again when a server resumes the run.",
  },
  internal_error: {
    fix: "Find the request's `x-request-id` (every response has it) in the server's log on stderr: that line has the details. A reproducible one is a bug to report with that line.",
  },
};

const FALLBACK = "Follow the message: it names what to change.";

/** `|` would end a table cell. */
const cell = (text: string) => text.replace(/\|/g, "\\|");

/** A group's codes: those it names, in its order, then those its prefixes match, in the catalog's. */
function groupMembers<C extends string>(group: Group, codes: readonly C[]): C[] {
  const named = group.codes.filter((code): code is C => (codes as readonly string[]).includes(code));
  const matched = codes.filter((code) => !named.includes(code) && (group.prefixes ?? []).some((prefix) => code.startsWith(prefix)));
  return [...named, ...matched];
}

/** The Markdown of the troubleshooting page. */
export function troubleshootingMarkdown(): string {
  const codes = Object.keys(ERROR_CATALOG) as (keyof typeof ERROR_CATALOG)[];
  const unknown = Object.keys(ADVICE).filter((code) => !(code in ERROR_CATALOG));
  if (unknown.length > 0) throw new Error(`errors-troubleshooting.ts advises on codes the catalog does not have: ${unknown.join(", ")}`);

  const section = (title: string, intro: string | undefined, members: (keyof typeof ERROR_CATALOG)[]): string[] => {
    if (members.length === 0) return [];
    const rows = members.map((code) => {
      const entry = ERROR_CATALOG[code];
      const advice = ADVICE[code];
      const seen = `${entry.status} \`${code}\`${advice?.seen ? `: ${advice.seen}` : ""}`;
      return `| ${cell(seen)} | ${cell(entry.description)} | ${cell(advice?.fix ?? FALLBACK)} |`;
    });
    return [`## ${title}`, "", ...(intro ? [intro, ""] : []), "| you see | why | what to do |", "|---|---|---|", ...rows, ""];
  };

  const placed = new Set<string>();
  const sections = GROUPS.flatMap((group) => {
    const members = groupMembers(group, codes).filter((code) => !placed.has(code));
    for (const code of members) placed.add(code);
    return section(group.title, group.intro, members);
  });
  const rest = codes.filter((code) => !placed.has(code));

  return [
    "# Troubleshooting",
    "",
    "<!-- Generated from core/src/errors.ts and core/src/errors-troubleshooting.ts by `npm run docs`; a test checks it is current. -->",
    "",
    "Every refusal comes with an HTTP status and a body in OpenAI's shape,",
    '`{"error": {"message", "type", "param", "code"}}`: find the `code` below. The `message` says what',
    "was wrong in this request; the server's log line for it carries the same `x-request-id` as the",
    "response. Clients show these differently: the `openai` SDKs (JS and Python) throw",
    "`BadRequestError` (400), `AuthenticationError` (401), `PermissionDeniedError` (403), `NotFoundError`",
    "(404), `ConflictError` (409) or `InternalServerError` (5xx) with `.status` and `.code`; the Vercel AI",
    "SDK throws an `APICallError` with `statusCode` and `responseBody`; LangChain passes the `openai` error",
    "on; `curl -i` shows it all. Every code with its status: [error reference](../reference/errors.md).",
    "",
    "## No answer at all",
    "",
    "`ECONNREFUSED`, `Connection error.`, `fetch failed` or a timeout is not a Shimmy error: nothing",
    "answered at that address. Is the server running (`curl http://127.0.0.1:11435/health`), on that",
    "port? A client that runs somewhere else cannot reach `127.0.0.1` on your machine: a Docker container",
    "has its own ([Open WebUI](open-webui.md)), and Cursor's requests come from Cursor's servers",
    "([Cursor](cursor.md)).",
    "",
    ...sections,
    ...section("Anything else", undefined, rest),
  ].join("\n");
}
