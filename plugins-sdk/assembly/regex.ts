/**
 * A small regular-expression engine with no backtracking: patterns compile to a program for a Pike
 * VM (regex-vm.ts), which runs every alternative in step over the text, so a match costs at most
 * (text length × program size) steps whatever the pattern; `(a+)+$` cannot blow up. AssemblyScript
 * has no RegExp, and a backtracking engine would let one pattern hang the step.
 *
 * The syntax is JavaScript's, less what needs backtracking or tables a plugin lacks:
 * - literals, `.`, `[...]` and `[^...]` with ranges, `\d \w \s \D \W \S`, `\n \r \t \f \v \0`,
 *   `\xHH`, `\uHHHH`, `\u{H…}`, and `\` before any other punctuation;
 * - groups `( )`, `(?: )`, `(?<name> )`; alternation `|`; `* + ? {n} {n,} {n,m}`, each lazy with
 *   a `?` after it; anchors `^ $` and word boundaries `\b \B`;
 * - flags `i` (case-insensitive for ASCII and Latin-1 letters), `m` (`^ $` at line breaks) and
 *   `s` (`.` matches line breaks too).
 * Not supported, refused with a message: backreferences, lookahead and lookbehind, `\p{…}`.
 * Matches are leftmost-first, as in JavaScript: the first alternative that matches wins.
 */
import { MAX_PATTERN, MAX_PROGRAM, OP_ANY, OP_ANY_NL, OP_ASSERT, OP_CHAR, OP_CLASS, OP_JMP, OP_MATCH, OP_SAVE, OP_SPLIT, Program, foldCase } from "./regex-program";
import { N_ALT, N_ANY, N_ASSERT, N_CHAR, N_CLASS, N_CONCAT, N_GROUP, N_REPEAT, Node, Parser } from "./regex-parse";

/** The outcome of {@link compileRegex}: a program, or why the pattern was refused. */
export class Compiled {
  program: Program | null = null;
  error: string = "";
}

class Compiler {
  program: Program;
  error: string | null = null;

  constructor(program: Program) {
    this.program = program;
  }

  emit(op: i32, x: i32 = 0, y: i32 = 0): i32 {
    const p = this.program;
    if (p.op.length >= MAX_PROGRAM) {
      if (this.error === null) this.error = "the pattern compiles to more than " + MAX_PROGRAM.toString() + " instructions (large {n,m} counts copy their atom)";
      return -1;
    }
    p.op.push(op);
    p.x.push(x);
    p.y.push(y);
    return p.op.length - 1;
  }

  get pc(): i32 {
    return this.program.op.length;
  }

  compile(node: Node): void {
    if (this.error !== null) return;
    const p = this.program;
    switch (node.kind) {
      case N_CHAR:
        this.emit(OP_CHAR, p.ignoreCase ? foldCase(node.value) : node.value);
        break;
      case N_ANY:
        this.emit(p.dotAll ? OP_ANY_NL : OP_ANY);
        break;
      case N_CLASS:
        this.emit(OP_CLASS, node.value);
        break;
      case N_ASSERT:
        this.emit(OP_ASSERT, node.value);
        break;
      case N_CONCAT:
        for (let i = 0; i < node.children.length && this.error === null; i++) this.compile(node.children[i]);
        break;
      case N_ALT: {
        const jumps = new Array<i32>();
        const last = node.children.length - 1;
        for (let i = 0; i < last && this.error === null; i++) {
          const split = this.emit(OP_SPLIT);
          this.compile(node.children[i]);
          jumps.push(this.emit(OP_JMP));
          if (this.error !== null) return;
          p.x[split] = split + 1;
          p.y[split] = this.pc;
        }
        this.compile(node.children[last]);
        if (this.error !== null) return;
        for (let i = 0; i < jumps.length; i++) p.x[jumps[i]] = this.pc;
        break;
      }
      case N_GROUP:
        if (node.value >= 0) this.emit(OP_SAVE, 2 * node.value);
        this.compile(node.children[0]);
        if (node.value >= 0) this.emit(OP_SAVE, 2 * node.value + 1);
        break;
      case N_REPEAT: {
        const child = node.children[0];
        for (let i = 0; i < node.min && this.error === null; i++) this.compile(child);
        if (node.max < 0) {
          const split = this.emit(OP_SPLIT);
          this.compile(child);
          this.emit(OP_JMP, split);
          if (this.error !== null) return;
          this.setSplit(split, split + 1, this.pc, node.greedy);
        } else {
          const splits = new Array<i32>();
          for (let i = node.min; i < node.max && this.error === null; i++) {
            splits.push(this.emit(OP_SPLIT));
            this.compile(child);
          }
          if (this.error !== null) return;
          for (let i = 0; i < splits.length; i++) this.setSplit(splits[i], splits[i] + 1, this.pc, node.greedy);
        }
        break;
      }
    }
  }

  /** Points a split at `body` and `out`, the preferred one first (`greedy`: the body). */
  setSplit(split: i32, body: i32, out: i32, greedy: bool): void {
    this.program.x[split] = greedy ? body : out;
    this.program.y[split] = greedy ? out : body;
  }
}

/** Compiles `pattern` with `flags` (any of `i`, `m`, `s`). */
export function compileRegex(pattern: string, flags: string): Compiled {
  const result = new Compiled();
  if (pattern.length > MAX_PATTERN) {
    result.error = "the pattern is longer than " + MAX_PATTERN.toString() + " characters";
    return result;
  }
  const program = new Program();
  for (let i = 0; i < flags.length; i++) {
    const f = flags.charCodeAt(i);
    if (f == 0x69) program.ignoreCase = true;
    else if (f == 0x6d) program.multiline = true;
    else if (f == 0x73) program.dotAll = true;
    else {
      result.error = "unknown flag " + flags.charAt(i) + " (flags are i, m and s)";
      return result;
    }
  }
  const parser = new Parser(pattern, program);
  const root = parser.parseAlternation();
  if (parser.error === null && parser.pos < parser.src.length) parser.fail("unmatched )");
  if (parser.error !== null) {
    result.error = parser.error!;
    return result;
  }
  const compiler = new Compiler(program);
  compiler.emit(OP_SAVE, 0);
  compiler.compile(root);
  compiler.emit(OP_SAVE, 1);
  compiler.emit(OP_MATCH);
  if (compiler.error !== null) {
    result.error = compiler.error!;
    return result;
  }
  result.program = program;
  return result;
}
