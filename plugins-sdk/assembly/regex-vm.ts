/**
 * The Pike VM that runs a compiled pattern (regex.ts): every thread of the program advances one
 * character at a time, in priority order, and a program counter already on a list at a position is
 * not added again, so one search costs at most (text length × program size) steps. A thread that
 * matches cuts every lower-priority one (leftmost-first, as JavaScript).
 *
 * Two passes, so the common case allocates nothing per character: {@link Vm.search} finds where the
 * leftmost-first match starts and ends, each thread carrying only its start; then, for a pattern
 * with groups, {@link Vm.captures} runs again from that start with each thread carrying its capture
 * offsets (copied on write). Every step of both is counted against one budget per call.
 */
import { AT_LINE_END, AT_LINE_START, AT_NOT_WORD_BOUNDARY, AT_TEXT_END, AT_TEXT_START, AT_WORD_BOUNDARY, foldCase, isWordChar, OP_ANY, OP_ANY_NL, OP_ASSERT, OP_CHAR, OP_CLASS, OP_JMP, OP_MATCH, OP_SAVE, OP_SPLIT, Program } from "./regex-program";

/** Most VM steps one call may take, all its searches together. */
export const MAX_REGEX_STEPS: i64 = 20_000_000;

/** The threads at one position, in priority order: each a pc and an int (the start) or captures. */
class ThreadList {
  pcs: Int32Array;
  starts: Int32Array;
  caps: Array<Array<i32>>;
  count: i32 = 0;
  /** `mark[pc] == stamp` when pc is on the list. */
  mark: Int32Array;
  stamp: i32 = 0;

  constructor(size: i32) {
    this.pcs = new Int32Array(size);
    this.starts = new Int32Array(size);
    this.caps = new Array<Array<i32>>(size);
    this.mark = new Int32Array(size);
  }

  clear(): void {
    this.stamp++;
    this.count = 0;
  }

  has(pc: i32): bool {
    return unchecked(this.mark[pc]) == this.stamp;
  }
}

/** Runs one program over one text. */
export class Vm {
  program: Program;
  text: string;
  steps: i64 = 0;
  /** Set when the budget ran out. */
  error: string | null = null;
  /** The last match {@link search} found: `[matchStart, matchEnd)`. */
  matchStart: i32 = -1;
  matchEnd: i32 = -1;
  private current: ThreadList;
  private next: ThreadList;
  // Each pc is taken from the stack once per list and pushes at most two: 2 × size + 1 entries.
  private stackPc: Int32Array;
  private stackStart: Int32Array;
  private stackCaps: Array<Array<i32>>;
  private op: StaticArray<i32>;
  private x: StaticArray<i32>;
  private y: StaticArray<i32>;

  constructor(program: Program, text: string) {
    this.program = program;
    this.text = text;
    const size = program.op.length;
    this.current = new ThreadList(size);
    this.next = new ThreadList(size);
    this.stackPc = new Int32Array(2 * size + 2);
    this.stackStart = new Int32Array(2 * size + 2);
    this.stackCaps = new Array<Array<i32>>(2 * size + 2);
    this.op = StaticArray.fromArray<i32>(program.op);
    this.x = StaticArray.fromArray<i32>(program.x);
    this.y = StaticArray.fromArray<i32>(program.y);
  }

