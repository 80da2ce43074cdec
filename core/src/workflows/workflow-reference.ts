/**
 * `docs/reference/workflow.md`, rendered from {@link WORKFLOW_SCHEMA} (its fields, their
 * descriptions and bounds, each kind of step and its `with`) and from the constants the planner,
 * the expressions and the runs enforce, so the page and the code never disagree. Registered in
 * `scripts/docs.ts`; a test checks the committed page is current, and that its example plans.
 */
import { EXPRESSION_LIMITS } from "./expression.js";
import { DEFAULT_BACKOFF_MS, DEFAULT_RUN_CONCURRENCY } from "./planner.js";
import { STEP_KINDS } from "./types.js";
import { MAX_STEPS, WORKFLOW_SCHEMA } from "./workflow-schema.js";
import { DEFAULT_MAX_ACTIVE_RUNS, DEFAULT_MAX_CONCURRENT_STEPS, DEFAULT_MAX_DEPTH } from "./workflow-runs.js";

type Node = { [keyword: string]: unknown };

/** Defaults the planner applies, by field path (the schema states none: ajv would not apply them). */
const DEFAULTS: Record<string, string> = {
  concurrency: String(DEFAULT_RUN_CONCURRENCY),
  output: "every step's output, by id",
  input: "anything",
  "steps[].retry.limit": "0",
  "steps[].retry.backoff": String(DEFAULT_BACKOFF_MS),
  "steps[].concurrency": "the run's `concurrency`",
  "tool:with.arguments": "`{}`",
  "step:with.input": "`null`",
  "workflow:with.version": "the latest, when the step runs",
  "workflow:with.input": "`{}`",
};

/** The complete example of the page: every field of the document in use. The test plans it. */
export const WORKFLOW_EXAMPLE = {
  name: "support-digest",
  description: "Sorts a support mail and drafts an answer to each of its questions",
  input: { type: "object", required: ["mail"], properties: { mail: { type: "string" }, order: { type: "string" } } },
  concurrency: 4,
  timeoutMs: 600_000,
  steps: [
    {
      id: "sort", uses: "llm", timeoutMs: 60_000, retry: { limit: 2, backoff: 500 },
      with: {
        model: "qwen2.5-1.5b-instruct", max_tokens: 200, temperature: 0,
        messages: [{ role: "system", content: "Sort support mails." }, { role: "user", content: "${{ input.mail }}" }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "sorted", schema: { type: "object", required: ["topic", "urgent"], properties: { topic: { enum: ["billing", "delivery", "other"] }, urgent: { type: "boolean" } } } },
        },
      },
    },
    { id: "questions", uses: "step", with: { name: "split", plugin: "text", input: { text: "${{ input.mail }}", by: "sentences" } } },
    { id: "total", uses: "tool", if: "${{ steps.sort.output.json.topic = 'billing' }}", with: { name: "calculate", arguments: { expression: "${{ $count(steps.questions.output.pieces) }} * 5" } } },
    {
      id: "drafts", uses: "llm", foreach: "${{ steps.questions.output.pieces[$contains($, '?')] }}", concurrency: 2,
      with: { model: "qwen2.5-1.5b-instruct", max_tokens: 120, messages: [{ role: "user", content: "Answer question ${{ index + 1 }} of a ${{ steps.sort.output.json.topic }} mail: ${{ item }}" }] },
    },
    { id: "vectors", uses: "embed", needs: ["drafts"], with: { model: "nomic-embed-text", input: "${{ input.mail }}" } },
  ],
  output: {
    topic: "${{ steps.sort.output.json.topic }}",
    urgent: "${{ steps.sort.output.json.urgent }}",
    answers: "${{ steps.drafts.output.text }}",
    credit: "${{ steps.total.output.result }}",
    summary: "${{ $count(steps.drafts.output) }} answers drafted for order ${{ input.order }}",
  },
};

/** Table cells may not hold a bare `|` or a line break. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function range(node: Node): string {
  const low = node.minimum ?? node.minItems ?? node.minLength;
  const high = node.maximum ?? node.maxItems;
  if (low === undefined && high === undefined) return "";
  const unit = node.type === "array" ? " items" : node.type === "string" ? " chars" : "";
  return high === undefined ? `, ≥ ${String(low)}${unit}` : `, ${String(low ?? 0)}–${String(high)}${unit}`;
}

/** A short type for the table: `string`, `integer, 1–64`, `"llm" | "tool"`, `string or array`. */
function typeOf(node: Node): string {
  if (Array.isArray(node.enum)) return node.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (Array.isArray(node.anyOf)) return (node.anyOf as Node[]).map(typeOf).join(" or ");
  if (node.type === "array") return `array of ${String(((node.items ?? {}) as Node).type ?? "any")}${range(node)}`;
  if (Array.isArray(node.type)) return node.type.join(" or ");
  if (node.type === undefined) return "any JSON";
  return `${String(node.type)}${range(node)}`;
}

