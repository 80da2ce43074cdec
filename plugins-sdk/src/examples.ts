/**
 * `runExamples`: what `shimmy-plugin test` does. Builds the plugin, loads it in the real host
 * (`@shimmy/core/plugins`, imported at run time by name: the core depends on this package, so this
 * package cannot depend on the core statically), and calls every example of the manifest (a tool's,
 * a step's or an embedder's, each checked by the host as a server checks it), comparing the
 * output with the expected one when the example gives it.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { buildPlugin } from "./build.js";
import { exampleKind, type PluginManifest } from "./manifest.js";

/** The slice of `@shimmy/core/plugins` used here, declared locally (no type dependency on the core). */
interface HostLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
interface LoadedHost {
  callTool(toolName: string, input: unknown): Promise<unknown>;
  callStep(stepName: string, input: unknown): Promise<unknown>;
  callEmbedder(name: string, texts: readonly string[]): Promise<{ vectors: Float32Array[]; promptTokens: number }>;
  dispose(): Promise<void>;
}
interface CorePlugins {
  PluginHost: {
    load(options: {
      manifest: PluginManifest;
      wasm: Uint8Array;
      config: Record<string, unknown>;
      home: string;
      serverAddresses: { host: string; port: number }[];
      logger: HostLogger;
      poolSize?: number;
    }): Promise<LoadedHost>;
  };
}

const CORE_PLUGINS = "@shimmy/core/plugins";

/** The plugin host, from the core installed next to this SDK. */
export async function importHost(): Promise<CorePlugins> {
  const specifier: string = CORE_PLUGINS;
  try {
    return (await import(specifier)) as CorePlugins;
  } catch (error) {
    throw new Error(`shimmy-plugin test needs @shimmy/core (the plugin host); it could not be loaded: ${(error as Error).message}`);
  }
}

/** The outcome of one example. */
export interface ExampleResult {
  /** What the example calls: a tool, a step or an embedder. */
  kind: "tool" | "step" | "embedder";
  /** The tool's, step's or embedder's name. */
  name: string;
  description?: string;
  input: unknown;
  ok: boolean;
  /** The expected output, when the example gives one. */
  expected?: unknown;
  /** What the tool or step returned, when it returned. */
  got?: unknown;
  /** The call's failure: `code` is a PluginCallError code, or "error". */
  error?: { code: string; message: string };
}

export interface ExamplesReport {
  manifest: PluginManifest;
  wasmSha256: string;
  results: ExampleResult[];
  /** The host's log lines (one JSON object a line). */
  log: string[];
}

export interface RunExamplesOptions {
  /** The plugin's config (Extism config and `{config.KEY}` grants); empty unless given. */
  config?: Record<string, unknown>;
}

/** Builds the plugin in `dir`, runs its manifest's examples in the real host and disposes it. */
export async function runExamples(dir: string, options: RunExamplesOptions = {}): Promise<ExamplesReport> {
  const { wasmPath, sha256, manifest } = await buildPlugin(dir);
  const wasm = await fs.readFile(wasmPath);
  const { PluginHost } = await importHost();
  const log: string[] = [];
  const line = (level: string) => (obj: object, msg?: string) => {
    log.push(JSON.stringify({ level, ...obj, ...(msg === undefined ? {} : { msg }) }));
  };
  const logger: HostLogger = { info: line("info"), warn: line("warn"), debug: line("debug") };
  const home = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-plugin-test-"));
  try {
    const host = await PluginHost.load({ manifest, wasm, config: options.config ?? {}, home, serverAddresses: [], logger, poolSize: 1 });
    const results: ExampleResult[] = [];
    try {
      for (const example of manifest.examples ?? []) {
        // validateManifest made sure each example names exactly one of a tool, a step and an embedder.
        const kind = exampleKind(example);
        const name = (example.step ?? example.tool ?? example.embedder)!;
        const base = { kind, name, input: example.input, ...(example.description === undefined ? {} : { description: example.description }) } as const;
        const expectsOutput = example.output !== undefined;
        try {
          const got = await (kind === "step" ? host.callStep(name, example.input) : kind === "embedder" ? embedderOutput(host, name, example.input) : host.callTool(name, example.input));
          const ok = !expectsOutput || isDeepStrictEqual(got, example.output);
          results.push({ ...base, ok, got, ...(expectsOutput ? { expected: example.output } : {}) });
        } catch (error) {
          const code = typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : "error";
          results.push({ ...base, ok: false, error: { code, message: (error as Error).message ?? String(error) }, ...(expectsOutput ? { expected: example.output } : {}) });
        }
      }
    } finally {
      await host.dispose();
    }
    return { manifest, wasmSha256: sha256, results, log };
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

/**
 * An embedder example's outcome in the embedder's own output shape, `{data: [{embedding}], usage}`,
 * after the host's checks (one vector per text, `dimensions` finite numbers each).
 */
async function embedderOutput(host: LoadedHost, name: string, input: unknown): Promise<unknown> {
  const { vectors, promptTokens } = await host.callEmbedder(name, (input as { input: string[] }).input);
  return { data: vectors.map((vector) => ({ embedding: Array.from(vector) })), usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}

/** The report's lines: `ok TOOL INPUT` (`ok step STEP INPUT`), or `FAIL …` and indented details. */
export function formatExamples(report: ExamplesReport): string {
  const out: string[] = [];
  for (const r of report.results) {
    const head = `${r.ok ? "ok" : "FAIL"} ${r.kind === "tool" ? "" : `${r.kind} `}${r.name} ${JSON.stringify(r.input)}${r.description ? ` (${r.description})` : ""}`;
    out.push(head);
    if (r.ok) continue;
    if (r.error) {
      out.push(`  error ${r.error.code}: ${r.error.message}`);
      if ("expected" in r) out.push(`  expected ${JSON.stringify(r.expected)}`);
    } else {
      out.push(`  expected ${JSON.stringify(r.expected)}`, `  got      ${JSON.stringify(r.got)}`);
    }
  }
  const failed = report.results.filter((r) => !r.ok).length;
  const total = report.results.length;
  out.push(total === 0 ? `${report.manifest.name}: no examples in shimmy-plugin.json` : `${report.manifest.name}: ${total - failed} of ${total} examples passed`);
  return out.join("\n") + "\n";
}
