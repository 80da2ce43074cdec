/**
 * time: the current UTC date and time (from the host's clock, `shimmy_now`), and date arithmetic
 * on the proleptic Gregorian calendar with integers only.
 *
 * Offsets are fixed (`+05:30`), never time-zone names: a plugin has no tz database, and a fixed
 * offset makes every day 24 hours long, so "add 1 day" and "add 24 hours" agree.
 */
import { fail, hostError, inputJson, JsonValue, now as hostNow, ok } from "@shimmy/plugin-sdk/assembly";
import { addMonths, dayOfYear, floorDiv, isoWeek, MAX_MS, MIN_MS, MS_PER_DAY, toEpochMs, weekdayName } from "./calendar";
import { formatDate, formatIso, formatTime, Instant, localFields, parseIso, parseOffset } from "./iso";

/** Reads a tool's arguments, keeping the first error (named after its field) for the reply. */
class Args {
  input: JsonValue;
  error: string | null = null;
  /** The host's time, asked once per call so that two defaulted dates are the same instant. */
  current: Instant | null = null;

  constructor(input: JsonValue) {
    this.input = input;
  }

  /** An optional string member; null when absent or null. */
  str(key: string): string | null {
    const v = this.input.get(key);
    if (v === null || v.isNull()) return null;
    if (!v.isString()) {
      this.refuse('"' + key + '" must be a string');
      return null;
    }
    return v.str;
  }

  /** An optional integer member in -limit..limit; 0 when absent. */
  int(key: string, limit: i64): i64 {
    const v = this.input.get(key);
    if (v === null || v.isNull()) return 0;
    // Anything but a whole number (a string, 1.5) reads as i64.MAX_VALUE, past every limit.
    const n = v.asInteger(i64.MAX_VALUE);
    if (n < -limit || n > limit) {
      this.refuse('"' + key + '" must be an integer from -' + limit.toString() + " to " + limit.toString());
      return 0;
    }
    return n;
  }

  /** An optional date member parsed as ISO 8601; the host's current time when absent. */
  date(key: string): Instant | null {
    const text = this.str(key);
    if (this.error !== null) return null;
    if (text === null) {
      if (this.current === null) this.current = currentInstant(this);
      return this.current;
    }
    const parsed = parseIso(text);
    if (parsed.value === null) {
      const shown = text.length > 64 ? text.substring(0, 64) + "…" : text;
      this.refuse('"' + key + '" is not an ISO 8601 date: ' + shown + " (" + parsed.reason + ")");
    }
    return parsed.value;
  }

  /** Records `message` unless an earlier error is already recorded. */
  refuse(message: string): void {
    if (this.error === null) this.error = message;
  }

  /** Ends the call with the first error. */
  fail(): i32 {
    const error = this.error;
    return fail(error !== null ? error : "the input is not valid");
  }
}

/** The host's clock as an instant (UTC, no offset); sets `args.error` if the host refuses. */
function currentInstant(args: Args): Instant | null {
  const reply = hostNow();
  const error = hostError(reply);
  if (error !== null) {
    args.refuse("the host did not give the time: " + error);
    return null;
  }
  const unixMs = reply.get("unix_ms");
  if (unixMs === null || !unixMs.isInteger()) {
    args.refuse("the host did not give the time: no unix_ms in " + reply.stringify());
    return null;
  }
  const instant = new Instant();
  instant.ms = unixMs.asInteger(0);
  return instant;
}

/** The call's input as an object, or null when it is not one. */
function readArgs(): Args | null {
  const parsed = inputJson();
  const input = parsed.value;
  if (input === null || !input.isObject()) return null;
  return new Args(input);
}

/** Whether the instant, seen at `offsetMinutes`, still has a year 0001-9999. */
function inRange(ms: i64, offsetMinutes: i32): bool {
  if (ms < MIN_MS || ms > MAX_MS) return false;
  const year = localFields(ms, offsetMinutes).year;
  return year >= 1 && year <= 9999;
}