/** One row per field; objects with fields of their own (a step, its retry) are flattened with dotted names. */
function rows(object: Node, prefix: string, defaultsKey = ""): string[] {
  const required = new Set((object.required as string[] | undefined) ?? []);
  const out: string[] = [];
  for (const [key, node] of Object.entries(object.properties as Record<string, Node>)) {
    const name = `${prefix}${key}`;
    const fallback = DEFAULTS[defaultsKey + name] ?? "";
    out.push(`| \`${name}\` | ${cell(typeOf(node))} | ${required.has(key) ? "yes" : ""} | ${cell(fallback)} | ${cell(String(node.description ?? ""))} |`);
    const inner = node.type === "array" ? (node.items as Node) : node;
    if (inner.properties && inner.additionalProperties === false) out.push(...rows(inner, node.type === "array" ? `${name}[].` : `${name}.`, defaultsKey));
  }
  return out;
}

const HEADER = ["| field | type | required | default | meaning |", "|---|---|---|---|---|"];

/** A section per kind of step: what it does and returns, and its `with`. */
function kindSections(): string[] {
  const step = (WORKFLOW_SCHEMA.properties.steps.items as unknown as Node).allOf as { if: { properties: { uses: { const: string } } }; then: { properties: { with: Node } } }[];
  return STEP_KINDS.flatMap((kind) => {
    const branch = step.find((rule) => rule.if.properties.uses.const === kind)!;
    const withSchema = branch.then.properties.with;
    return [`### \`${kind}\``, "", String(withSchema.description), "", ...HEADER, ...rows(withSchema, "with.", `${kind}:`), ""];
  });
}

