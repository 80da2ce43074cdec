/**
 * calculator: exact decimal arithmetic on an expression.
 *
 * Numbers are arbitrary-precision decimals (decimal digits with a scale), so `0.1+0.2` is `0.3`.
 * Grammar, loosest first: `+ -` (left), `* /` (left), unary `- +`, `^` (right; binds tighter than
 * unary minus, so `-3^2` is -9 and `2^-1` is an error), postfix `%` (percent: `50%` is 0.5), then
 * numbers and parentheses. Division gives at most 20 decimal places, rounded half to even.
 */
import { fail, inputJson, JsonValue, ok } from "@shimmy/plugin-sdk/assembly";

const MAX_LENGTH: i32 = 1000;
const MAX_DIGITS: i32 = 10000;
const MAX_EXPONENT: i32 = 1000;
// Deeper nesting would overflow the wasm stack (a trap) well inside MAX_LENGTH characters.
const MAX_NESTING: i32 = 100;
const DIVISION_PLACES: i32 = 20;

// ---- magnitudes: little-endian decimal digits, no leading zeros (zero is empty) ---------------

function trimMag(a: Array<i32>): Array<i32> {
  let n = a.length;
  while (n > 0 && a[n - 1] == 0) n--;
  if (n < a.length) a.length = n;
  return a;
}

function cmpMag(a: Array<i32>, b: Array<i32>): i32 {
  if (a.length != b.length) return a.length < b.length ? -1 : 1;
  for (let i = a.length - 1; i >= 0; i--) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

function addMag(a: Array<i32>, b: Array<i32>): Array<i32> {
  const n = max(a.length, b.length);
  const r = new Array<i32>(n + 1);
  let carry = 0;
  for (let i = 0; i < n; i++) {
    const s = (i < a.length ? a[i] : 0) + (i < b.length ? b[i] : 0) + carry;
    r[i] = s % 10;
    carry = s / 10;
  }
  r[n] = carry;
  return trimMag(r);
}

/** a - b, where a >= b. */
function subMag(a: Array<i32>, b: Array<i32>): Array<i32> {
  const r = new Array<i32>(a.length);
  let borrow = 0;
  for (let i = 0; i < a.length; i++) {
    let d = a[i] - (i < b.length ? b[i] : 0) - borrow;
    if (d < 0) {
      d += 10;
      borrow = 1;
    } else borrow = 0;
    r[i] = d;
  }
  return trimMag(r);
}

function mulMag(a: Array<i32>, b: Array<i32>): Array<i32> {
  if (a.length == 0 || b.length == 0) return new Array<i32>();
  const r = new Array<i32>(a.length + b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x == 0) continue;
    let carry = 0;
    for (let j = 0; j < b.length; j++) {
      const t = r[i + j] + x * b[j] + carry;
      r[i + j] = t % 10;
      carry = t / 10;
    }
    let k = i + b.length;
    while (carry > 0) {
      const t = r[k] + carry;
      r[k] = t % 10;
      carry = t / 10;
      k++;
    }
  }
  return trimMag(r);
}

/** a * 10^k. */
function shiftMag(a: Array<i32>, k: i32): Array<i32> {
  if (a.length == 0 || k == 0) return a.slice(0);
  const r = new Array<i32>(a.length + k);
  for (let i = 0; i < a.length; i++) r[i + k] = a[i];
  return r;
}

class DivMod {
  q: Array<i32> = new Array<i32>();
  r: Array<i32> = new Array<i32>();
}

/**
 * Schoolbook long division, one decimal digit at a time; b is not zero. The remainder lives in one
 * buffer updated in place (it is always below 10 * b), so a long division allocates only its result.
 */
function divModMag(a: Array<i32>, b: Array<i32>): DivMod {
  const out = new DivMod();
  const q = new Array<i32>(a.length);
  const rem = new Array<i32>(b.length + 1);
  let remLen = 0;
  for (let i = a.length - 1; i >= 0; i--) {
    // rem = rem * 10 + a[i]
    for (let k = remLen; k > 0; k--) rem[k] = rem[k - 1];
    rem[0] = a[i];
    remLen++;
    while (remLen > 0 && rem[remLen - 1] == 0) remLen--;
    let d = 0;
    while (cmpPrefix(rem, remLen, b) >= 0) {
      // rem -= b
      let borrow = 0;
      for (let k = 0; k < remLen; k++) {
        let x = rem[k] - (k < b.length ? b[k] : 0) - borrow;
        if (x < 0) {
          x += 10;
          borrow = 1;
        } else borrow = 0;
        rem[k] = x;
      }
      while (remLen > 0 && rem[remLen - 1] == 0) remLen--;
      d++;
    }
    q[i] = d;
  }
  out.q = trimMag(q);
  out.r = rem.slice(0, remLen);
  return out;
}