/** Tool `now`: the current time in UTC, and optionally at a fixed offset. */
export function now(): i32 {
  const args = readArgs();
  if (args === null) return fail("the input must be a JSON object");
  const offsetText = args.str("utc_offset");
  let offsetMinutes = 0;
  if (offsetText !== null) {
    const offset = parseOffset(offsetText);
    if (offset.reason.length > 0) return fail('"utc_offset" is not an offset: ' + offsetText + " (" + offset.reason + ")");
    offsetMinutes = offset.minutes;
  }
  const current = currentInstant(args);
  if (current === null) return args.fail();
  const ms = current.ms;
  const utc = localFields(ms, 0);
  const out = JsonValue.makeObject()
    .setString("iso", formatIso(ms, 0, false))
    .setInteger("unix_ms", ms)
    .setInteger("unix", floorDiv(ms, 1000))
    .setString("date", formatDate(utc))
    .setString("time", formatTime(utc))
    .setString("weekday", weekdayName(utc.year, utc.month, utc.day))
    .setInteger("day_of_year", dayOfYear(utc.year, utc.month, utc.day))
    .setString("iso_week", isoWeek(utc.year, utc.month, utc.day));
  if (offsetText !== null) {
    const local = localFields(ms, offsetMinutes);
    out.set(
      "local",
      JsonValue.makeObject()
        .setString("iso", formatIso(ms, offsetMinutes, true))
        .setString("date", formatDate(local))
        .setString("time", formatTime(local))
        .setString("weekday", weekdayName(local.year, local.month, local.day)),
    );
  }
  return ok(out);
}

/**
 * Tool `date_add`: years and months move on the calendar (clamping the day to the month's end),
 * then weeks, days, hours, minutes and seconds are added as exact durations.
 */
export function date_add(): i32 {
  const args = readArgs();
  if (args === null) return fail("the input must be a JSON object");
  const years = args.int("years", 10000);
  const months = args.int("months", 120000);
  const weeks = args.int("weeks", 600000);
  const days = args.int("days", 4000000);
  const hours = args.int("hours", 100000000);
  const minutes = args.int("minutes", 6000000000);
  const seconds = args.int("seconds", 400000000000);
  const start = args.date("date");
  if (args.error !== null || start === null) return args.fail();

  const offset = start.offsetMinutes;
  let local = localFields(start.ms, offset);
  const totalMonths = years * 12 + months;
  if (totalMonths != 0) {
    local = addMonths(local, totalMonths);
    if (local.year < 1 || local.year > 9999) return fail("the result is outside the years 0001 to 9999");
  }
  const shift = (weeks * 7 + days) * MS_PER_DAY + hours * 3600000 + minutes * 60000 + seconds * 1000;
  const ms = toEpochMs(local) + shift - <i64>offset * 60000;
  if (!inRange(ms, offset)) return fail("the result is outside the years 0001 to 9999");
  const result = localFields(ms, offset);
  return ok(
    JsonValue.makeObject()
      .setString("iso", formatIso(ms, offset, start.hasOffset))
      .setString("date", formatDate(result))
      .setString("weekday", weekdayName(result.year, result.month, result.day))
      .setString("iso_week", isoWeek(result.year, result.month, result.day)),
  );
}

/**
 * Tool `date_diff`: `to - from` in exact units (each truncated toward zero, negative when `to` is
 * earlier), and on the calendar as years, months and days counted forward from the earlier date,
 * both seen at `from`'s offset.
 */
export function date_diff(): i32 {
  const args = readArgs();
  if (args === null) return fail("the input must be a JSON object");
  const from = args.date("from");
  const to = args.date("to");
  if (args.error !== null || from === null || to === null) return args.fail();

  const diff = to.ms - from.ms;
  const sign: i64 = diff < 0 ? -1 : 1;
  const offset = from.offsetMinutes;
  const early = localFields(diff < 0 ? to.ms : from.ms, offset);
  const late = localFields(diff < 0 ? from.ms : to.ms, offset);
  const lateMs = toEpochMs(late);
  let months = <i64>(late.year - early.year) * 12 + <i64>(late.month - early.month);
  // Months counted by their numbers can overshoot by one (Jan 31 to Feb 15 is not a month).
  if (months > 0 && toEpochMs(addMonths(early, months)) > lateMs) months--;
  const calendarDays = (lateMs - toEpochMs(addMonths(early, months))) / MS_PER_DAY;
  const wholeDays = diff / MS_PER_DAY;

  return ok(
    JsonValue.makeObject()
      .setInteger("seconds", diff / 1000)
      .setInteger("minutes", diff / 60000)
      .setInteger("hours", diff / 3600000)
      .setInteger("days", wholeDays)
      .setInteger("weeks", wholeDays / 7)
      .set(
        "calendar",
        JsonValue.makeObject()
          .setInteger("years", sign * (months / 12))
          .setInteger("months", sign * (months % 12))
          .setInteger("days", sign * calendarDays),
      )
      .setString("direction", diff > 0 ? "future" : diff < 0 ? "past" : "same"),
  );
}
