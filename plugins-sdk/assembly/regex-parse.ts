/**
 * Parsing a pattern (the syntax regex.ts describes) into a tree of {@link Node}s, with its
 * character classes and groups recorded in the {@link Program}. Errors name a 1-based position.
 */
import { CharClass, DIGITS, MAX_CODE_POINT, MAX_GROUPS, MAX_NESTING, MAX_REPEAT, Program, SPACE, WORD, AT_LINE_END, AT_LINE_START, AT_NOT_WORD_BOUNDARY, AT_TEXT_END, AT_TEXT_START, AT_WORD_BOUNDARY } from "./regex-program";

export const N_CHAR: i32 = 0;
export const N_ANY: i32 = 1;
export const N_CLASS: i32 = 2;
export const N_CONCAT: i32 = 3;
export const N_ALT: i32 = 4;
export const N_REPEAT: i32 = 5;
export const N_GROUP: i32 = 6;
export const N_ASSERT: i32 = 7;
export const N_EMPTY: i32 = 8;

/** A parsed pattern: a tree. */
export class Node {
  kind: i32;
  /** A code point, class index, assertion, or group index (-1: not capturing). */
  value: i32 = 0;
  min: i32 = 0;
  /** -1: unbounded. */
  max: i32 = 0;
  greedy: bool = true;
  children: Array<Node> = new Array<Node>();

  constructor(kind: i32, value: i32 = 0) {
    this.kind = kind;
    this.value = value;
  }
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function isAsciiAlphanumeric(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** A recursive-descent parser; nesting is bounded by MAX_NESTING, so recursion is too. */
export class Parser {
  /** The pattern's code points. */
  src: Array<i32> = new Array<i32>();
  pos: i32 = 0;
  error: string | null = null;
  depth: i32 = 0;
  program: Program;

  constructor(pattern: string, program: Program) {
    this.program = program;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < pattern.length) {
        const d = pattern.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          this.src.push(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
          i++;
          continue;
        }
      }
      this.src.push(c);
    }
  }

  fail(message: string): Node {
    if (this.error === null) this.error = message + " at position " + (this.pos + 1).toString();
    return new Node(N_EMPTY);
  }

  peek(): i32 {
    return this.pos < this.src.length ? this.src[this.pos] : -1;
  }

  peekAt(offset: i32): i32 {
    return this.pos + offset < this.src.length ? this.src[this.pos + offset] : -1;
  }

  parseAlternation(): Node {
    const first = this.parseConcat();
    if (this.peek() != 0x7c) return first;
    const alt = new Node(N_ALT);
    alt.children.push(first);
    while (this.error === null && this.peek() == 0x7c) {
      this.pos++;
      alt.children.push(this.parseConcat());
    }
    return alt;
  }

  parseConcat(): Node {
    const concat = new Node(N_CONCAT);
    while (this.error === null && this.pos < this.src.length) {
      const c = this.peek();
      if (c == 0x7c || c == 0x29) break;
      const atom = this.parseAtom();
      concat.children.push(this.parseQuantifier(atom));
    }
    if (concat.children.length == 1) return concat.children[0];
    if (concat.children.length == 0) return new Node(N_EMPTY);
    return concat;
  }

  /**
   * Reads `{n}`, `{n,}` or `{n,m}` at the current position into `out` (min, max) and returns its
   * length, or 0 when it is not one (then `{` is a literal, as JavaScript reads it).
   */
  braceQuantifier(out: Node): i32 {
    let i = this.pos + 1;
    const n = this.src.length;
    let lo = 0;
    let digits = 0;
    while (i < n && this.src[i] >= 0x30 && this.src[i] <= 0x39) {
      if (lo <= MAX_REPEAT) lo = lo * 10 + (this.src[i] - 0x30);
      i++;
      digits++;
    }
    if (digits == 0) return 0;
    let hi = lo;
    if (i < n && this.src[i] == 0x2c) {
      i++;
      hi = -1;
      let hiDigits = 0;
      let value = 0;
      while (i < n && this.src[i] >= 0x30 && this.src[i] <= 0x39) {
        if (value <= MAX_REPEAT) value = value * 10 + (this.src[i] - 0x30);
        i++;
        hiDigits++;
      }
      if (hiDigits > 0) hi = value;
    }
    if (i >= n || this.src[i] != 0x7d) return 0;
    out.min = lo;
    out.max = hi;
    return i + 1 - this.pos;
  }

