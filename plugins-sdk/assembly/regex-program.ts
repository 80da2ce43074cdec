/**
 * The program a pattern compiles to (regex.ts), run by the Pike VM (regex-vm.ts): its
 * instructions, character classes and the character rules (`\w`, case folding) both sides share.
 */
export const OP_CHAR: i32 = 0;
export const OP_ANY: i32 = 1;
export const OP_ANY_NL: i32 = 2;
export const OP_CLASS: i32 = 3;
export const OP_SPLIT: i32 = 4;
export const OP_JMP: i32 = 5;
export const OP_SAVE: i32 = 6;
export const OP_MATCH: i32 = 7;
export const OP_ASSERT: i32 = 8;

export const AT_TEXT_START: i32 = 0;
export const AT_TEXT_END: i32 = 1;
export const AT_LINE_START: i32 = 2;
export const AT_LINE_END: i32 = 3;
export const AT_WORD_BOUNDARY: i32 = 4;
export const AT_NOT_WORD_BOUNDARY: i32 = 5;

/** Longest pattern, in characters. */
export const MAX_PATTERN: i32 = 1000;
/** Most instructions a pattern compiles to (`{n,m}` copies its atom). */
export const MAX_PROGRAM: i32 = 10000;
/** Most capturing groups. */
export const MAX_GROUPS: i32 = 32;
/** Largest count in `{n,m}`. */
export const MAX_REPEAT: i32 = 1000;
/** Deepest nesting of groups. */
export const MAX_NESTING: i32 = 100;

export const MAX_CODE_POINT: i32 = 0x10ffff;

/** Folds a letter to lower case: ASCII and Latin-1 (what the `i` flag covers). */
export function foldCase(cp: i32): i32 {
  if (cp >= 0x41 && cp <= 0x5a) return cp + 32;
  if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) return cp + 32;
  return cp;
}

/** The other case of a letter that {@link foldCase} covers, or the letter itself. */
function otherCase(cp: i32): i32 {
  if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)) return cp + 32;
  if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0xe0 && cp <= 0xfe && cp != 0xf7)) return cp - 32;
  return cp;
}

/** Whether `c` is a word character for `\w` and `\b`: ASCII letters, digits and `_`. */
export function isWordChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
}

export const DIGITS: i32[] = [0x30, 0x39];
export const WORD: i32[] = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
export const SPACE: i32[] = [0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff];

/** A character class: sorted, disjoint ranges of code points. */
export class CharClass {
  /** Pairs: ranges[2k] to ranges[2k+1], inclusive. */
  ranges: Array<i32> = new Array<i32>();
  negated: bool = false;

  addRange(lo: i32, hi: i32): void {
    this.ranges.push(lo);
    this.ranges.push(hi);
  }

  addSet(set: i32[], complement: bool): void {
    if (!complement) {
      for (let i = 0; i < set.length; i++) this.ranges.push(set[i]);
      return;
    }
    let next = 0;
    for (let i = 0; i < set.length; i += 2) {
      if (set[i] > next) this.addRange(next, set[i] - 1);
      next = set[i + 1] + 1;
    }
    if (next <= MAX_CODE_POINT) this.addRange(next, MAX_CODE_POINT);
  }

  /** Sorts and merges the ranges, so {@link has} can search them. */
  normalize(): void {
    const packed = new Array<i64>();
    for (let i = 0; i < this.ranges.length; i += 2) packed.push((<i64>this.ranges[i] << 32) | <i64>this.ranges[i + 1]);
    packed.sort((a: i64, b: i64): i32 => (a < b ? -1 : a > b ? 1 : 0));
    const merged = new Array<i32>();
    for (let i = 0; i < packed.length; i++) {
      const lo = <i32>(packed[i] >> 32);
      const hi = <i32>(packed[i] & 0xffffffff);
      const last = merged.length;
      if (last > 0 && lo <= merged[last - 1] + 1) {
        if (hi > merged[last - 1]) merged[last - 1] = hi;
      } else {
        merged.push(lo);
        merged.push(hi);
      }
    }
    this.ranges = merged;
  }

  /** Whether the ranges hold `cp` (binary search). */
  has(cp: i32): bool {
    let lo = 0;
    let hi = this.ranges.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < this.ranges[2 * mid]) hi = mid - 1;
      else if (cp > this.ranges[2 * mid + 1]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Whether the class matches `cp`, in either case when `ignoreCase`. */
  matches(cp: i32, ignoreCase: bool): bool {
    let inside = this.has(cp);
    if (!inside && ignoreCase) {
      const other = otherCase(cp);
      if (other != cp) inside = this.has(other);
    }
    return inside != this.negated;
  }
}

/** A compiled pattern. */
export class Program {
  op: Array<i32> = new Array<i32>();
  x: Array<i32> = new Array<i32>();
  y: Array<i32> = new Array<i32>();
  classes: Array<CharClass> = new Array<CharClass>();
  /** Groups, group 0 (the whole match) included. */
  groups: i32 = 1;
  /** Each group's name, "" for an unnamed one. */
  names: Array<string> = [""];
  ignoreCase: bool = false;
  multiline: bool = false;
  dotAll: bool = false;

  get hasNames(): bool {
    for (let i = 0; i < this.names.length; i++) if (this.names[i].length > 0) return true;
    return false;
  }
}