/** The Markdown of the workflow document reference page. */
export function workflowReferenceMarkdown(): string {
  const limits = EXPRESSION_LIMITS;
  const mib = limits.maxStringLength / (1024 * 1024);
  return [
    "# Workflow document reference",
    "",
    "<!-- Generated from core/src/workflows/workflow-schema.ts by `npm run docs`; a test checks it is current. -->",
    "",
    "A workflow is a JSON document of steps (LLM calls, plugin tools and steps, embeddings, other",
    "workflows) that Shimmy runs as one durable run: `POST /api/workflows` saves it (every version",
    "kept), `POST /api/workflows/{name}/runs` or `POST /api/workflow-runs` (inline) runs it, and",
    "`shimmy workflow run FILE|NAME` does both from a terminal. The routes: [HTTP API](http-api.md#workflows);",
    "a walk-through: [Workflows](../guides/workflows.md).",
    "",
    "The document is checked by a JSON Schema (draft-07, `WORKFLOW_SCHEMA` in",
    "`core/src/workflows/workflow-schema.ts`) and then by the planner, which adds what a schema cannot",
    "say. Unknown fields are refused: a misspelt field is an error, never silently ignored. Every fault",
    "is a 400 `workflow_invalid` whose `param` is the JSON path of the fault (`steps.2.with.messages.0.content`,",
    "or under `workflow.` for an inline document):",
    "",
    "- its shape: a missing or mistyped field, an unknown `uses`, a `with` without what its kind requires;",
    "- a repeated step `id`, or `needs` naming no step (or the step itself);",
    "- an expression that does not parse, reads a step that does not exist, reads a later step that is not",
    "  in its `needs`, reads its own step, reads `steps.ID.FIELD` with a field other than `output`, or reads",
    "  `item` or `index` outside the `with` of a `foreach` step;",
    "- a cycle of steps waiting for each other (the message names them, `a → b → a`);",
    "- an `input` that is not a JSON Schema ajv can compile;",
    "- a regular expression or `$eval` in an expression (below).",
    "",
    "## Fields",
    "",
    ...HEADER,
    ...rows(WORKFLOW_SCHEMA as unknown as Node, ""),
    "",
    `A document holds at most ${MAX_STEPS.toLocaleString("en-US")} steps.`,
    "",
    "## Kinds of step (`uses`)",
    "",
    "Each kind takes its arguments in `with`; the schema checks what it requires, and the fields' types",
    "are checked once the step's expressions are resolved, by the same code as the matching HTTP route",
    "(a fault names the field under `with`). A field marked `any JSON` may be anything its route takes.",
    "",
    ...kindSections(),
    "## Expressions",
    "",
    "`${{ … }}` in any string under `with`, `if`, `foreach` and `output` is an expression of",
    "[JSONata](https://docs.jsonata.org) (the `jsonata` package, 2.x): a maintained, side-effect-free query",
    "and transformation language for JSON, run by an interpreter in JavaScript (never `eval`), with a parse",
    "step of its own, so a document's expressions are checked when it is saved rather than when a run",
    "reaches them.",
    "",
    "- **What an expression reads.** `input` (the run's input), `steps.ID.output` (the output of a step",
    "  this one depends on) and, in the `with` of a `foreach` step, `item` and `index` (0-based). The run's",
    "  `output` may read every step. A step depends on the steps its expressions read and on those in its",
    "  `needs`, and sees only their outputs: a name built at run time (`$lookup(steps, name)`) finds",
    "  nothing else.",
    "- **Templates.** A string that is exactly one expression takes the expression's value and type",
    '  (`"${{ steps.count.output }}"` is a number); inside longer text the value is written in: strings as',
    "  they are, other values as JSON, null as nothing. An expression ends at the first `}}` outside its",
    "  strings and braces, so object constructors (`{\"a\": {\"b\": 1}}`) are fine.",
    "- **Values.** A result is plain JSON: nothing (`undefined`) is null, a number that is not finite is",
    "  null, and a function is an error. JSONata's sequences become lists.",
    "- **`if`.** False, null, 0, `\"\"` and an empty list skip the step; its output is then null, and the",
    "  steps that read it run on.",
    "- **Refused.** Regular expression literals (`/ab+c/`) and `$eval` are refused when the document is",
    "  saved: a backtracking pattern would run on the server's event loop, where nothing can stop it.",
    "  `$replace`, `$split` and `$contains` still take a plain string; the `text` step plugin's",
    "  `regex_extract` runs patterns in its sandbox. Every other function of JSONata is there (`$count`,",
    "  `$join`, `$string`, `$map`, `$sum`, …), `$pad` with a bounded width.",
    `- **Bounds.** Every evaluation stops with \`workflow_expression_failed\` past ${limits.timeoutMs} ms, a call depth of`,
    `  ${limits.maxDepth}, a list of ${limits.maxItems.toLocaleString("en-US")} items or a string of ${mib} MiB (${limits.maxStringLength.toLocaleString("en-US")} UTF-16 units). A failing expression fails its`,
    "  step at once, without retries: it would fail the same way again.",
    "",
    "## How a run goes",
    "",
    "- **Order.** A step starts as soon as every step it depends on has succeeded (or was skipped);",
    "  steps that do not depend on each other run side by side. Each step's output is written to the",
    "  state database before any step that reads it starts.",
    `- **Concurrency.** At most \`concurrency\` steps of one run at once (default ${DEFAULT_RUN_CONCURRENCY}; each \`foreach\` item counts),`,
    `  and ${DEFAULT_MAX_CONCURRENT_STEPS} steps on the whole server (a \`workflow\` step, which only waits for its child run, takes`,
    `  none). ${DEFAULT_MAX_ACTIVE_RUNS} runs may be in progress on one server; one more is refused with a 503 \`server_overloaded\`.`,
    `- **Retries.** A failed attempt is tried again \`retry.limit\` times, waiting \`retry.backoff\` ms (default ${DEFAULT_BACKOFF_MS})`,
    "  before the first retry and twice as long before each next one. A `foreach` retries each item on",
    "  its own. A step out of attempts fails the run, naming the step (and item) and why; its other steps",
    "  in flight are stopped.",
    "- **Timeouts.** A step's `timeoutMs` bounds each attempt (`workflow_step_timeout`); the document's",
    "  `timeoutMs` bounds the whole run (`workflow_timeout`). Both stop the work in flight: an LLM",
    "  generation ends and frees its slot, a plugin call is terminated.",
    `- **Nesting.** \`workflow\` steps nest at most ${DEFAULT_MAX_DEPTH} deep.`,
    "",
    "## Durability: at least once",
    "",
    "Every attempt is journaled in the state database (`$SHIMMY_HOME/shimmy.db`): its input, then its",
    "output or error, timings and tokens. When a server starts, it resumes the runs a previous process",
    "left running (it stopped, crashed or was killed): steps and `foreach` items that succeeded are not",
    "run again, their outputs read from the journal; an attempt that was running when the process",
    "stopped is marked `interrupted` and runs again.",
    "",
    "So **a step runs at least once, not exactly once**: a step that was in flight at a crash may have",
    "done its work (called a service, written a file) before the crash, and does it again. Make steps",
    "safe to repeat where that matters. A `tool` step's entry in a run shows the tool's `idempotentHint`",
    "(from its plugin's manifest) as `idempotent`: `true` says running it twice is harmless. A",
    "`workflow` step that runs again joins the child run its first attempt started instead of starting",
    "another. `GET /api/workflow-runs/{id}?include=attempts` lists every attempt.",
    "",
    "## Example",
    "",
    "Every field in use: a JSON answer sorted by an LLM step with retries and a timeout, a plugin step",
    "splitting the mail into sentences, a tool step that only runs for billing mails, an LLM step per",
    "question (a `foreach` over a filtered list, two at a time), an embedding step that waits for it",
    "through `needs`, and an `output` built from them.",
    "",
    "```json",
    JSON.stringify(WORKFLOW_EXAMPLE, null, 2),
    "```",
    "",
  ].join("\n");
}
