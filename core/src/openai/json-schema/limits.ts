/**
 * The largest count a client's schema may ask the grammar to repeat. node-llama-cpp writes
 * `minLength`, `maxLength`, `minItems`, `maxItems`, `minProperties` and `maxProperties` as GBNF
 * repetitions (`item{0,N}`), and llama.cpp refuses a grammar when a repetition times the rules it
 * spans reaches 2,000 (`MAX_REPETITION_THRESHOLD`); the repeated item spans up to three rules
 * (a group, a separator and the item), so 2,000 / 3 is the ceiling. Above it, llama.cpp writes the
 * whole grammar to stderr and fails the request; and larger counts wrap around in its parser.
 */
export const MAX_GRAMMAR_REPETITIONS = 500;

/** The keywords whose value becomes a repetition count in the grammar. */
export const REPETITION_KEYWORDS: ReadonlySet<string> = new Set(["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]);

/**
 * The lower bounds among them: one above the cap asks for more than a grammar can write, so the
 * schema is refused. An upper bound above it is held to the cap in the grammar instead: what the
 * grammar then writes still satisfies the schema as sent.
 */
export const REPETITION_MINIMUMS: ReadonlySet<string> = new Set(["minLength", "minItems", "minProperties"]);

/**
 * A copy of a grammar schema with every upper repetition bound (`maxLength`, `maxItems`,
 * `maxProperties`) above {@link MAX_GRAMMAR_REPETITIONS} held to it. The schema's nesting was
 * checked against `MAX_JSON_DEPTH` before, so the recursion is bounded.
 */
export function capRepetitions<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item: unknown) => capRepetitions(item)) as T;
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      REPETITION_KEYWORDS.has(key) && !REPETITION_MINIMUMS.has(key) && typeof value === "number"
        ? Math.min(value, MAX_GRAMMAR_REPETITIONS)
        : capRepetitions(value),
    ]),
  ) as T;
}