/** Compares the first `len` digits of `a` (no leading zeros) with `b`. */
function cmpPrefix(a: Array<i32>, len: i32, b: Array<i32>): i32 {
  if (len != b.length) return len < b.length ? -1 : 1;
  for (let i = len - 1; i >= 0; i--) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

// ---- decimals ---------------------------------------------------------------------------------

/** (-1)^neg * mag / 10^scale, normalized: no trailing fractional zeros, zero is +0 with scale 0. */
class Dec {
  neg: bool = false;
  mag: Array<i32> = new Array<i32>();
  scale: i32 = 0;

  static of(neg: bool, mag: Array<i32>, scale: i32): Dec {
    const d = new Dec();
    d.neg = neg;
    d.mag = trimMag(mag);
    d.scale = scale;
    d.normalize();
    return d;
  }

  normalize(): void {
    let strip = 0;
    while (strip < this.scale && strip < this.mag.length && this.mag[strip] == 0) strip++;
    if (strip > 0) {
      this.mag = this.mag.slice(strip);
      this.scale -= strip;
    }
    if (this.mag.length == 0) {
      this.neg = false;
      this.scale = 0;
    }
  }

  isZero(): bool {
    return this.mag.length == 0;
  }

  toString(): string {
    if (this.mag.length == 0) return "0";
    const parts = new Array<string>();
    if (this.neg) parts.push("-");
    const n = this.mag.length;
    if (this.scale >= n) {
      parts.push("0.");
      for (let i = 0; i < this.scale - n; i++) parts.push("0");
      for (let i = n - 1; i >= 0; i--) parts.push(String.fromCharCode(0x30 + this.mag[i]));
    } else {
      for (let i = n - 1; i >= 0; i--) {
        if (i == this.scale - 1) parts.push(".");
        parts.push(String.fromCharCode(0x30 + this.mag[i]));
      }
    }
    return parts.join("");
  }
}

/** Parses `123`, `1.50`, `.5` (already checked by the tokenizer). */
function parseDec(text: string): Dec {
  const digits = new Array<i32>();
  let scale = 0;
  let seenDot = false;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c == 0x2e) {
      seenDot = true;
      scale = digits.length;
    } else digits.push(c - 0x30);
  }
  return Dec.of(false, digits, seenDot ? scale : 0);
}

// ---- the evaluator ----------------------------------------------------------------------------

const T_NUM: i32 = 0;
const T_OP: i32 = 1; // + - * / ^ %
const T_LPAREN: i32 = 2;
const T_RPAREN: i32 = 3;
const T_END: i32 = 4;

class Token {
  kind: i32;
  text: string;
  pos: i32; // 1-based, in characters (code points)
  constructor(kind: i32, text: string, pos: i32) {
    this.kind = kind;
    this.text = text;
    this.pos = pos;
  }
}

class Calc {
  tokens: Array<Token> = new Array<Token>();
  i: i32 = 0;
  error: string | null = null;
  /** How many unary() calls are open: the nesting of parentheses, signs and powers. */
  depth: i32 = 0;

  err(message: string): Dec | null {
    if (this.error === null) this.error = message;
    return null;
  }

