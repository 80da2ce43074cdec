/**
 * ISO 8601 / RFC 3339 text for the time plugin: parsing `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]`
 * with every field range-checked, and formatting instants as `2024-02-29T13:05:00.000+05:30`.
 */
import { daysInMonth, fromEpochMs, Fields, MAX_MS, MIN_MS, monthName, pad, toEpochMs } from "./calendar";

/** A parsed date or date-time: the instant, and the offset it was written in. */
export class Instant {
  /** Milliseconds since 1970-01-01T00:00:00Z. */
  ms: i64 = 0;
  /** The written offset east of UTC, in minutes; 0 for `Z` or no zone. */
  offsetMinutes: i32 = 0;
  /** True when the text carried `±HH:MM` (even `+00:00`); false for `Z`, no zone, or a date alone. */
  hasOffset: bool = false;
}

/** {@link parseIso}'s outcome: an instant, or why the text is not one. */
export class ParseResult {
  value: Instant | null = null;
  reason: string = "";
}

const SHAPE = "expected YYYY-MM-DD, optionally followed by THH:MM, :SS, .fff and Z or ±HH:MM";

function digitsAt(s: string, at: i32, count: i32): i32 {
  if (at + count > s.length) return -1;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const c = s.charCodeAt(at + i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function charIs(s: string, at: i32, c: i32): bool {
  return at < s.length && s.charCodeAt(at) == c;
}

function refuse(reason: string): ParseResult {
  const r = new ParseResult();
  r.reason = reason;
  return r;
}

/** {@link parseOffset}'s outcome: minutes east of UTC, or why the text is not an offset. */
export class OffsetResult {
  minutes: i32 = 0;
  /** Empty when the offset is valid. */
  reason: string = "";
  /** True when the text is not shaped like an offset at all (as opposed to out of range). */
  malformed: bool = false;
}

const OFFSET_SHAPE = "expected an offset +HH:MM or -HH:MM";

/**
 * Reads `±HH:MM` (or `±HHMM`) from `s` starting at `at`; it must run to the end of `s`. Hours run
 * 00-23 and minutes 00-59, as ISO 8601 allows.
 */
export function parseOffset(s: string, at: i32 = 0): OffsetResult {
  const r = new OffsetResult();
  const sign = at < s.length ? s.charCodeAt(at) : 0;
  if (sign != 0x2b && sign != 0x2d) {
    r.reason = OFFSET_SHAPE;
    r.malformed = true;
    return r;
  }
  const hours = digitsAt(s, at + 1, 2);
  const colon = charIs(s, at + 3, 0x3a);
  const minutes = digitsAt(s, at + (colon ? 4 : 3), 2);
  const end = at + (colon ? 6 : 5);
  if (hours < 0 || minutes < 0 || end != s.length) {
    r.reason = OFFSET_SHAPE;
    r.malformed = true;
  } else if (hours > 23) {
    r.reason = "the offset's hours must be 00 to 23";
  } else if (minutes > 59) {
    r.reason = "the offset's minutes must be 00 to 59";
  } else {
    r.minutes = (sign == 0x2d ? -1 : 1) * (hours * 60 + minutes);
  }
  return r;
}

/**
 * Parses an ISO 8601 calendar date or date-time. A date alone means midnight UTC; a date-time
 * without a zone is read as UTC; `T` may also be `t` or a space (RFC 3339); fractional seconds
 * take 1 to 9 digits and are kept to the millisecond (cut, not rounded). Years run 0001-9999.
 */
export function parseIso(s: string): ParseResult {
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  if (year < 0 || month < 0 || day < 0 || !charIs(s, 4, 0x2d) || !charIs(s, 7, 0x2d)) return refuse(SHAPE);
  if (year < 1) return refuse("the year must be 0001 to 9999");
  if (month < 1 || month > 12) return refuse("the month must be 01 to 12");
  if (day < 1) return refuse("the day must be 01 or more");
  const last = daysInMonth(year, month);
  if (day > last) return refuse(monthName(month) + " " + pad(year, 4) + " has " + last.toString() + " days");

  const f = new Fields();
  f.year = year;
  f.month = month;
  f.day = day;
  const instant = new Instant();
  if (s.length == 10) {
    instant.ms = toEpochMs(f);
    const ok = new ParseResult();
    ok.value = instant;
    return ok;
  }

  const t = s.charCodeAt(10);
  if (t != 0x54 && t != 0x74 && t != 0x20) return refuse(SHAPE);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  if (hour < 0 || minute < 0 || !charIs(s, 13, 0x3a)) return refuse(SHAPE);
  if (hour > 23) return refuse("the hour must be 00 to 23");
  if (minute > 59) return refuse("the minutes must be 00 to 59");
  f.hour = hour;
  f.minute = minute;
  let at = 16;
  if (charIs(s, at, 0x3a)) {
    const second = digitsAt(s, at + 1, 2);
    if (second < 0) return refuse(SHAPE);
    if (second > 59) return refuse("the seconds must be 00 to 59");
    f.second = second;
    at += 3;
    if (charIs(s, at, 0x2e) || charIs(s, at, 0x2c)) {
      at++;
      let count = 0;
      let ms = 0;
      while (at < s.length && s.charCodeAt(at) >= 0x30 && s.charCodeAt(at) <= 0x39) {
        if (count < 3) ms = ms * 10 + (s.charCodeAt(at) - 0x30);
        count++;
        at++;
      }
      if (count == 0 || count > 9) return refuse("fractional seconds take 1 to 9 digits");
      for (let i = count; i < 3; i++) ms *= 10;
      f.millisecond = ms;
    }
  }

  if (at < s.length) {
    const z = s.charCodeAt(at);
    if (z == 0x5a || z == 0x7a) {
      if (at + 1 != s.length) return refuse(SHAPE);
    } else {
      const offset = parseOffset(s, at);
      if (offset.reason.length > 0) return refuse(offset.malformed ? SHAPE : offset.reason);
      instant.offsetMinutes = offset.minutes;
      instant.hasOffset = true;
    }
  }
  instant.ms = toEpochMs(f) - <i64>instant.offsetMinutes * 60000;
  // 0001-01-01T00:30+01:00 is still year 0000 in UTC: keep every instant inside the range.
  if (instant.ms < MIN_MS || instant.ms > MAX_MS) return refuse("it lies outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z");
  const ok = new ParseResult();
  ok.value = instant;
  return ok;
}

/** `+05:30`, `-08:00`, or `+00:00`. */
export function formatOffset(minutes: i32): string {
  const sign = minutes < 0 ? "-" : "+";
  const m = minutes < 0 ? -minutes : minutes;
  return sign + pad(m / 60, 2) + ":" + pad(m % 60, 2);
}

/** `YYYY-MM-DD` of wall-clock fields. */
export function formatDate(f: Fields): string {
  return pad(f.year, 4) + "-" + pad(f.month, 2) + "-" + pad(f.day, 2);
}

/** `HH:MM:SS` of wall-clock fields. */
export function formatTime(f: Fields): string {
  return pad(f.hour, 2) + ":" + pad(f.minute, 2) + ":" + pad(f.second, 2);
}

/** The wall-clock fields of instant `ms` seen at `offsetMinutes` east of UTC. */
export function localFields(ms: i64, offsetMinutes: i32): Fields {
  return fromEpochMs(ms + <i64>offsetMinutes * 60000);
}

/**
 * `2024-02-29T13:05:00.000Z` (as JavaScript's `toISOString`), or with `withOffset` the same
 * wall-clock time at that offset: `2024-02-29T18:35:00.000+05:30`.
 */
export function formatIso(ms: i64, offsetMinutes: i32, withOffset: bool): string {
  const f = localFields(ms, withOffset ? offsetMinutes : 0);
  return formatDate(f) + "T" + formatTime(f) + "." + pad(f.millisecond, 3) + (withOffset ? formatOffset(offsetMinutes) : "Z");
}