  isQuantifierHere(): bool {
    const c = this.peek();
    if (c == 0x2a || c == 0x2b || c == 0x3f) return true;
    return c == 0x7b && this.braceQuantifier(new Node(N_EMPTY)) > 0;
  }

  parseQuantifier(atom: Node): Node {
    if (this.error !== null || !this.isQuantifierHere()) return atom;
    if (atom.kind == N_ASSERT || atom.kind == N_EMPTY) return this.fail("nothing to repeat");
    const rep = new Node(N_REPEAT);
    const c = this.peek();
    if (c == 0x2a) {
      rep.min = 0;
      rep.max = -1;
      this.pos++;
    } else if (c == 0x2b) {
      rep.min = 1;
      rep.max = -1;
      this.pos++;
    } else if (c == 0x3f) {
      rep.min = 0;
      rep.max = 1;
      this.pos++;
    } else {
      this.pos += this.braceQuantifier(rep);
      if (rep.min > MAX_REPEAT || rep.max > MAX_REPEAT) return this.fail("a repeat count is over " + MAX_REPEAT.toString());
      if (rep.max >= 0 && rep.max < rep.min) return this.fail("a repeat {n,m} has m < n");
    }
    if (this.peek() == 0x3f) {
      rep.greedy = false;
      this.pos++;
    }
    if (this.isQuantifierHere()) return this.fail("a quantifier follows a quantifier");
    rep.children.push(atom);
    return rep;
  }

