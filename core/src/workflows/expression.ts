/**
 * `${{ … }}` expressions are JSONata (the `jsonata` package, 2.x): a maintained query and
 * transformation language for JSON, side-effect free (no I/O, no access to the process), evaluated
 * by a pure-JavaScript interpreter (never `eval` or `Function`), with a separate parse step, so a
 * document's expressions are checked when it is saved rather than when a run reaches them.
 *
 * Everything in a document is treated as hostile, and expressions run on the server's event loop,
 * so every evaluation is bounded: JSONata's own guardrails (time, call depth, sequence length), a
 * check of every intermediate result's size (a string doubling itself in a recursion stops at the
 * bound, not at the heap's end), `$pad` with a bounded width, and no `$eval` or regular expressions
 * (a regular expression can backtrack for minutes between two guardrail checks).
 */
import jsonata from "jsonata";
import { readsOf, type ExpressionReads } from "./expression-refs.js";

/** Bounds of one evaluation. */
export interface ExpressionLimits {
  /** Longest evaluation, in ms (checked at each step of the evaluation). */
  timeoutMs: number;
  /** Deepest nesting of evaluation steps (recursive functions). */
  maxDepth: number;
  /** Longest sequence or list an evaluation may build. */
  maxItems: number;
  /** Longest string an evaluation may build, in UTF-16 units. */
  maxStringLength: number;
}

/** The bounds every evaluation runs under. */
export const EXPRESSION_LIMITS: Readonly<ExpressionLimits> = {
  timeoutMs: 250,
  maxDepth: 200,
  maxItems: 100_000,
  maxStringLength: 4 * 1024 * 1024,
};

/** An expression that does not parse, or whose evaluation failed; `position` is 0-based in its source where known. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number | null,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "ExpressionError";
  }
}

const EXIT_HOOK = Symbol.for("jsonata.__evaluate_exit");

/** A parsed expression, ready to evaluate over a step's context. */
export class CompiledExpression {
  /** What it reads from the context, and what it uses that the planner refuses. */
  readonly reads: ExpressionReads;

  private constructor(
    readonly source: string,
    private readonly expression: jsonata.Expression,
    /** The bounded or refused functions, bound per evaluation (cheaper than registering them on each parse). */
    private readonly bindings: Record<string, unknown>,
  ) {
    this.reads = readsOf(expression.ast());
  }

  /**
   * Parses `source` and arms the evaluation bounds.
   * @throws ExpressionError when it does not parse.
   */
  static compile(source: string, limits: ExpressionLimits = EXPRESSION_LIMITS): CompiledExpression {
    let expression: jsonata.Expression;
    try {
      expression = jsonata(source, { timeout: limits.timeoutMs, stack: limits.maxDepth, sequence: limits.maxItems });
    } catch (err) {
      throw toExpressionError(err);
    }
    return new CompiledExpression(source, bound(expression, limits), limits === EXPRESSION_LIMITS ? DEFAULT_BINDINGS : boundFunctions(limits));
  }

  /**
   * The value of the expression over `context`, as plain JSON: undefined becomes null, and
   * JSONata's sequences plain lists, so a value reads the same fresh or reloaded from the journal.
   * @throws ExpressionError when the evaluation fails or goes past a bound.
   */
  async evaluate(context: object): Promise<unknown> {
    let value: unknown;
    try {
      value = await this.expression.evaluate(context, this.bindings);
    } catch (err) {
      throw toExpressionError(err);
    }
    return toJson(value);
  }
}

/** Installs the size check on every step of one expression's evaluations. */
function bound(expression: jsonata.Expression, limits: ExpressionLimits): jsonata.Expression {
  (expression.assign as unknown as (name: symbol, value: unknown) => void)(EXIT_HOOK, (_node: unknown, _input: unknown, _env: unknown, result: unknown) => {
    if (typeof result === "string" && result.length > limits.maxStringLength) {
      throw { code: "S_STRING", message: `a string grew past ${limits.maxStringLength} characters` };
    }
    if (Array.isArray(result) && result.length > limits.maxItems) {
      throw { code: "S_LIST", message: `a list grew past ${limits.maxItems} items` };
    }
  });
  return expression;
}

/** `$eval` refused, `$pad` with a bounded width: bindings shadow JSONata's built-in functions of the same names. */
function boundFunctions(limits: ExpressionLimits): Record<string, unknown> {
  return {
    eval: () => {
      throw { code: "S_EVAL", message: "$eval is not available in workflow expressions" };
    },
    pad: (text: unknown, width: unknown, char?: unknown) => {
      if (text === undefined) return undefined;
      if (typeof text !== "string" || typeof width !== "number" || (char !== undefined && typeof char !== "string")) {
        throw { code: "T0410", message: "$pad takes a string, a width and an optional padding string" };
      }
      if (Math.abs(width) > limits.maxStringLength) throw { code: "S_STRING", message: `$pad's width is past ${limits.maxStringLength}` };
      return pad(text, width, char);
    },
  };
}

const DEFAULT_BINDINGS = boundFunctions(EXPRESSION_LIMITS);

/** JSONata's `$pad`: to `|width|` characters, on the right for a positive width, on the left for a negative one. */
function pad(text: string, width: number, char = " "): string {
  const fill = char === "" ? " " : char;
  const missing = Math.abs(width) - [...text].length;
  if (missing <= 0) return text;
  const padding = [...fill.repeat(Math.ceil(missing / [...fill].length))].slice(0, missing).join("");
  return width > 0 ? text + padding : padding + text;
}

/** A value as plain JSON; a function (a JSONata lambda) is an error, since no step can take one. */
function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "function" || (typeof value === "object" && value !== null && "_jsonata_lambda" in value)) {
    throw new ExpressionError("the expression yields a function, which is not a JSON value", null, "S_FUNCTION");
  }
  if (typeof value !== "object" || value === null) return typeof value === "number" && !Number.isFinite(value) ? null : value;
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function toExpressionError(err: unknown): ExpressionError {
  if (err instanceof ExpressionError) return err;
  if (err instanceof RangeError) return new ExpressionError(`the evaluation ran out of room: ${err.message}`, null, null);
  const fields = (typeof err === "object" && err !== null ? err : {}) as { message?: unknown; position?: unknown; code?: unknown };
  const message = typeof fields.message === "string" ? fields.message : String(err);
  const position = typeof fields.position === "number" ? fields.position : null;
  return new ExpressionError(message, position, typeof fields.code === "string" ? fields.code : null);
}
