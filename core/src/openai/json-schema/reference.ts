/** `docs/reference/json-schema.md`, rendered from the keyword table so the two never disagree. */
import { MAX_JSON_DEPTH } from "../json-depth.js";
import { KEYWORD_RULES, type KeywordClass, type KeywordRule } from "./keywords.js";
import { MAX_GRAMMAR_REPETITIONS, REPETITION_MINIMUMS } from "./limits.js";

const CLASS_ORDER: KeywordClass[] = ["translated", "dropped", "unenforceable"];

/** Table cells may not hold a bare `|`. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function row(rule: KeywordRule): string {
  const keyword = rule.keyword.startsWith("any ") ? rule.keyword : `\`${rule.keyword}\``;
  const when = rule.when ? ` (${rule.when})` : "";
  // Reasons are written to follow "cannot be enforced while generating (...)"; a cell starts a sentence.
  const reason = /^[a-z]/.test(rule.reason) && !rule.reason.startsWith("node-llama-cpp") ? rule.reason[0]!.toUpperCase() + rule.reason.slice(1) : rule.reason;
  return `| ${cell(keyword + when)} | ${rule.class} | ${cell(rule.effect)} | ${cell(reason)} |`;
}

/** The Markdown of the JSON Schema reference page. */
export function jsonSchemaReferenceMarkdown(): string {
  const rules: readonly KeywordRule[] = KEYWORD_RULES;
  const sorted = CLASS_ORDER.flatMap((kind) => rules.filter((rule) => rule.class === kind));
  return [
    "# JSON Schema reference",
    "",
    "<!-- Generated from core/src/openai/json-schema/keywords.ts by `npm run docs`; a test checks it is current. -->",
    "",
    "Clients send JSON Schemas in two places of `POST /v1/chat/completions`:",
    "",
    '- `response_format: {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`: the answer must match `schema`;',
    '- `tools[].function.parameters` (with `tools[].function.strict`): a tool call\'s arguments must match it.',
    "",
    "Shimmy turns each schema into a llama.cpp grammar through node-llama-cpp, so the model can only",
    "write text the grammar allows. node-llama-cpp understands a small part of JSON Schema and silently",
    "ignores the rest, so every keyword gets one of three treatments:",
    "",
    "- **translated**: rewritten exactly into node-llama-cpp's form. The grammar may be narrower than",
    "  the schema (for example, optional properties are always generated), never wider: everything it",
    "  allows is valid.",
    "- **dropped**: it only describes (a title, an example, an unknown `format`) and asserts nothing the",
    "  answer could break; it is removed from the grammar.",
    "- **unenforceable**: the grammar cannot enforce it (`pattern`, `minimum`, recursive `$ref`, ...).",
    "",
    "## What `strict` changes",
    "",
    "- `strict: true`: an unenforceable keyword anywhere in the schema is refused with a 400",
    "  `invalid_parameter` whose `param` is the keyword's full path, for example",
    "  `response_format.json_schema.schema.properties.age.minimum`. What is accepted is enforced",
    "  while generating.",
    "- `strict` false or absent: unenforceable keywords are removed from the grammar, and the answer is",
    "  checked against the whole schema, as sent, after generation.",
    "",
    "Either way the answer is checked against the schema as sent (ajv; `$schema` picks the dialect,",
    "formats are not checked). A check that fails is an error response, never JSON handed on that",
    "breaks the schema. Dropped and translated keywords behave the same in both modes, so the",
    "schemas real clients send (`$schema`, `anyOf` with `{\"type\": \"null\"}`, `format: \"email\"`,",
    "`additionalProperties: false`) work in both. A schema that is not an object or a boolean, that",
    "ajv finds malformed, or that allows no value at all is refused in both modes.",
    "",
    "## Limits",
    "",
    "Refused with a 400 `invalid_parameter` in both modes, before anything else reads the schema:",
    "",
    `- a schema that nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (the outermost`,
    "  counting as 1; `{\"items\": {...}}` is one level, `{\"properties\": {\"a\": {...}}}` two); the",
    "  JSON of a tool call's `arguments` or of a tool result in `messages` is held to the same limit;",
    `- ${[...REPETITION_MINIMUMS].map((k) => `\`${k}\``).join(", ")} above ${MAX_GRAMMAR_REPETITIONS}: the grammar`,
    "  repeats a character, item or property that many times, and llama.cpp refuses a repetition times",
    "  the rules it spans from 2,000 on. `param` names the keyword's full path.",
    "",
    `An upper bound (\`maxLength\`, \`maxItems\`, \`maxProperties\`) above ${MAX_GRAMMAR_REPETITIONS} is held to ${MAX_GRAMMAR_REPETITIONS} in`,
    "the grammar: what it writes still satisfies the schema as sent, and the answer is checked against",
    "the bound as sent.",
    "",
    "## Keywords",
    "",
    "| keyword | class | what Shimmy does | why |",
    "|---|---|---|---|",
    ...sorted.map(row),
    "",
  ].join("\n");
}
