import { describe, expect, it } from "vitest";
import { LIMIT_DEFAULTS, MANIFEST_SCHEMA, secretConfigKeys, supportsCoreVersion, validateManifest } from "./manifest.js";

/** A calculator-like tool with examples, and a web-search-like tool with net, a template and a secret. */
function valid(): Record<string, any> {
  return {
    name: "@shimmy/toolbox",
    version: "0.3.1-beta.2",
    description: "A calculator and a web search.",
    license: "MIT",
    author: "Ada <ada@example.com>",
    keywords: ["math", "search"],
    shimmy: ">=0.1.0 <1.0.0",
    capabilities: [
      {
        kind: "tool",
        export: "calculate",
        name: "calculator",
        title: "Calculator",
        description: "Evaluate an arithmetic expression.",
        inputSchema: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"], additionalProperties: false },
        outputSchema: { type: "object", properties: { value: { type: "number" } }, required: ["value"] },
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      {
        kind: "tool",
        export: "search",
        name: "web_search",
        description: "Search the web.",
        inputSchema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", properties: { query: { type: "string" } }, required: ["query"] },
        annotations: { readOnlyHint: true, openWorldHint: true },
      },
      { kind: "step", export: "summarize", name: "calculator", input: { type: "string" }, output: true, annotations: { idempotentHint: true, readOnlyHint: true } },
      { kind: "router", export: "route", name: "by-length" },
      { kind: "embedder", export: "embed", name: "hash-embed", dimensions: 384 },
    ],
    permissions: {
      net: ["{config.endpoint}", "https://{config.host}:8443", "https://*.wikipedia.org", "http://localhost:8080", "http://[::1]:9000"],
      fs: { read: ["~/notes", "{config.vault}/sub", "/srv/data", "~"], write: ["{config.vault}"] },
    },
    limits: { timeoutMs: 30000 },
    config: {
      type: "object",
      properties: {
        endpoint: { type: "string", format: "uri" },
        host: { type: "string" },
        vault: { type: "string" },
        apiKey: { type: "string", writeOnly: true },
      },
      required: ["endpoint"],
    },
    examples: [
      { tool: "calculator", description: "adds", input: { expression: "1 + 2" }, output: { value: 3 } },
      { tool: "web_search", input: { query: "wasm" } },
    ],
  };
}

/** Validates `mutate(valid())` and returns its errors; fails the test if it passed. */
function errorsOf(mutate: (manifest: Record<string, any>) => void): { path: string; message: string }[] {
  const manifest = valid();
  mutate(manifest);
  const result = validateManifest(manifest);
  if (result.ok) throw new Error("expected the manifest to be refused");
  return result.errors;
}

function pathsOf(mutate: (manifest: Record<string, any>) => void): string[] {
  return errorsOf(mutate).map((error) => error.path);
}

describe("validateManifest: valid manifests", () => {
  it("accepts the full manifest, applies limit defaults, and leaves the input untouched", () => {
    const input = valid();
    const result = validateManifest(input);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.manifest.limits).toEqual({ memoryMaxPages: 256, timeoutMs: 30000, maxResponseBytes: 1048576 });
    expect(result.manifest.capabilities).toHaveLength(5);
    expect(input.limits).toEqual({ timeoutMs: 30000 });
  });

  it("applies every default when limits is absent", () => {
    const result = validateManifest({ ...valid(), limits: undefined });
    expect(result.ok && result.manifest.limits).toEqual({ memoryMaxPages: 256, timeoutMs: 10000, maxResponseBytes: 1024 * 1024 });
    expect(LIMIT_DEFAULTS).toEqual({ memoryMaxPages: 256, timeoutMs: 10000, maxResponseBytes: 1048576 });
  });

  it("accepts the schema's own example and a minimal manifest", () => {
    expect(validateManifest((MANIFEST_SCHEMA.examples as unknown[])[0])).toMatchObject({ ok: true });
    const minimal = { name: "x", version: "1.0.0", description: "d", shimmy: "*", capabilities: [{ kind: "router", export: "r", name: "r" }] };
    expect(validateManifest(minimal)).toMatchObject({ ok: true });
  });

  it("accepts npm name forms", () => {
    for (const name of ["a", "web-search", "my.plugin", "a_b", "~tilde", "@owner/name", "@o-1/n.2", "x".repeat(214)]) {
      expect(validateManifest({ ...valid(), name }), name).toMatchObject({ ok: true });
    }
  });

  it("lists secret config keys", () => {
    const result = validateManifest(valid());
    expect(result.ok && secretConfigKeys(result.manifest)).toEqual(["apiKey"]);
    expect(secretConfigKeys({})).toEqual([]);
  });

  it("checks the core version against the shimmy range, prereleases included", () => {
    expect(supportsCoreVersion({ shimmy: ">=0.1.0 <1.0.0" }, "0.4.2")).toBe(true);
    expect(supportsCoreVersion({ shimmy: ">=0.1.0 <1.0.0" }, "0.5.0-rc.1")).toBe(true);
    expect(supportsCoreVersion({ shimmy: ">=0.1.0 <1.0.0" }, "1.0.0")).toBe(false);
    expect(supportsCoreVersion({ shimmy: "^0.2.0" }, "0.1.9")).toBe(false);
  });
});