  parseAtom(): Node {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case 0x28: return this.parseGroup();
      case 0x5b: return this.parseClass();
      case 0x2e: return new Node(N_ANY);
      case 0x5e: return new Node(N_ASSERT, this.program.multiline ? AT_LINE_START : AT_TEXT_START);
      case 0x24: return new Node(N_ASSERT, this.program.multiline ? AT_LINE_END : AT_TEXT_END);
      case 0x5c: return this.parseEscape();
      case 0x2a:
      case 0x2b:
      case 0x3f:
        this.pos--;
        return this.fail("nothing to repeat");
      case 0x7b:
        this.pos--;
        if (this.isQuantifierHere()) return this.fail("nothing to repeat");
        this.pos++;
        return new Node(N_CHAR, c);
    }
    return new Node(N_CHAR, c);
  }

  parseGroup(): Node {
    let index = -1;
    if (this.peek() == 0x3f) {
      const kind = this.peekAt(1);
      if (kind == 0x3a) {
        this.pos += 2;
      } else if (kind == 0x3c && this.peekAt(2) != 0x3d && this.peekAt(2) != 0x21) {
        this.pos += 2;
        const start = this.pos;
        while (this.pos < this.src.length && this.src[this.pos] != 0x3e) {
          const ch = this.src[this.pos];
          if (!(isAsciiAlphanumeric(ch) || ch == 0x5f) || (this.pos == start && ch >= 0x30 && ch <= 0x39)) return this.fail("a group name must be letters, digits and _, not starting with a digit");
          this.pos++;
        }
        if (this.pos >= this.src.length || this.pos == start) return this.fail("unterminated or empty group name");
        let name = "";
        for (let i = start; i < this.pos; i++) name += String.fromCharCode(this.src[i]);
        if (this.program.names.includes(name)) return this.fail("duplicate group name " + name);
        this.pos++;
        index = this.newGroup(name);
      } else if (kind == 0x3d || kind == 0x21 || kind == 0x3c) {
        return this.fail("lookahead and lookbehind are not supported");
      } else {
        return this.fail("unsupported group syntax (?");
      }
    } else {
      index = this.newGroup("");
    }
    if (this.error !== null) return new Node(N_EMPTY);
    if (++this.depth > MAX_NESTING) return this.fail("groups nest more than " + MAX_NESTING.toString() + " deep");
    const group = new Node(N_GROUP, index);
    group.children.push(this.parseAlternation());
    this.depth--;
    if (this.error !== null) return group;
    if (this.peek() != 0x29) return this.fail("unterminated group");
    this.pos++;
    return group;
  }

  newGroup(name: string): i32 {
    if (this.program.groups > MAX_GROUPS) {
      this.fail("more than " + MAX_GROUPS.toString() + " capturing groups");
      return -1;
    }
    this.program.names.push(name);
    return this.program.groups++;
  }

  /** A class escape (`\d`…) added to `cls`; true when the escape at pos-1 was one. */
  classEscape(c: i32, cls: CharClass): bool {
    if (c == 0x64 || c == 0x44) cls.addSet(DIGITS, c == 0x44);
    else if (c == 0x77 || c == 0x57) cls.addSet(WORD, c == 0x57);
    else if (c == 0x73 || c == 0x53) cls.addSet(SPACE, c == 0x53);
    else return false;
    return true;
  }

  /** The code point of a character escape whose letter (at pos-1) is `c`, or -1 (error set). */
  charEscape(c: i32, inClass: bool): i32 {
    switch (c) {
      case 0x6e: return 0x0a;
      case 0x72: return 0x0d;
      case 0x74: return 0x09;
      case 0x66: return 0x0c;
      case 0x76: return 0x0b;
      case 0x30:
        if (this.peek() >= 0x30 && this.peek() <= 0x39) break;
        return 0;
      case 0x62:
        if (inClass) return 0x08;
        break;
      case 0x78: {
        const a = hexValue(this.peek());
        const b = hexValue(this.peekAt(1));
        if (a < 0 || b < 0) break;
        this.pos += 2;
        return a * 16 + b;
      }
      case 0x75: {
        if (this.peek() == 0x7b) {
          let value = 0;
          let i = this.pos + 1;
          while (i < this.src.length && hexValue(this.src[i]) >= 0 && value <= MAX_CODE_POINT) value = value * 16 + hexValue(this.src[i++]);
          if (i == this.pos + 1 || i >= this.src.length || this.src[i] != 0x7d || value > MAX_CODE_POINT) break;
          this.pos = i + 1;
          return value;
        }
        let value = 0;
        for (let k = 0; k < 4; k++) {
          const h = hexValue(this.peekAt(k));
          if (h < 0) {
            value = -1;
            break;
          }
          value = value * 16 + h;
        }
        if (value < 0) break;
        this.pos += 4;
        return value;
      }
      default:
        if (c >= 0 && !isAsciiAlphanumeric(c)) return c;
    }
    this.pos -= 2; // report the backslash
    if (c >= 0x31 && c <= 0x39) this.fail("backreferences are not supported");
    else if (c == 0x6b) this.fail("named backreferences are not supported");
    else if (c == 0x70 || c == 0x50) this.fail("\\p{...} property classes are not supported");
    else if (c < 0) this.fail("the pattern ends with \\");
    else this.fail("unknown escape \\" + String.fromCodePoint(c));
    return -1;
  }

  parseEscape(): Node {
    const c = this.peek();
    this.pos++;
    if (c == 0x62) return new Node(N_ASSERT, AT_WORD_BOUNDARY);
    if (c == 0x42) return new Node(N_ASSERT, AT_NOT_WORD_BOUNDARY);
    const cls = new CharClass();
    if (this.classEscape(c, cls)) return this.addClass(cls);
    const cp = this.charEscape(c, false);
    return cp < 0 ? new Node(N_EMPTY) : new Node(N_CHAR, cp);
  }

  addClass(cls: CharClass): Node {
    cls.normalize();
    this.program.classes.push(cls);
    return new Node(N_CLASS, this.program.classes.length - 1);
  }

  /** One class member's code point, or -1 when it was a class escape added to `cls` (or an error). */
  classMember(cls: CharClass): i32 {
    const c = this.peek();
    this.pos++;
    if (c != 0x5c) return c;
    const e = this.peek();
    this.pos++;
    if (this.classEscape(e, cls)) return -1;
    if (e == 0x2d) return 0x2d;
    return this.charEscape(e, true);
  }

  parseClass(): Node {
    const cls = new CharClass();
    if (this.peek() == 0x5e) {
      cls.negated = true;
      this.pos++;
    }
    while (this.error === null) {
      if (this.pos >= this.src.length) return this.fail("unterminated character class");
      if (this.peek() == 0x5d) {
        this.pos++;
        return this.addClass(cls);
      }
      const lo = this.classMember(cls);
      if (lo < 0) continue;
      if (this.peek() == 0x2d && this.peekAt(1) != 0x5d && this.peekAt(1) >= 0) {
        this.pos++;
        const hi = this.classMember(cls);
        if (this.error !== null) break;
        if (hi < 0) return this.fail("a range ends in a class escape");
        if (hi < lo) return this.fail("a range is out of order");
        cls.addRange(lo, hi);
      } else {
        cls.addRange(lo, lo);
      }
    }
    return new Node(N_EMPTY);
  }
}
