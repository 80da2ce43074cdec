/**
 * What a parsed expression reads from a step's context, found by walking its JSONata syntax tree:
 * the root names (`input`, `steps`, `item`, `index`), the steps it references (`steps.ID.output`),
 * and what the planner refuses outright (regular expressions, `$eval`).
 *
 * Only paths read from the context's root count: in `input.list[item > 3]`, `item` is a field of
 * each list entry, not the foreach item. A reference built at run time (`$lookup(steps, name)`)
 * is not seen here; it can only read the steps the step depends on (see `run-execution.ts`).
 */
import type jsonata from "jsonata";

/** A root name an expression reads, and where. */
export interface RootRead {
  name: string;
  /** For `steps.ID…`: the step id, and the field after it when there is one (it must be `output`). */
  step?: { id: string; field?: string };
  position: number;
}

/** A construct the planner refuses, and where. */
export interface Refused {
  what: string;
  position: number;
}

/** What {@link readsOf} found. */
export interface ExpressionReads {
  roots: RootRead[];
  refused: Refused[];
}

/** A syntax tree node as the parser builds it (jsonata's typings list fewer node types than it makes). */
type Node = { type: string; value?: unknown; position?: number } & Record<string, unknown>;

/** The root reads and refused constructs of an expression's syntax tree. */
export function readsOf(ast: jsonata.ExprNode): ExpressionReads {
  const reads: ExpressionReads = { roots: [], refused: [] };
  walk(ast, true, reads);
  return reads;
}

function walk(node: unknown, atRoot: boolean, reads: ExpressionReads): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, atRoot, reads);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const n = node as Node;
  if (n.type === "regex") {
    // A document's regular expression would run on the server's event loop, where a backtracking
    // pattern can stall every request; the `text` step plugin's regex extract runs sandboxed.
    reads.refused.push({ what: "a regular expression (use the text step plugin's regex extract instead)", position: n.position ?? 0 });
    return;
  }
  if (n.type === "function" || n.type === "partial") {
    const procedure = n.procedure as Node | undefined;
    if (procedure?.type === "variable" && procedure.value === "eval") reads.refused.push({ what: "$eval", position: procedure.position ?? 0 });
  }
  if (n.type === "path") {
    walkPath(n, atRoot, reads);
    return;
  }
  if (n.type === "name" && atRoot) {
    reads.roots.push({ name: String(n.value), position: n.position ?? 0 });
  }
  for (const [key, child] of Object.entries(n)) {
    if (key === "value" || key === "position" || key === "type") continue;
    walk(child, atRoot, reads);
  }
}

/** A path: its first step reads the context it stands in; later steps and their filters read what came before. */
function walkPath(path: Node, atRoot: boolean, reads: ExpressionReads): void {
  const steps = (path.steps ?? []) as Node[];
  const [first, second] = steps;
  // `$$` is the root anywhere; `$` is the root only where the context is.
  const fromRoot = first?.type === "variable" && (first.value === "$" || (first.value === "" && atRoot));
  const head = fromRoot ? second : atRoot ? first : undefined;
  if (head?.type === "name") {
    const after = steps[steps.indexOf(head) + 1];
    const afterThat = steps[steps.indexOf(head) + 2];
    const read: RootRead = { name: String(head.value), position: head.position ?? 0 };
    if (head.value === "steps" && after?.type === "name") {
      read.step = { id: String(after.value), ...(afterThat?.type === "name" ? { field: String(afterThat.value) } : {}) };
    }
    reads.roots.push(read);
  }
  for (const [index, step] of steps.entries()) {
    const { stages, predicate, group, ...rest } = step;
    // A first step that is a block or a call reads the path's context; later ones read what came before.
    walk(stripName(rest), index === 0 && atRoot, reads);
    walk(stages, false, reads);
    walk(predicate, false, reads);
    walk(group, false, reads);
  }
  for (const key of ["group", "stages", "predicate"] as const) walk(path[key], false, reads);
}

/** A name step holds nothing more to walk; other steps (blocks, calls) do. */
function stripName(step: Record<string, unknown>): Record<string, unknown> {
  return step.type === "name" || step.type === "variable" ? {} : step;
}