/** The name of the embedder capability of {@link valid}. */
const m4name = (): string => valid().capabilities[4].name;

describe("validateManifest: each rule, at its path", () => {
  it.each([
    ["uppercase", "Web-Search"],
    ["leading dot", ".hidden"],
    ["leading underscore", "_private"],
    ["too long", "x".repeat(215)],
    ["space", "web search"],
    ["scope without @", "owner/name"],
    ["uppercase scope", "@Owner/name"],
    ["empty scope", "@/name"],
    ["scope without name", "@owner/"],
    ["two slashes", "@owner/a/b"],
  ])("refuses a name with %s", (_, name) => {
    expect(pathsOf((m) => (m.name = name))).toEqual(["name"]);
  });

  it.each(["1.0", "v1.0.0", "01.0.0", "1.0.0-", "latest"])("refuses version %s", (version) => {
    expect(pathsOf((m) => (m.version = version))).toEqual(["version"]);
  });

  it("refuses a version the pattern allows but semver rejects (a number past 2^53)", () => {
    expect(errorsOf((m) => (m.version = "1.0.99999999999999999"))).toEqual([{ path: "version", message: "is not a valid semver version" }]);
  });

  it.each(["banana", ">=1.0.0 <", "1.x.y"])("refuses shimmy range %s", (range) => {
    expect(errorsOf((m) => (m.shimmy = range))).toEqual([{ path: "shimmy", message: "is not a valid semver range" }]);
  });

  it("refuses unknown keys at every level we own", () => {
    expect(errorsOf((m) => (m.homepage = "x"))).toEqual([{ path: "homepage", message: "is not a known field" }]);
    expect(pathsOf((m) => (m.capabilities[0].inputschema = {}))).toEqual(["capabilities.0.inputschema"]);
    expect(pathsOf((m) => (m.capabilities[0].annotations.readonlyHint = true))).toEqual(["capabilities.0.annotations.readonlyHint"]);
    expect(pathsOf((m) => (m.permissions.env = ["HOME"]))).toEqual(["permissions.env"]);
    expect(pathsOf((m) => (m.permissions.fs.exec = []))).toEqual(["permissions.fs.exec"]);
    expect(pathsOf((m) => (m.limits.cpu = 1))).toEqual(["limits.cpu"]);
    expect(pathsOf((m) => (m.examples[0].expected = 1))).toEqual(["examples.0.expected"]);
  });

  it("refuses a missing required field at its own path", () => {
    expect(errorsOf((m) => delete m.shimmy)).toEqual([{ path: "shimmy", message: "is required" }]);
    expect(pathsOf((m) => (m.capabilities = []))).toEqual(["capabilities"]);
  });

  it.each(["has space", "dot.ted", "x".repeat(65), ""])("refuses tool name %j", (name) => {
    expect(pathsOf((m) => (m.capabilities[0].name = name))).toEqual(["capabilities.0.name"]);
  });

  it("refuses a tool without inputSchema, or with one that is not an object schema", () => {
    expect(errorsOf((m) => delete m.capabilities[1].inputSchema)).toEqual([{ path: "capabilities.1.inputSchema", message: "is required" }]);
    expect(pathsOf((m) => (m.capabilities[1].inputSchema = { type: "string" }))).toEqual(["capabilities.1.inputSchema.type"]);
    expect(pathsOf((m) => delete m.capabilities[0].description)).toEqual(["capabilities.0.description"]);
  });

  it("refuses an inputSchema or outputSchema that is not a valid JSON Schema", () => {
    const [error] = errorsOf((m) => (m.capabilities[0].inputSchema.properties.expression = { type: "text" }));
    expect(error!.path).toBe("capabilities.0.inputSchema.properties.expression.type");
    expect(error!.message).toMatch(/^is not a valid JSON Schema/);
    expect(pathsOf((m) => (m.capabilities[0].outputSchema.required = "value"))).toEqual(["capabilities.0.outputSchema.required"]);
    expect(pathsOf((m) => (m.capabilities[1].inputSchema.properties.query = { $ref: "#/$defs/missing" }))).toEqual(["capabilities.1.inputSchema"]);
  });

  it("refuses duplicate names within a kind, not across kinds", () => {
    const rename = (m: Record<string, any>): void => {
      m.capabilities[1].name = "calculator";
      m.examples.pop();
    };
    expect(errorsOf(rename)).toEqual([
      { path: "capabilities.1.name", message: 'duplicates the tool name "calculator" of capabilities.0' },
    ]);
  });

  it("refuses an unknown kind, a bad export, and an embedder without dimensions", () => {
    expect(pathsOf((m) => (m.capabilities[3].kind = "hook"))).toEqual(["capabilities.3.kind"]);
    expect(pathsOf((m) => (m.capabilities[0].export = "1calc"))).toEqual(["capabilities.0.export"]);
    expect(pathsOf((m) => (m.capabilities[0].export = "calc-ulate"))).toEqual(["capabilities.0.export"]);
    expect(errorsOf((m) => delete m.capabilities[4].dimensions)).toEqual([{ path: "capabilities.4.dimensions", message: "is required" }]);
    expect(pathsOf((m) => (m.capabilities[4].dimensions = 0))).toEqual(["capabilities.4.dimensions"]);
    expect(pathsOf((m) => delete m.capabilities[2].output)).toEqual(["capabilities.2.output"]);
    expect(pathsOf((m) => (m.capabilities[2].annotations.retryHint = true))).toEqual(["capabilities.2.annotations.retryHint"]);
  });

  it("refuses an example naming an unknown tool, or whose input or output cannot match", () => {
    expect(errorsOf((m) => (m.examples[1].tool = "search"))).toEqual([{ path: "examples.1.tool", message: 'names no declared tool ("search")' }]);
    // A router is not a tool: examples run tools and steps only.
    expect(pathsOf((m) => (m.examples[1].tool = "by-length"))).toEqual(["examples.1.tool"]);
    expect(pathsOf((m) => (m.examples[0].input = { expr: "1" }))).toEqual(["examples.0.input"]);
    expect(pathsOf((m) => (m.examples[0].output = { value: "3" }))).toEqual(["examples.0.output"]);
  });

  it("checks a step's example against the step's input and output schemas, apart from the tool of the same name", () => {
    const withStep = (example: Record<string, unknown>) => (m: Record<string, any>) => {
      m.capabilities[2].output = { type: "array" };
      m.examples.push(example);
    };
    const manifest = valid();
    withStep({ step: "calculator", input: "a text", output: ["a"] })(manifest);
    expect(validateManifest(manifest)).toMatchObject({ ok: true });
    // The step "calculator" takes a string, the tool "calculator" an object: each example is checked against its own kind.
    expect(errorsOf(withStep({ step: "calculator", input: { expression: "1" } }))).toEqual([{ path: "examples.2.input", message: "does not match the step's input schema" }]);
    expect(errorsOf(withStep({ step: "calculator", input: "x", output: "y" }))).toEqual([{ path: "examples.2.output", message: "does not match the step's output schema" }]);
    expect(errorsOf(withStep({ step: "web_search", input: "x" }))).toEqual([{ path: "examples.2.step", message: 'names no declared step ("web_search")' }]);
    expect(errorsOf(withStep({ tool: "calculator", step: "calculator", input: "x" }))).toEqual([{ path: "examples.2", message: 'must name exactly one of "tool", "step" and "embedder"' }]);
    expect(errorsOf(withStep({ input: "x" }))).toEqual([{ path: "examples.2", message: 'must name exactly one of "tool", "step" and "embedder"' }]);
    expect(pathsOf(withStep({ step: "bad name", input: "x" }))).toEqual(["examples.2.step"]);
  });

  it("takes an embedder's sizes as numbers or {config.KEY} templates naming an integer setting, and checks its examples", () => {
    const withEmbedder = (embedder: Record<string, unknown>, example?: Record<string, unknown>) => (m: Record<string, any>) => {
      Object.assign(m.capabilities[4], embedder);
      m.config.properties.dims = { type: "integer", default: 768 };
      if (example) m.examples.push(example);
    };
    const manifest = valid();
    withEmbedder({ dimensions: "{config.dims}", maxInputTokens: 512, maxBatchSize: 8 }, { embedder: m4name(), input: { input: ["a", "b"] } })(manifest);
    expect(validateManifest(manifest)).toMatchObject({ ok: true });
    expect(errorsOf(withEmbedder({ dimensions: "{config.nope}" }))).toEqual([{ path: "capabilities.4.dimensions", message: "{config.nope} names no property of config" }]);
    expect(errorsOf(withEmbedder({ maxInputTokens: "{config.endpoint}" }))).toEqual([
      { path: "capabilities.4.maxInputTokens", message: '{config.endpoint} must name an integer setting, not "string"' },
    ]);
    expect(errorsOf(withEmbedder({ dimensions: "768" }))).toEqual([{ path: "capabilities.4.dimensions", message: "must be a whole number of 1 or more, or a {config.KEY} template" }]);
    expect(pathsOf(withEmbedder({ maxBatchSize: 4096 }))).toEqual(["capabilities.4.maxBatchSize"]);
    // An embedder example's input is {input: [text, …]}, at most maxBatchSize texts.
    expect(errorsOf(withEmbedder({ maxBatchSize: 1 }, { embedder: m4name(), input: { input: ["a", "b"] } }))).toEqual([
      { path: "examples.2.input", message: 'does not match the embedder\'s input ({"input": [text, …]}, at most maxBatchSize texts)' },
    ]);
    expect(pathsOf(withEmbedder({}, { embedder: m4name(), input: ["a"] }))).toEqual(["examples.2.input"]);
    expect(pathsOf(withEmbedder({}, { embedder: "nope", input: { input: ["a"] } }))).toEqual(["examples.2.embedder"]);
  });

  it("refuses a template naming an undeclared config key", () => {
    expect(errorsOf((m) => (m.permissions.net[1] = "https://{config.hostname}"))).toEqual([
      { path: "permissions.net.1", message: "{config.hostname} names no property of config" },
    ]);
    expect(pathsOf((m) => (m.permissions.fs.write[0] = "{config.out}/x"))).toEqual(["permissions.fs.write.0"]);
    expect(pathsOf((m) => delete m.config)).toEqual(["permissions.net.0", "permissions.net.1", "permissions.fs.read.1", "permissions.fs.write.0"]);
  });

  it.each([
    ["a path", "https://example.com/api"],
    ["a trailing slash", "https://example.com/"],
    ["userinfo", "https://user:pass@example.com"],
    ["ftp://", "ftp://example.com"],
    ["bare *", "*"],
    ["no scheme", "example.com"],
    ["a bare * host", "https://*"],
    ["a wildcard on a top-level domain", "https://*.com"],
    ["a wildcard mid-host", "https://api.*.example.com"],
    ["a query", "https://example.com?x=1"],
    ["a bad port", "https://example.com:0"],
    ["a template with a path", "{config.endpoint}/v1"],
  ])("refuses a net origin with %s", (_, origin) => {
    expect(pathsOf((m) => (m.permissions.net[2] = origin))).toEqual(["permissions.net.2"]);
  });

  it.each(["/data/../etc", "~/..", "..", "{config.vault}/../x", "relative/dir", "./here", "C:\\data\\..\\x"])("refuses the folder %s", (folder) => {
    expect(pathsOf((m) => (m.permissions.fs.read[0] = folder))).toEqual(["permissions.fs.read.0"]);
  });

  it("accepts folders whose names merely contain dots", () => {
    expect(validateManifest({ ...valid(), permissions: { fs: { read: ["/data/..hidden", "~/a..b", "C:\\data"] } } })).toMatchObject({ ok: true });
  });

  it.each([
    ["memoryMaxPages", 16385],
    ["timeoutMs", 600001],
    ["maxResponseBytes", 64 * 1024 * 1024 + 1],
    ["timeoutMs", 0],
    ["memoryMaxPages", 1.5],
  ])("refuses limits.%s = %d", (key, value) => {
    expect(pathsOf((m) => (m.limits[key] = value))).toEqual([`limits.${key}`]);
  });

  it("accepts limits at their maximum", () => {
    const limits = { memoryMaxPages: 16384, timeoutMs: 600000, maxResponseBytes: 67108864 };
    expect(validateManifest({ ...valid(), limits })).toMatchObject({ ok: true, manifest: { limits } });
  });

  it("refuses a config that is not an object schema, or a key templates cannot name", () => {
    expect(pathsOf((m) => (m.config = { type: "string" }))).toContain("config.type");
    expect(errorsOf((m) => (m.config.properties["api-key"] = { type: "string" }))).toEqual([
      { path: "config.properties", message: 'config property names must be identifiers (letters, digits, \'_\'): "api-key"' },
    ]);
    expect(pathsOf((m) => (m.config.properties.host = { type: 12 }))).toEqual(["config.properties.host.type"]);
  });

  it("reports a non-object manifest at the root", () => {
    expect(validateManifest("{}")).toEqual({ ok: false, errors: [{ path: "", message: "must be object" }] });
  });
});