  tokenize(src: string): bool {
    let i = 0;
    let col = 1;
    const n = src.length;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) {
        i++;
        col++;
        continue;
      }
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e) {
        const start = i;
        let dots = 0;
        let digits = 0;
        while (i < n) {
          const d = src.charCodeAt(i);
          if (d >= 0x30 && d <= 0x39) digits++;
          else if (d == 0x2e) {
            if (dots == 1) break;
            dots++;
          } else break;
          i++;
        }
        const text = src.substring(start, i);
        if (digits == 0 || text.endsWith(".")) {
          this.error = "invalid number '" + text + "' at position " + col.toString();
          return false;
        }
        this.tokens.push(new Token(T_NUM, text, col));
        col += i - start;
        continue;
      }
      if (c == 0x2b || c == 0x2d || c == 0x2a || c == 0x2f || c == 0x5e || c == 0x25) {
        this.tokens.push(new Token(T_OP, src.charAt(i), col));
      } else if (c == 0x28) {
        this.tokens.push(new Token(T_LPAREN, "(", col));
      } else if (c == 0x29) {
        this.tokens.push(new Token(T_RPAREN, ")", col));
      } else {
        let ch = src.charAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) ch = src.substring(i, i + 2);
        this.error = "unexpected character '" + ch + "' at position " + col.toString();
        return false;
      }
      i++;
      col++;
    }
    this.tokens.push(new Token(T_END, "", col));
    return true;
  }

  peek(): Token {
    return this.tokens[this.i];
  }

  isOp(op: string): bool {
    const t = this.tokens[this.i];
    return t.kind == T_OP && t.text == op;
  }

  describe(t: Token): string {
    if (t.kind == T_END) return "end of expression";
    return "'" + t.text + "' at position " + t.pos.toString();
  }

  run(): Dec | null {
    const value = this.expr();
    if (value === null) return null;
    const t = this.peek();
    if (t.kind == T_RPAREN) return this.err("unbalanced parentheses: ')' at position " + t.pos.toString() + " has no matching '('");
    if (t.kind != T_END) return this.err("unexpected " + this.describe(t));
    return value;
  }

  expr(): Dec | null {
    let left = this.term();
    if (left === null) return null;
    while (this.isOp("+") || this.isOp("-")) {
      const minus = this.peek().text == "-";
      this.i++;
      const right = this.term();
      if (right === null) return null;
      left = add(left, right, minus);
      if (left === null) return this.err("result has more than " + MAX_DIGITS.toString() + " digits");
    }
    return left;
  }

  term(): Dec | null {
    let left = this.unary();
    if (left === null) return null;
    while (this.isOp("*") || this.isOp("/")) {
      const op = this.peek();
      this.i++;
      const right = this.unary();
      if (right === null) return null;
      if (op.text == "*") {
        left = mul(left, right);
        if (left === null) return this.err("result has more than " + MAX_DIGITS.toString() + " digits");
      } else {
        if (right.isZero()) return this.err("division by zero at position " + op.pos.toString());
        left = div(left, right);
        if (left === null) return this.err("result has more than " + MAX_DIGITS.toString() + " digits");
      }
    }
    return left;
  }

  /**
   * Every '(', sign and '^' recurses through here, and a wasm stack overflow is a trap, not an
   * error: past MAX_NESTING the expression gets a clear error instead.
   */
  unary(): Dec | null {
    if (this.depth > MAX_NESTING) {
      return this.err("expression nests more than " + MAX_NESTING.toString() + " levels of parentheses, signs and powers, at position " + this.peek().pos.toString());
    }
    this.depth++;
    const v = this.signed();
    this.depth--;
    return v;
  }

  signed(): Dec | null {
    if (this.isOp("-") || this.isOp("+")) {
      const minus = this.peek().text == "-";
      this.i++;
      const v = this.unary();
      if (v === null) return null;
      if (!minus || v.isZero()) return v;
      return Dec.of(!v.neg, v.mag, v.scale);
    }
    return this.power();
  }

  power(): Dec | null {
    const base = this.postfix();
    if (base === null) return null;
    if (!this.isOp("^")) return base;
    const op = this.peek();
    this.i++;
    const exponent = this.unary(); // right-associative: 2^3^2 = 2^9
    if (exponent === null) return null;
    if (exponent.neg || exponent.scale != 0) {
      return this.err("the exponent at position " + op.pos.toString() + " must be a non-negative integer, got " + exponent.toString());
    }
    if (exponent.mag.length > 4 || toInt(exponent.mag) > MAX_EXPONENT) {
      return this.err("the exponent at position " + op.pos.toString() + " is larger than " + MAX_EXPONENT.toString());
    }
    const result = pow(base, toInt(exponent.mag));
    if (result === null) return this.err("result has more than " + MAX_DIGITS.toString() + " digits");
    return result;
  }

  postfix(): Dec | null {
    let v = this.primary();
    if (v === null) return null;
    while (this.isOp("%")) {
      this.i++;
      v = Dec.of(v.neg, v.mag, v.scale + 2);
    }
    return v;
  }

  primary(): Dec | null {
    const t = this.peek();
    if (t.kind == T_NUM) {
      this.i++;
      const v = parseDec(t.text);
      if (v.mag.length > MAX_DIGITS) return this.err("number at position " + t.pos.toString() + " has more than " + MAX_DIGITS.toString() + " digits");
      return v;
    }
    if (t.kind == T_LPAREN) {
      this.i++;
      const v = this.expr();
      if (v === null) return null;
      const close = this.peek();
      if (close.kind == T_RPAREN) {
        this.i++;
        return v;
      }
      if (close.kind == T_END) return this.err("unbalanced parentheses: '(' at position " + t.pos.toString() + " is not closed");
      return this.err("expected ')' but found " + this.describe(close));
    }
    if (t.kind == T_END) return this.err("unexpected end of expression: a number or '(' is missing");
    if (t.kind == T_RPAREN) {
      return this.err("expected a number or '(' but found " + this.describe(t));
    }
    return this.err("expected a number or '(' but found " + this.describe(t));
  }
}

