/**
 * Finding `${{ … }}` in a string: the pieces of literal text and expression source a template is
 * made of. Pure text work; `expression.ts` parses the sources.
 *
 * An expression ends at the first `}}` outside its string literals and braces, so JSONata's object
 * constructors (`{"a": {"b": 1}}`) and strings holding `}}` stay inside it.
 */

/** One piece of a template: literal text, or the source of an expression. */
export type TemplatePiece = { text: string } | { expression: string; offset: number };

/** Opens an expression. */
export const OPEN = "${{";

/** Why a template could not be cut into pieces, and where. */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "TemplateSyntaxError";
  }
}

/** Whether `value` holds an expression at all (the fast path: most strings do not). */
export function hasExpression(value: string): boolean {
  return value.includes(OPEN);
}

/**
 * Cuts `value` into literal text and expression sources, in order; empty texts are left out.
 *
 * @throws TemplateSyntaxError for an unclosed `${{` or an empty expression.
 * @example
 * splitTemplate("Hi ${{ input.name }}!") // [{text: "Hi "}, {expression: " input.name ", offset: 6}, {text: "!"}]
 */
export function splitTemplate(value: string): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  let at = 0;
  for (;;) {
    const open = value.indexOf(OPEN, at);
    if (open < 0) break;
    if (open > at) pieces.push({ text: value.slice(at, open) });
    const start = open + OPEN.length;
    const end = closingBraces(value, start);
    if (end < 0) throw new TemplateSyntaxError("an expression opened with ${{ is never closed with }}", open);
    const expression = value.slice(start, end);
    if (expression.trim() === "") throw new TemplateSyntaxError("an expression ${{ }} is empty", open);
    pieces.push({ expression, offset: start });
    at = end + 2;
  }
  if (at < value.length) pieces.push({ text: value.slice(at) });
  return pieces;
}

/** The index of the `}}` that closes an expression starting at `from`, or -1. */
function closingBraces(value: string, from: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < value.length; i++) {
    const c = value[i]!;
    if (quote !== null) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{") depth++;
    else if (c === "}") {
      if (depth > 0) depth--;
      else if (value[i + 1] === "}") return i;
    }
  }
  return -1;
}
