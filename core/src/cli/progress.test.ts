import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createProgress, renderPercentLine, renderProgressBar } from "./progress.js";

function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (text: string) => writes.push(text) } };
}

describe("rendering", () => {
  it("draws a bar with the percent and the label", () => {
    expect(renderProgressBar(0.42, "loading m")).toBe("[########............]  42% loading m");
    expect(renderProgressBar(0, "x", 10)).toBe("[..........]   0% x");
    expect(renderProgressBar(1, "x", 10)).toBe("[##########] 100% x");
    expect(renderProgressBar(1.7, "x", 10)).toBe("[##########] 100% x");
    expect(renderProgressBar(0.999, "x", 10)).toBe("[#########.]  99% x");
  });

  it("cuts the line to the terminal's width, leaving the last column free", () => {
    expect(renderProgressBar(0.5, "loading a-very-long-model-name", 10, 24)).toBe("[#####.....]  50% loadi"); // 23 characters
  });

  it("writes plain percent lines", () => {
    expect(renderPercentLine(0.426, "loading m")).toBe("loading m: 42%\n");
  });
});

describe("on a terminal", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("redraws at most every 100 ms, catches up after a pause, and clears the line at the end", () => {
    const { writes, stream } = fakeStream(true);
    const progress = createProgress({ label: "loading m", stream, width: 10 });
    progress.update(0);
    progress.update(0.1);
    progress.update(0.2); // within 100 ms of the first frame: not drawn yet
    expect(writes).toEqual(["\r[..........]   0% loading m"]);
    vi.advanceTimersByTime(100); // the throttled value is drawn once the interval is over
    expect(writes).toEqual(["\r[..........]   0% loading m", "\r[##........]  20% loading m"]);
    vi.advanceTimersByTime(500);
    progress.update(0.55); // after a pause: drawn at once
    expect(writes.at(-1)).toBe("\r[#####.....]  55% loading m");
    progress.update(0.9);
    progress.finish();
    vi.advanceTimersByTime(1000); // a pending redraw never comes after the line was cleared
    expect(writes.at(-1)).toBe("\r\x1b[2K");
    expect(writes).toHaveLength(4);
  });

  it("does not redraw an unchanged frame", () => {
    const { writes, stream } = fakeStream(true);
    const progress = createProgress({ label: "m", stream, width: 10 });
    progress.update(0.5);
    vi.advanceTimersByTime(200);
    progress.update(0.505);
    expect(writes).toHaveLength(1);
  });

  it("leaves the line alone when nothing was drawn", () => {
    const { writes, stream } = fakeStream(true);
    createProgress({ label: "m", stream }).finish();
    expect(writes).toEqual([]);
  });
});

describe("elsewhere", () => {
  it("prints a line each time the percent passes a multiple of 10, never a carriage return", () => {
    const { writes, stream } = fakeStream(false);
    const progress = createProgress({ label: "loading m", stream });
    for (const fraction of [0, 0.01, 0.05, 0.12, 0.13, 0.5, 0.51, 0.999, 1, 1]) progress.update(fraction);
    progress.finish();
    expect(writes).toEqual(["loading m: 0%\n", "loading m: 12%\n", "loading m: 50%\n", "loading m: 99%\n", "loading m: 100%\n"]);
  });
});