function toInt(mag: Array<i32>): i32 {
  let n = 0;
  for (let i = mag.length - 1; i >= 0; i--) n = n * 10 + mag[i];
  return n;
}

function tooBig(d: Dec): bool {
  return d.mag.length > MAX_DIGITS;
}

function add(a: Dec, b: Dec, subtract: bool): Dec | null {
  const scale = max(a.scale, b.scale);
  const am = shiftMag(a.mag, scale - a.scale);
  const bm = shiftMag(b.mag, scale - b.scale);
  const bneg = subtract ? !b.neg : b.neg;
  let r: Dec;
  if (a.neg == bneg) {
    r = Dec.of(a.neg, addMag(am, bm), scale);
  } else {
    const c = cmpMag(am, bm);
    if (c >= 0) r = Dec.of(a.neg, subMag(am, bm), scale);
    else r = Dec.of(bneg, subMag(bm, am), scale);
  }
  return tooBig(r) ? null : r;
}

function mul(a: Dec, b: Dec): Dec | null {
  if (a.mag.length + b.mag.length - 1 > MAX_DIGITS) return null;
  const r = Dec.of(a.neg != b.neg, mulMag(a.mag, b.mag), a.scale + b.scale);
  return tooBig(r) ? null : r;
}

/** a / b to DIVISION_PLACES decimal places, rounded half to even; b is not zero. */
function div(a: Dec, b: Dec): Dec | null {
  // a/b = (A / 10^sa) / (B / 10^sb); q = A * 10^(sb + P) / (B * 10^sa), then scale P
  const num = shiftMag(a.mag, b.scale + DIVISION_PLACES);
  const den = shiftMag(b.mag, a.scale);
  if (num.length - den.length > MAX_DIGITS) return null;
  const qr = divModMag(num, den);
  let q = qr.q;
  const twice = addMag(qr.r, qr.r);
  const c = cmpMag(twice, den);
  if (c > 0 || (c == 0 && q.length > 0 && (q[0] & 1) == 1)) {
    const one = new Array<i32>(1);
    one[0] = 1;
    q = addMag(q, one);
  }
  const r = Dec.of(a.neg != b.neg, q, DIVISION_PLACES);
  return tooBig(r) ? null : r;
}

function pow(base: Dec, exponent: i32): Dec | null {
  const one = new Array<i32>(1);
  one[0] = 1;
  if (exponent == 0) return Dec.of(false, one, 0);
  if (base.isZero()) return base;
  // the result has at least (digits - 1) * exponent + 1 digits: refuse before computing
  if (<i64>(base.mag.length - 1) * <i64>exponent + 1 > <i64>MAX_DIGITS) return null;
  let result = Dec.of(false, one, 0);
  let square = base;
  let e = exponent;
  while (true) {
    if (e & 1) {
      const r = mul(result, square);
      if (r === null) return null;
      result = r;
    }
    e >>= 1;
    if (e == 0) break;
    const s = mul(square, square);
    if (s === null) return null;
    square = s;
  }
  return result;
}

function codePoints(s: string): i32 {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) continue;
    }
    n++;
  }
  return n;
}

/** Evaluates `expression`; on success returns the result's text, else null with `error` set. */
function evaluate(expression: string, calc: Calc): string | null {
  const length = codePoints(expression);
  if (length > MAX_LENGTH) {
    calc.error = "expression is too long: " + length.toString() + " characters, at most " + MAX_LENGTH.toString();
    return null;
  }
  if (expression.trim().length == 0) {
    calc.error = "expression is empty";
    return null;
  }
  if (!calc.tokenize(expression)) return null;
  const v = calc.run();
  if (v === null) return null;
  return v.toString();
}

/** The `calculate` tool: `{expression}` → `{result}`. */
export function calculate(): i32 {
  const parsed = inputJson();
  const input = parsed.value;
  if (input === null) return fail("input is not JSON: " + parsed.error);
  const expression = input.getString("expression");
  if (expression === null) return fail("input must be an object with a string \"expression\"");
  const calc = new Calc();
  const result = evaluate(expression, calc);
  if (result === null) {
    const message = calc.error;
    return fail(message !== null ? message : "could not evaluate the expression");
  }
  return ok(JsonValue.makeObject().setString("result", result));
}
