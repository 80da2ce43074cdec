import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

let home: string;
let host: PluginHost;

beforeAll(async () => {
  const { manifest, wasm } = await readBuiltPlugin("time");
  home = await mkdtemp(path.join(tmpdir(), "shimmy-time-test-"));
  const logger = { info: () => {}, warn: () => {}, debug: () => {} };
  host = await PluginHost.load({ manifest, wasm, config: {}, home, serverAddresses: [], logger, poolSize: 1 });
});

afterAll(async () => {
  await host?.dispose();
  if (home) await rm(home, { recursive: true, force: true });
});

type Added = { iso: string; date: string; weekday: string; iso_week: string };
type Diff = {
  seconds: number;
  minutes: number;
  hours: number;
  days: number;
  weeks: number;
  calendar: { years: number; months: number; days: number };
  direction: string;
};
type Now = {
  iso: string;
  unix_ms: number;
  unix: number;
  date: string;
  time: string;
  weekday: string;
  day_of_year: number;
  iso_week: string;
  local?: { iso: string; date: string; time: string; weekday: string };
};

const add = (input: Record<string, unknown>) => host.callTool("date_add", input) as Promise<Added>;
const diff = (from: string, to: string) => host.callTool("date_diff", { from, to }) as Promise<Diff>;

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The ISO week of a UTC date, the textbook way (Thursday of the same week decides the year). */
function isoWeekOf(d: Date): string {
  const t = new Date(d.getTime());
  t.setUTCHours(0, 0, 0, 0);
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const yearStart = new Date(0);
  yearStart.setUTCFullYear(t.getUTCFullYear(), 0, 1);
  const week = Math.floor((t.getTime() - yearStart.getTime()) / 86_400_000 / 7) + 1;
  return `${String(t.getUTCFullYear()).padStart(4, "0")}-W${String(week).padStart(2, "0")}`;
}

describe("time: date_add", () => {
  it("gets leap years right, 1900 and 2100 included", async () => {
    await expect(add({ date: "2024-02-28", days: 1 })).resolves.toMatchObject({ date: "2024-02-29", weekday: "Thursday" });
    await expect(add({ date: "2023-02-28", days: 1 })).resolves.toMatchObject({ date: "2023-03-01", weekday: "Wednesday" });
    await expect(add({ date: "2000-02-28", days: 1 })).resolves.toMatchObject({ date: "2000-02-29" });
    await expect(add({ date: "1900-02-28", days: 1 })).resolves.toMatchObject({ date: "1900-03-01" });
    await expect(add({ date: "2100-02-28", days: 1 })).resolves.toMatchObject({ date: "2100-03-01" });
    await expect(add({ date: "2024-01-01", days: 366 })).resolves.toMatchObject({ date: "2025-01-01" });
  });

  it("clamps to the month's last day when adding months or years", async () => {
    await expect(add({ date: "2024-01-31", months: 1 })).resolves.toEqual({
      iso: "2024-02-29T00:00:00.000Z",
      date: "2024-02-29",
      weekday: "Thursday",
      iso_week: "2024-W09",
    });
    await expect(add({ date: "2023-01-31", months: 1 })).resolves.toMatchObject({ date: "2023-02-28" });
    await expect(add({ date: "2024-03-31", months: -1 })).resolves.toMatchObject({ date: "2024-02-29" });
    await expect(add({ date: "2024-05-31", months: 1 })).resolves.toMatchObject({ date: "2024-06-30" });
    await expect(add({ date: "2024-02-29", years: 1 })).resolves.toMatchObject({ date: "2025-02-28" });
    await expect(add({ date: "2024-02-29", years: 4 })).resolves.toMatchObject({ date: "2028-02-29" });
    await expect(add({ date: "2024-11-30T10:15:00Z", months: 3 })).resolves.toMatchObject({ iso: "2025-02-28T10:15:00.000Z" });
  });

  it("keeps the input's offset, negative ones included, and crosses year boundaries", async () => {
    await expect(add({ date: "2024-12-31T22:30:00-05:00", hours: 3 })).resolves.toEqual({
      iso: "2025-01-01T01:30:00.000-05:00",
      date: "2025-01-01",
      weekday: "Wednesday",
      iso_week: "2025-W01",
    });
    await expect(add({ date: "2025-01-01T00:00:00+05:30", minutes: -1 })).resolves.toMatchObject({ iso: "2024-12-31T23:59:00.000+05:30", date: "2024-12-31" });
    await expect(add({ date: "2024-12-31T23:59:59.999Z", seconds: 1 })).resolves.toMatchObject({ iso: "2025-01-01T00:00:00.999Z" });
    await expect(add({ date: "2024-06-15T12:00:00+00:00", days: 1 })).resolves.toMatchObject({ iso: "2024-06-16T12:00:00.000+00:00" });
    await expect(add({ date: "2025-01-01", weeks: -1 })).resolves.toMatchObject({ date: "2024-12-25", weekday: "Wednesday" });
    await expect(add({ date: "2024-03-10T08:00", years: -1, months: -2, days: -3, hours: -4 })).resolves.toMatchObject({ iso: "2023-01-07T04:00:00.000Z" });
  });

  it("gives ISO weeks whose year differs from the date's", async () => {
    const weeks: Record<string, string> = {
      "2024-12-30": "2025-W01",
      "2021-01-03": "2020-W53",
      "2020-12-31": "2020-W53",
      "2026-01-01": "2026-W01",
      "2027-01-01": "2026-W53",
      "2024-06-15": "2024-W24",
    };
    for (const [date, week] of Object.entries(weeks)) {
      await expect(add({ date }), date).resolves.toMatchObject({ date, iso_week: week });
    }
  });

  it("agrees with JavaScript's Date on random dates and shifts across years 0001-9999", async () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    // Start dates keep 300 years from either end, room for the ±100,000 days added.
    const margin = 300 * 366 * 86_400_000;
    const lowest = Date.parse("0001-01-01T00:00:00Z") + margin;
    const span = Date.parse("9999-12-31T23:59:59Z") - margin - lowest;
    for (let i = 0; i < 200; i++) {
      const start = new Date(lowest + random(span / 1000) * 1000);
      const days = random(200_000) - 100_000;
      const seconds = random(2_000_000) - 1_000_000;
      const expected = new Date(start.getTime() + days * 86_400_000 + seconds * 1000);
      const got = await add({ date: start.toISOString(), days, seconds });
      expect(got, `${start.toISOString()} + ${days} days ${seconds} s`).toEqual({
        iso: expected.toISOString(),
        date: expected.toISOString().slice(0, 10),
        weekday: WEEKDAYS[expected.getUTCDay()],
        iso_week: isoWeekOf(expected),
      });
    }
  });

  it("refuses results outside 0001-9999", async () => {
    await expect(add({ date: "9999-12-31", days: 1 })).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining("outside the years 0001 to 9999") });
    await expect(add({ date: "0001-01-01", seconds: -1 })).rejects.toMatchObject({ code: "plugin_error" });
    await expect(add({ date: "9000-01-01", years: 1000 })).rejects.toMatchObject({ code: "plugin_error" });
  });

  it("starts from now when no date is given", async () => {
    const got = await add({ days: 1 });
    expect(Math.abs(Date.parse(got.iso) - (Date.now() + 86_400_000))).toBeLessThan(10_000);
    expect(got.iso.endsWith("Z")).toBe(true);
  });
});

