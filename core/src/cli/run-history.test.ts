import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readRunHistory, writeRunHistory } from "./run-history.js";

describe("run history", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-run-history-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is empty before the first session", () => {
    expect(readRunHistory(path.join(dir, "run_history"))).toEqual([]);
  });

  it("keeps the lines oldest first, in a folder it creates, readable by its owner only", () => {
    const file = path.join(dir, "home", "run_history");
    writeRunHistory(file, ["first", "second"]);
    expect(fs.readFileSync(file, "utf8")).toBe("first\nsecond\n");
    expect(readRunHistory(file)).toEqual(["first", "second"]);
    if (process.platform !== "win32") expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it("keeps only the newest lines past its bound, on writing and on reading", () => {
    const file = path.join(dir, "run_history");
    writeRunHistory(file, ["1", "2", "3", "4"], 3);
    expect(readRunHistory(file)).toEqual(["2", "3", "4"]);
    expect(readRunHistory(file, 2)).toEqual(["3", "4"]);
  });
});
