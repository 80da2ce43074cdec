import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { createMcpServer } from "./mcp-server.js";
import type { McpCallOptions, McpPluginView, McpToolSource } from "./plugin-tools.js";
import { serveMcpStdio } from "./stdio.js";

const OBJECT = { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] };

function plugin(name: string, tools: string[], extra: Partial<McpPluginView> = {}): McpPluginView {
  return {
    name,
    enabled: true,
    status: "ready",
    tools: tools.map((t) => ({ name: t, function_name: `${name}_${t}`, description: `${t} of ${name}`, inputSchema: OBJECT })),
    ...extra,
  };
}

/** A source whose plugins and call outcome a test sets; it records every call. */
class FakeSource implements McpToolSource {
  plugins: McpPluginView[] = [];
  calls: { request: { name: string; plugin?: string; arguments: Record<string, unknown> }; options: McpCallOptions }[] = [];
  outcome: () => unknown = () => ({ result: "42" });
  list(): McpPluginView[] {
    return this.plugins;
  }
  async callTool(request: { name: string; plugin?: string; arguments: Record<string, unknown> }, options: McpCallOptions): Promise<unknown> {
    this.calls.push({ request, options });
    return this.outcome();
  }
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function connect(source: FakeSource): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer({ source, requestId: () => "req_test" }).connect(serverSide);
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

describe("MCP server over plugin tools", () => {
  it("lists the tools of enabled, ready plugins under their function names, MCP-shaped", async () => {
    const source = new FakeSource();
    source.plugins = [
      {
        ...plugin("calculator", []),
        tools: [{
          name: "calculate", function_name: "calculate", title: "Calculator", description: "Evaluates", inputSchema: OBJECT,
          outputSchema: { type: "object", properties: { result: { type: "string" } }, required: ["result"] }, annotations: { readOnlyHint: true },
        }],
      },
      plugin("off", ["a"], { enabled: false, status: "disabled" }),
      plugin("broken", ["b"], { status: "error" }),
    ];
    const { tools } = await (await connect(source)).listTools();
    expect(tools).toEqual([
      expect.objectContaining({
        name: "calculate", title: "Calculator", description: "Evaluates", inputSchema: OBJECT, annotations: { readOnlyHint: true },
        outputSchema: { type: "object", properties: { result: { type: "string" } }, required: ["result"] },
      }),
    ]);
  });

  it("calls the named plugin's tool with the arguments and request id, and returns its output as text and structured content", async () => {
    const source = new FakeSource();
    source.plugins = [plugin("calc", ["calculate"]), plugin("other", ["calculate"])];
    const result = await (await connect(source)).callTool({ name: "other_calculate", arguments: { expression: "6*7" } });
    expect(source.calls).toEqual([{ request: { name: "calculate", plugin: "other", arguments: { expression: "6*7" } }, options: { signal: expect.any(AbortSignal), requestId: "req_test" } }]);
    expect(result).toMatchObject({ structuredContent: { result: "42" }, content: [{ type: "text", text: '{"result":"42"}' }] });
    expect(result.isError).toBeFalsy();
  });

  it("answers bad arguments, timeouts and traps with isError results, and keeps serving", async () => {
    const source = new FakeSource();
    source.plugins = [plugin("calc", ["calculate"])];
    const client = await connect(source);
    const failures: [unknown, string, string][] = [
      [new ShimmyError("invalid_parameter", "arguments: expression must be string"), "invalid_parameter", "expression must be string"],
      [new ShimmyError("tool_timeout", "calc calculate: timed out after 500 ms"), "tool_timeout", "timed out"],
      [new ShimmyError("tool_failed", "calc calculate: wasm trap: unreachable"), "tool_failed", "unreachable"],
      [new Error("secret internals"), "internal_error", "its log has the details"],
    ];
    for (const [error, code, text] of failures) {
      source.outcome = () => {
        throw error;
      };
      const result = await client.callTool({ name: "calc_calculate", arguments: {} });
      expect(result).toMatchObject({ isError: true, _meta: { "dev.shimmy/error_code": code } });
      expect((result.content as { text: string }[])[0]!.text).toContain(text);
    }
    source.outcome = () => ({ result: "1" });
    await expect(client.callTool({ name: "calc_calculate", arguments: { expression: "1" } })).resolves.toMatchObject({ structuredContent: { result: "1" } });
  });

  it("refuses an unknown tool name with a protocol error, as the spec asks", async () => {
    const source = new FakeSource();
    await expect((await connect(source)).callTool({ name: "nope", arguments: {} })).rejects.toThrow(/Unknown tool: nope/);
    expect(source.calls).toEqual([]);
  });
});

describe("MCP server on stdio", () => {
  it("sends notifications/tools/list_changed when the plugins' tools change", async () => {
    const source = new FakeSource();
    source.plugins = [plugin("calc", ["calculate"])];
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = serveMcpStdio({ source, transport: serverSide, onError: () => undefined });
    let onChanged: (names: string[]) => void = () => undefined;
    const changed = new Promise<string[]>((resolve) => (onChanged = resolve));
    const client = new Client({ name: "test", version: "1.0.0" }, { listChanged: { tools: { debounceMs: 0, onChanged: (_err, tools) => onChanged((tools ?? []).map((t) => t.name)) } } });
    try {
      await client.connect(clientSide);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["calc_calculate"]);
      source.plugins = [plugin("calc", ["calculate"]), plugin("time", ["now"])];
      await expect(changed).resolves.toEqual(["calc_calculate", "time_now"]);
    } finally {
      await client.close();
      await server.dispose();
    }
  });
});
