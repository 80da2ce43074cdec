import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { PluginCallError, type PluginCallErrorCode } from "./plugin-call-error.js";
import { stepCallError, toolCallError } from "./tool-call-error.js";

const answer = (code: PluginCallErrorCode, message = "went wrong") => toolCallError(new PluginCallError(code, message), "calc", "add") as ShimmyError;

describe("toolCallError", () => {
  it("answers bad input as invalid_parameter on arguments, and a full queue as plugin_busy with Retry-After", () => {
    expect(answer("invalid_input")).toMatchObject({ code: "invalid_parameter", status: 400, param: "arguments" });
    expect(answer("payload_too_large")).toMatchObject({ code: "invalid_parameter", param: "arguments" });
    expect(answer("busy")).toMatchObject({ code: "plugin_busy", message: "calc add: went wrong", headers: { "Retry-After": "1" } });
  });

  it("tells the caller to call again when the plugin was reloaded under the call", () => {
    expect(answer("closed")).toMatchObject({ code: "plugin_unavailable", message: "calc was reloaded or removed during the call; call it again" });
    expect(answer("start_failed")).toMatchObject({ code: "plugin_unavailable", message: "calc could not start an instance for add: went wrong" });
  });

  it("names the plugin and tool in timeouts and failures, once", () => {
    expect(answer("timeout")).toMatchObject({ code: "tool_timeout", message: "calc add: went wrong" });
    expect(answer("unknown_tool")).toMatchObject({ code: "tool_not_found" });
    expect(answer("plugin_error")).toMatchObject({ code: "tool_failed", message: "calc add: went wrong" });
    expect(answer("plugin_error", "calc failed in add: trap")).toMatchObject({ code: "tool_failed", message: "calc failed in add: trap" });
  });

  it("answers a step's failures with the step codes, and its bad input on param input", () => {
    const step = (code: PluginCallErrorCode, message = "went wrong") => stepCallError(new PluginCallError(code, message), "text", "chunk") as ShimmyError;
    expect(step("invalid_input")).toMatchObject({ code: "invalid_parameter", status: 400, param: "input" });
    expect(step("unknown_step")).toMatchObject({ code: "step_not_found", status: 404 });
    expect(step("timeout")).toMatchObject({ code: "step_timeout", status: 504, message: "text chunk: went wrong" });
    expect(step("invalid_output")).toMatchObject({ code: "step_failed", status: 502, message: "text chunk: went wrong" });
    expect(step("busy")).toMatchObject({ code: "plugin_busy", headers: { "Retry-After": "1" } });
    expect(step("closed")).toMatchObject({ code: "plugin_unavailable" });
  });

  it("returns any other error as it is", () => {
    const other = new Error("bug");
    expect(toolCallError(other, "calc", "add")).toBe(other);
  });
});
