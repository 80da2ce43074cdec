import { describe, expect, it } from "vitest";
import { ConfigError } from "../config/index.js";
import { StartupError } from "../startup-error.js";
import { reportFailure, wantsDebug } from "./report-error.js";

describe("reportFailure", () => {
  it("prints a configuration mistake as one line, exit 2", () => {
    expect(reportFailure(new ConfigError("--port must be at most 65535, got 99999"), { debug: true })).toEqual({
      text: "shimmy: --port must be at most 65535, got 99999\n", exitCode: 2,
    });
  });

  it("prints a start that cannot go on, or a system failure, as one line without a stack, exit 1", () => {
    expect(reportFailure(new StartupError("port 1 is in use: use --port"), { debug: true })).toEqual({ text: "shimmy: port 1 is in use: use --port\n", exitCode: 1 });
    const system = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: "EACCES", syscall: "open" });
    expect(reportFailure(system, { debug: false })).toEqual({ text: "shimmy: EACCES: permission denied, open '/x'\n", exitCode: 1 });
  });

  it("calls anything else a bug, says how to report it, and shows the stack only with debug", () => {
    const bug = new TypeError("x is undefined");
    const quiet = reportFailure(bug, { command: "serve", debug: false });
    expect(quiet.exitCode).toBe(1);
    expect(quiet.text).toBe(
      "shimmy: unexpected error: x is undefined. This is a bug in Shimmy: please report it with the output of the same command run with --log-level debug\n",
    );
    expect(reportFailure(bug, { command: "plugin", debug: false }).text).toMatch(/run with SHIMMY_LOG_LEVEL=debug\n$/);
    const loud = reportFailure(bug, { command: "serve", debug: true }).text.split("\n");
    expect(loud[0]).toMatch(/^shimmy: unexpected error: x is undefined\. This is a bug/);
    expect(loud[1]).toBe("TypeError: x is undefined");
    expect(loud[2]).toMatch(/^ {4}at /);
  });
});

describe("wantsDebug", () => {
  it("reads --log-level from the arguments, then SHIMMY_LOG_LEVEL", () => {
    expect(wantsDebug(["--log-level", "debug"], {})).toBe(true);
    expect(wantsDebug(["--log-level=trace"], {})).toBe(true);
    expect(wantsDebug([], { SHIMMY_LOG_LEVEL: "debug" })).toBe(true);
    expect(wantsDebug(["--log-level", "info"], { SHIMMY_LOG_LEVEL: "debug" })).toBe(false);
    expect(wantsDebug(["--log-level", "info"], {})).toBe(false);
    expect(wantsDebug([], {})).toBe(false);
  });
});