describe("time: date_diff", () => {
  it("counts whole units, truncated toward zero, and the calendar difference", async () => {
    await expect(diff("2024-01-01", "2024-12-25")).resolves.toEqual({
      seconds: 31_017_600,
      minutes: 516_960,
      hours: 8616,
      days: 359,
      weeks: 51,
      calendar: { years: 0, months: 11, days: 24 },
      direction: "future",
    });
    await expect(diff("2024-02-28", "2024-03-01")).resolves.toMatchObject({ days: 2, calendar: { years: 0, months: 0, days: 2 } });
    await expect(diff("2023-02-28", "2023-03-01")).resolves.toMatchObject({ days: 1, calendar: { years: 0, months: 0, days: 1 } });
    await expect(diff("2024-01-31", "2024-02-29")).resolves.toMatchObject({ days: 29, calendar: { years: 0, months: 1, days: 0 } });
    await expect(diff("2024-01-31", "2024-03-01")).resolves.toMatchObject({ calendar: { years: 0, months: 1, days: 1 } });
    await expect(diff("1990-07-15", "2024-07-14")).resolves.toMatchObject({ calendar: { years: 33, months: 11, days: 29 } });
    await expect(diff("2024-01-01T00:00:00Z", "2024-01-01T23:59:59.999Z")).resolves.toMatchObject({ seconds: 86_399, hours: 23, days: 0, direction: "future" });
  });

  it("is negative into the past and zero for the same instant", async () => {
    await expect(diff("2024-03-15T12:00:00Z", "2023-01-10T08:00:00Z")).resolves.toEqual({
      seconds: -37_166_400,
      minutes: -619_440,
      hours: -10_324,
      days: -430,
      weeks: -61,
      calendar: { years: -1, months: -2, days: -5 },
      direction: "past",
    });
    await expect(diff("2024-01-01T10:00:00.500Z", "2024-01-01T10:00:00Z")).resolves.toMatchObject({ seconds: 0, direction: "past" });
    await expect(diff("2024-06-01T02:00:00+02:00", "2024-06-01T00:00:00Z")).resolves.toMatchObject({ seconds: 0, calendar: { years: 0, months: 0, days: 0 }, direction: "same" });
  });

  it("compares instants across offsets and counts the calendar at from's offset", async () => {
    await expect(diff("2024-06-01T00:00:00+02:00", "2024-06-01T00:00:00Z")).resolves.toMatchObject({ hours: 2, direction: "future" });
    // 23:30 at -05:00 is already the 1st in UTC; at from's offset it is one day after the 30th.
    await expect(diff("2024-05-30T23:30:00-05:00", "2024-06-01T04:30:00Z")).resolves.toMatchObject({ days: 1, calendar: { years: 0, months: 0, days: 1 } });
  });

  it("defaults a missing end to now, and both ends to the same now", async () => {
    const got = (await host.callTool("date_diff", { from: "2000-01-01" })) as Diff;
    expect(Math.abs(got.seconds - Math.trunc((Date.now() - Date.UTC(2000, 0, 1)) / 1000))).toBeLessThan(10);
    expect(got.direction).toBe("future");
    // Both ends default to one reading of the clock, not two.
    await expect(host.callTool("date_diff", {})).resolves.toMatchObject({ seconds: 0, direction: "same" });
  });
});