  /** The code point at `pos` (a surrogate pair read whole), or -1 past the end. */
  private codePointAt(pos: i32): i32 {
    if (pos >= this.text.length) return -1;
    const c = this.text.charCodeAt(pos);
    if (c >= 0xd800 && c <= 0xdbff && pos + 1 < this.text.length) {
      const d = this.text.charCodeAt(pos + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
    }
    return c;
  }

  private wordAt(pos: i32): bool {
    return pos >= 0 && pos < this.text.length && isWordChar(this.text.charCodeAt(pos));
  }

  private holds(assertion: i32, pos: i32): bool {
    const t = this.text;
    const n = t.length;
    switch (assertion) {
      case AT_TEXT_START: return pos == 0;
      case AT_TEXT_END: return pos == n;
      case AT_LINE_START: return pos == 0 || t.charCodeAt(pos - 1) == 0x0a || t.charCodeAt(pos - 1) == 0x0d;
      case AT_LINE_END: return pos == n || t.charCodeAt(pos) == 0x0a || t.charCodeAt(pos) == 0x0d;
      case AT_WORD_BOUNDARY: return this.wordAt(pos - 1) != this.wordAt(pos);
      case AT_NOT_WORD_BOUNDARY: return this.wordAt(pos - 1) == this.wordAt(pos);
    }
    return false;
  }

  /** Whether the character `cp` (`folded`: case-folded) takes the consuming instruction at `pc`. */
  private takes(pc: i32, cp: i32, folded: i32): bool {
    const op = unchecked(this.op[pc]);
    if (op == OP_CHAR) return folded == unchecked(this.x[pc]);
    if (op == OP_ANY) return cp != 0x0a && cp != 0x0d && cp != 0x2028 && cp != 0x2029;
    if (op == OP_ANY_NL) return true;
    if (op == OP_CLASS) return this.program.classes[unchecked(this.x[pc])].matches(cp, this.program.ignoreCase);
    return false;
  }

  /**
   * Adds the thread (pc, start or caps) at `pos` to `list`, following jumps, splits, saves and
   * assertions; `caps` null: the first pass (saves only pass through).
   */
  private add(list: ThreadList, pc0: i32, start: i32, caps0: Array<i32> | null, pos: i32): void {
    const stackPc = this.stackPc;
    const stackStart = this.stackStart;
    const stackCaps = this.stackCaps;
    const withCaps = caps0 !== null;
    let top = 0;
    unchecked((stackPc[0] = pc0));
    unchecked((stackStart[0] = start));
    if (withCaps) unchecked((stackCaps[0] = caps0!));
    top = 1;
    while (top > 0) {
      top--;
      const pc = unchecked(stackPc[top]);
      if (list.has(pc)) continue;
      unchecked((list.mark[pc] = list.stamp));
      this.steps++;
      const s = unchecked(stackStart[top]);
      const caps: Array<i32> | null = withCaps ? unchecked(stackCaps[top]) : null;
      const op = unchecked(this.op[pc]);
      if (op == OP_JMP) {
        unchecked((stackPc[top] = this.x[pc]));
        top++;
      } else if (op == OP_SPLIT) {
        // y pushed first: x is taken first, so its threads come first (higher priority). A pc
        // already on the list is not pushed (it would be skipped when taken).
        const x = unchecked(this.x[pc]);
        const y = unchecked(this.y[pc]);
        if (!list.has(y)) {
          unchecked((stackPc[top] = y));
          unchecked((stackStart[top] = s));
          if (withCaps) unchecked((stackCaps[top] = caps!));
          top++;
        }
        if (!list.has(x)) {
          unchecked((stackPc[top] = x));
          unchecked((stackStart[top] = s));
          if (withCaps) unchecked((stackCaps[top] = caps!));
          top++;
        }
      } else if (op == OP_SAVE) {
        unchecked((stackPc[top] = pc + 1));
        if (withCaps) {
          const copy = caps!.slice(0);
          copy[unchecked(this.x[pc])] = pos;
          unchecked((stackCaps[top] = copy));
        }
        top++;
      } else if (op == OP_ASSERT) {
        if (this.holds(unchecked(this.x[pc]), pos)) {
          unchecked((stackPc[top] = pc + 1));
          top++;
        }
      } else {
        const k = list.count++;
        unchecked((list.pcs[k] = pc));
        unchecked((list.starts[k] = s));
        if (withCaps) unchecked((list.caps[k] = caps!));
      }
    }
  }

  private outOfBudget(): bool {
    if (this.steps <= MAX_REGEX_STEPS) return false;
    this.error = "the pattern took more than " + MAX_REGEX_STEPS.toString() + " steps on this text; simplify it or pass a shorter text";
    return true;
  }

  /**
   * Finds the leftmost-first match starting at or after `from`: true and {@link matchStart} /
   * {@link matchEnd} set, or false when there is none or the budget ran out (then `error` is set).
   */
  search(from: i32): bool {
    const n = this.text.length;
    const ignoreCase = this.program.ignoreCase;
    let found = false;
    this.current.clear();
    let pos = from;
    for (;;) {
      if (!found) this.add(this.current, 0, pos, null, pos);
      const list = this.current;
      if (list.count == 0 && found) break;
      if (this.outOfBudget()) return false;
      const cp = this.codePointAt(pos);
      const width = cp > 0xffff ? 2 : 1;
      const folded = ignoreCase ? foldCase(cp) : cp;
      this.next.clear();
      for (let i = 0; i < list.count; i++) {
        const pc = unchecked(list.pcs[i]);
        this.steps++;
        if (unchecked(this.op[pc]) == OP_MATCH) {
          found = true;
          this.matchStart = unchecked(list.starts[i]);
          this.matchEnd = pos;
          break; // lower-priority threads are cut
        }
        if (cp >= 0 && this.takes(pc, cp, folded)) this.add(this.next, pc + 1, unchecked(list.starts[i]), null, pos + width);
      }
      this.current = this.next;
      this.next = list;
      if (pos >= n) break;
      pos += width;
    }
    return found;
  }

  /**
   * The capture offsets of the match {@link search} found (`[2g]`, `[2g+1]` for group g, -1 when
   * the group took no part): the same leftmost-first run, anchored at its start, with captures.
   */
  captures(): Array<i32> | null {
    const n = this.text.length;
    const ignoreCase = this.program.ignoreCase;
    const fresh = new Array<i32>(2 * this.program.groups);
    fresh.fill(-1);
    let matched: Array<i32> | null = null;
    this.current.clear();
    let pos = this.matchStart;
    this.add(this.current, 0, pos, fresh, pos);
    for (;;) {
      const list = this.current;
      if (list.count == 0) break;
      if (this.outOfBudget()) return null;
      const cp = this.codePointAt(pos);
      const width = cp > 0xffff ? 2 : 1;
      const folded = ignoreCase ? foldCase(cp) : cp;
      this.next.clear();
      for (let i = 0; i < list.count; i++) {
        const pc = unchecked(list.pcs[i]);
        this.steps++;
        if (unchecked(this.op[pc]) == OP_MATCH) {
          matched = unchecked(list.caps[i]);
          break;
        }
        if (cp >= 0 && this.takes(pc, cp, folded)) this.add(this.next, pc + 1, 0, unchecked(list.caps[i]), pos + width);
      }
      this.current = this.next;
      this.next = list;
      if (pos >= n) break;
      pos += width;
    }
    return matched;
  }
}
