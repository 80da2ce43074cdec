/**
 * Proleptic Gregorian calendar arithmetic on integers: days since 1970-01-01 to and from a civil
 * date (Howard Hinnant's `days_from_civil` / `civil_from_days`), month lengths, weekdays and ISO
 * weeks. No floats: a date is exact or it is refused.
 */

/** Milliseconds in a day; every day has 86,400 seconds here (no leap seconds, fixed offsets). */
export const MS_PER_DAY: i64 = 86400000;

/** The earliest instant the plugin handles, 0001-01-01T00:00:00.000Z, in ms since the epoch. */
export const MIN_MS: i64 = -62135596800000;
/** The latest instant the plugin handles, 9999-12-31T23:59:59.999Z. */
export const MAX_MS: i64 = 253402300799999;

const WEEKDAYS: string[] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS: string[] = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

/** A wall-clock date and time (in whatever offset the caller chose). */
export class Fields {
  year: i32 = 1970;
  month: i32 = 1;
  day: i32 = 1;
  hour: i32 = 0;
  minute: i32 = 0;
  second: i32 = 0;
  millisecond: i32 = 0;
}

/** `a / b` rounded toward negative infinity (i64 `/` truncates toward zero). */
export function floorDiv(a: i64, b: i64): i64 {
  const q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/** `a mod b` with the sign of `b`. */
export function floorMod(a: i64, b: i64): i64 {
  return a - floorDiv(a, b) * b;
}

/** Whether `year` has a February 29th. */
export function isLeapYear(year: i32): bool {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/** Days in `month` (1-12) of `year`. */
export function daysInMonth(year: i32, month: i32): i32 {
  if (month == 2) return isLeapYear(year) ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

/** The English name of `month` (1-12). */
export function monthName(month: i32): string {
  return MONTHS[month - 1];
}

/** Days from 1970-01-01 to `year-month-day`. */
export function daysFromCivil(year: i32, month: i32, day: i32): i64 {
  const y: i64 = <i64>year - (month <= 2 ? 1 : 0);
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const mp: i64 = month > 2 ? month - 3 : month + 9;
  const doy = (153 * mp + 2) / 5 + <i64>day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date `days` after 1970-01-01, written into `out` (time fields untouched). */
export function civilFromDays(days: i64, out: Fields): void {
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const month = <i32>(mp < 10 ? mp + 3 : mp - 9);
  out.day = <i32>(doy - (153 * mp + 2) / 5 + 1);
  out.month = month;
  out.year = <i32>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

/** Milliseconds since the epoch of a wall-clock time read as UTC. */
export function toEpochMs(f: Fields): i64 {
  const days = daysFromCivil(f.year, f.month, f.day);
  return days * MS_PER_DAY + <i64>f.hour * 3600000 + <i64>f.minute * 60000 + <i64>f.second * 1000 + <i64>f.millisecond;
}

/** The wall-clock fields of `ms` since the epoch, read as UTC. */
export function fromEpochMs(ms: i64): Fields {
  const f = new Fields();
  const days = floorDiv(ms, MS_PER_DAY);
  civilFromDays(days, f);
  let rest = ms - days * MS_PER_DAY;
  f.hour = <i32>(rest / 3600000);
  rest %= 3600000;
  f.minute = <i32>(rest / 60000);
  rest %= 60000;
  f.second = <i32>(rest / 1000);
  f.millisecond = <i32>(rest % 1000);
  return f;
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
export function weekdayIndex(year: i32, month: i32, day: i32): i32 {
  return <i32>floorMod(daysFromCivil(year, month, day) + 4, 7);
}

/** The English name of the weekday of `year-month-day`. */
export function weekdayName(year: i32, month: i32, day: i32): string {
  return WEEKDAYS[weekdayIndex(year, month, day)];
}

/** Day of the year, 1 to 366. */
export function dayOfYear(year: i32, month: i32, day: i32): i32 {
  return <i32>(daysFromCivil(year, month, day) - daysFromCivil(year, 1, 1)) + 1;
}

/**
 * The ISO 8601 week date `YYYY-Www`: weeks start on Monday and week 1 holds the year's first
 * Thursday, so 2024-12-30 is in 2025-W01 and 2021-01-03 in 2020-W53.
 */
export function isoWeek(year: i32, month: i32, day: i32): string {
  const days = daysFromCivil(year, month, day);
  const isoWeekday = <i32>floorMod(days + 3, 7) + 1; // Monday 1 … Sunday 7
  const thursday = days + <i64>(4 - isoWeekday);
  const t = new Fields();
  civilFromDays(thursday, t);
  const week = <i32>((thursday - daysFromCivil(t.year, 1, 1)) / 7) + 1;
  return pad(t.year, 4) + "-W" + pad(week, 2);
}

/**
 * Adds `months` to a wall-clock time, keeping the time of day and clamping the day to the target
 * month's length (2024-01-31 + 1 month = 2024-02-29), as date-fns and Temporal do. The year may
 * leave 1-9999; the caller checks the result.
 */
export function addMonths(f: Fields, months: i64): Fields {
  const index = <i64>f.year * 12 + <i64>(f.month - 1) + months;
  const r = new Fields();
  r.year = <i32>floorDiv(index, 12);
  r.month = <i32>floorMod(index, 12) + 1;
  const last = daysInMonth(r.year, r.month);
  r.day = f.day > last ? last : f.day;
  r.hour = f.hour;
  r.minute = f.minute;
  r.second = f.second;
  r.millisecond = f.millisecond;
  return r;
}

/** `n` in decimal, zero-padded to `width` digits (a minus sign, if any, comes first). */
export function pad(n: i64, width: i32): string {
  const negative = n < 0;
  let s = (negative ? -n : n).toString();
  while (s.length < width) s = "0" + s;
  return negative ? "-" + s : s;
}