describe("time: now", () => {
  it("is close to Date.now(), and its fields agree with each other", async () => {
    const got = (await host.callTool("now", {})) as Now;
    expect(Math.abs(got.unix_ms - Date.now())).toBeLessThan(5000);
    const d = new Date(got.unix_ms);
    expect(got).toEqual({
      iso: d.toISOString(),
      unix_ms: got.unix_ms,
      unix: Math.floor(got.unix_ms / 1000),
      date: d.toISOString().slice(0, 10),
      time: d.toISOString().slice(11, 19),
      weekday: WEEKDAYS[d.getUTCDay()],
      day_of_year: Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
      iso_week: isoWeekOf(d),
    });
  });

  it("adds the local time at a fixed offset", async () => {
    for (const offset of ["+05:30", "-08:00", "+00:00"]) {
      const got = (await host.callTool("now", { utc_offset: offset })) as Now;
      const sign = offset.startsWith("-") ? -1 : 1;
      const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
      const shifted = new Date(got.unix_ms + minutes * 60_000).toISOString();
      expect(got.local).toEqual({
        iso: shifted.slice(0, 23) + offset,
        date: shifted.slice(0, 10),
        time: shifted.slice(11, 19),
        weekday: WEEKDAYS[new Date(shifted).getUTCDay()],
      });
      expect(Date.parse(got.local!.iso)).toBe(got.unix_ms);
    }
  });

  it("refuses an offset out of range", async () => {
    await expect(host.callTool("now", { utc_offset: "+24:00" })).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining('"utc_offset" is not an offset: +24:00') });
    await expect(host.callTool("now", { utc_offset: "05:30" })).rejects.toMatchObject({ code: "invalid_input" });
  });
});

describe("time: invalid dates", () => {
  const refused: [string, string][] = [
    ["2024-02-30", "February 2024 has 29 days"],
    ["2023-02-29", "February 2023 has 28 days"],
    ["2024-04-31", "April 2024 has 30 days"],
    ["2024-13-01", "the month must be 01 to 12"],
    ["2024-00-10", "the month must be 01 to 12"],
    ["0000-01-01", "the year must be 0001 to 9999"],
    ["2024-01-01T24:00", "the hour must be 00 to 23"],
    ["2024-01-01T10:60", "the minutes must be 00 to 59"],
    ["2024-01-01T10:00:61", "the seconds must be 00 to 59"],
    ["2024-01-01T10:00+24:00", "the offset's hours must be 00 to 23"],
    ["2024-01-01T10:00:00.", "fractional seconds take 1 to 9 digits"],
    ["24-01-01T10:00", "expected YYYY-MM-DD"],
    ["2024/01/01", "expected YYYY-MM-DD"],
    ["2024-01-01 x", "expected YYYY-MM-DD"],
    ["2024-01-01T10:00Zoo", "expected YYYY-MM-DD"],
    ["0001-01-01T00:30+01:00", "it lies outside 0001-01-01T00:00:00Z"],
  ];

  it.each(refused)("refuses %s: %s", async (text, reason) => {
    await expect(diff(text, "2024-01-01")).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining(`"from" is not an ISO 8601 date: ${text} (${reason}`),
    });
  });

  it("names the field that is wrong", async () => {
    await expect(diff("2024-01-01", "2024-02-30")).rejects.toMatchObject({ message: expect.stringContaining('"to" is not an ISO 8601 date: 2024-02-30') });
    await expect(add({ date: "2023-02-29" })).rejects.toMatchObject({ message: expect.stringContaining('"date" is not an ISO 8601 date: 2023-02-29') });
  });

  it("accepts every form it documents", async () => {
    for (const text of ["2024-02-29", "2024-02-29T13:05", "2024-02-29T13:05:09", "2024-02-29T13:05:09.5", "2024-02-29t13:05:09.123456789z", "2024-02-29 13:05:09+01:00", "2024-02-29T13:05-0130"]) {
      await expect(add({ date: text }), text).resolves.toMatchObject({ date: "2024-02-29" });
    }
    await expect(add({ date: "2024-02-29T13:05:09.5" })).resolves.toMatchObject({ iso: "2024-02-29T13:05:09.500Z" });
    await expect(add({ date: "2024-02-29T13:05-0130" })).resolves.toMatchObject({ iso: "2024-02-29T13:05:00.000-01:30" });
  });

  it("lets the host refuse input the schema rules out", async () => {
    await expect(add({ date: "2024-01-01", days: 1.5 })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(add({ date: "2024-01-01", fortnights: 1 })).rejects.toMatchObject({ code: "invalid_input" });
  });
});
