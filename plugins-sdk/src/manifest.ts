/**
 * `shimmy-plugin.json`: its JSON Schema, its TypeScript types, and the one validator the SDK, the
 * core and the registry share. The schema checks shape; {@link validateManifest} adds the rules a
 * schema cannot state (real semver, unique names, templates naming declared config keys, embedded
 * schemas that compile).
 */
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type Options } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import semver from "semver";
import { compileOnFirstUse } from "./compile-on-first-use.js";
import { EMBEDDER_MAX_BATCH_DEFAULT, embedderSizeErrors, isEmbedderInput } from "./embedder-contract.js";
import { loadStandalone } from "./standalone-validator.js";

/** A JSON Schema as written in a manifest: an object (or, where allowed, a boolean). */
export type JsonSchema = { [keyword: string]: unknown } | boolean;

// The JSON lives in ../schema (outside tsc's rootDir `src`, and published as `./schema`), so it is
// loaded at run time; the path is the same from src/ and dist/.
const requireJson = createRequire(import.meta.url);

/** The manifest's JSON Schema (draft-07), as published at `@shimmy/plugin-sdk/schema`. */
export const MANIFEST_SCHEMA: Readonly<Record<string, unknown>> = requireJson("../schema/shimmy-plugin.schema.json");

/** The kinds of capability a plugin may offer. */
export type CapabilityKind = "tool" | "step" | "router" | "embedder";

/** MCP's tool hints; they describe, they never grant anything. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** A tool the model can call, in MCP's Tool shape plus the wasm `export` that runs it. */
export interface ToolCapability {
  kind: "tool";
  export: string;
  name: string;
  title?: string;
  description: string;
  inputSchema: { type: "object"; [keyword: string]: unknown };
  outputSchema?: { type: "object"; [keyword: string]: unknown };
  annotations?: ToolAnnotations;
}

/**
 * A workflow step: JSON in, JSON out like a tool, but called by a workflow's `step` (never offered
 * to a model), with its `input` and `output` checked against these schemas by the host.
 */
export interface StepCapability {
  kind: "step";
  export: string;
  name: string;
  description?: string;
  input: JsonSchema;
  output: JsonSchema;
  /** MCP's hints, as a tool's: `idempotentHint` tells whether running it again (a resumed workflow may) does harm. */
  annotations?: ToolAnnotations;
}

/** A model router (adapter in a later issue). */
export interface RouterCapability {
  kind: "router";
  export: string;
  name: string;
  description?: string;
}

/**
 * An embedding backend: its export takes `{input: string[]}` (at most `maxBatchSize` texts) and
 * returns `{data: [{embedding: number[]}], usage?}`, one vector of `dimensions` finite numbers per
 * text, in order (see {@link EmbedderInput}, {@link EmbedderOutput}).
 */
export interface EmbedderCapability {
  kind: "embedder";
  export: string;
  name: string;
  description?: string;
  /** The length of every vector: a number, or a `{config.KEY}` template naming an integer setting. */
  dimensions: number | string;
  /** The longest text, in the backend's tokens, embedded whole: a number or a `{config.KEY}` template. */
  maxInputTokens?: number | string;
  /** Most texts one call takes. @default EMBEDDER_MAX_BATCH_DEFAULT (32) */
  maxBatchSize?: number;
}


/** Any capability, discriminated by `kind`. */
export type Capability = ToolCapability | StepCapability | RouterCapability | EmbedderCapability;

/** What the plugin may reach: origins for HTTP, folders for the file host functions. */
export interface PluginPermissions {
  net?: string[];
  /** Model ids the plugin may generate with (`shimmy_chat`). */
  models?: string[];
  fs?: { read?: string[]; write?: string[] };
}

/** Resource caps, every one set once defaults are applied. */
export interface PluginLimits {
  memoryMaxPages: number;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** One sample call of a tool, a step or an embedder: exactly one of `tool`, `step` and `embedder` names it. */
export interface PluginExample {
  tool?: string;
  step?: string;
  embedder?: string;
  description?: string;
  input: unknown;
  output?: unknown;
}

/** The name {@link PluginExample} had when examples could only call tools. */
export type ToolExample = PluginExample;

/** The config schema: an object schema whose properties are the settings. */
export interface ConfigSchema {
  type: "object";
  properties?: Record<string, { [keyword: string]: unknown }>;
  [keyword: string]: unknown;
}

/** A validated manifest, with every limit set (defaults applied). */
export interface PluginManifest {
  $schema?: string;
  name: string;
  version: string;
  description: string;
  license?: string;
  author?: string | { name: string; email?: string; url?: string };
  keywords?: string[];
  shimmy: string;
  capabilities: Capability[];
  permissions?: PluginPermissions;
  limits: PluginLimits;
  config?: ConfigSchema;
  examples?: PluginExample[];
}

/** The manifest as written in `shimmy-plugin.json`: limits may be partial or absent. */
export type PluginManifestFile = Omit<PluginManifest, "limits"> & { limits?: Partial<PluginLimits> };

/** One problem, at a dotted path into the manifest (`capabilities.0.inputSchema`; "" is the root). */
export interface ManifestError {
  path: string;
  message: string;
}

/** The outcome of {@link validateManifest}. */
export type ManifestValidation = { ok: true; manifest: PluginManifest } | { ok: false; errors: ManifestError[] };

function schemaDefault(key: keyof PluginLimits): number {
  const limits = (MANIFEST_SCHEMA.properties as Record<string, { properties: Record<string, { default: number }> }>).limits!;
  return limits.properties[key]!.default;
}

/** The limits a manifest gets when it leaves them out; read from the schema's `default`s. */
export const LIMIT_DEFAULTS: Readonly<PluginLimits> = Object.freeze({
  memoryMaxPages: schemaDefault("memoryMaxPages"),
  timeoutMs: schemaDefault("timeoutMs"),
  maxResponseBytes: schemaDefault("maxResponseBytes"),
});

/** The ajv options of the manifest's validator. allowUnionTypes: a step's input may be a boolean schema (`type: ["object", "boolean"]`). */
export const MANIFEST_AJV_OPTIONS: Options = { allErrors: true, allowUnionTypes: true, strict: true };
/** Where the build writes the manifest's validator, compiled (standalone-validator.ts); the same path from src/ and dist/. */
export const MANIFEST_VALIDATOR_FILE = new URL("../dist/manifest-validator.cjs", import.meta.url);
const shapeValidator = compileOnFirstUse(
  () => loadStandalone(MANIFEST_VALIDATOR_FILE, MANIFEST_SCHEMA, MANIFEST_AJV_OPTIONS) ?? new Ajv(MANIFEST_AJV_OPTIONS).compile(MANIFEST_SCHEMA),
);

// A raw `must match pattern "^(?:…"` helps nobody; say what the pattern means instead.
const PATTERN_MESSAGES: Record<string, string> = {
  name: "must be an npm package name: lowercase, URL-safe, not starting with '.' or '_', optionally @owner/name",
  version: "must be a semver version such as 1.2.0",
  capabilityName: "must be 1 to 64 letters, digits, '_' or '-'",
  export: "must be a wasm export name: letters, digits and '_', not starting with a digit",
  origin: "must be an origin http(s)://host[:port], https://*.domain, or a {config.KEY} template, with no path or userinfo",
  folder: "must be an absolute, ~-relative or {config.KEY} folder with no '..' segments",
  propertyNames: "config property names must be identifiers (letters, digits, '_')",
  sizeOrTemplate: "must be a whole number of 1 or more, or a {config.KEY} template",
};

function dotted(pointer: string): string[] {
  return pointer === "" ? [] : pointer.slice(1).split("/").map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function toManifestError(error: ErrorObject): ManifestError {
  const parts = dotted(error.instancePath);
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? "is invalid";
  // A missing or unknown key is reported at the key itself, where the author has to look.
  if (error.keyword === "required") {
    parts.push(String(params.missingProperty));
    message = "is required";
  } else if (error.keyword === "additionalProperties") {
    parts.push(String(params.additionalProperty));
    message = "is not a known field";
  } else if (error.keyword === "enum") {
    message = `must be one of: ${(params.allowedValues as unknown[]).join(", ")}`;
  } else if (error.keyword === "anyOf" && error.schemaPath.startsWith("#/definitions/sizeOrTemplate/")) {
    message = PATTERN_MESSAGES.sizeOrTemplate!;
  } else if (error.keyword === "pattern") {
    const where = /#\/definitions\/(\w+)\//.exec(error.schemaPath)?.[1] ?? (error.schemaPath.includes("propertyNames") ? "propertyNames" : parts[0]);
    message = PATTERN_MESSAGES[where ?? ""] ?? message;
    if (typeof error.propertyName === "string") message += `: "${error.propertyName}"`;
  }
  return { path: parts.join("."), message };
}

const OPTIONS: Options = { strict: false, allErrors: true, validateFormats: false };

/**
 * One ajv per dialect, shared by many checks: a new one compiles its meta-schemas again, which
 * took ~40 ms per embedded schema (most of a registry publish). But an ajv keeps something of
 * every schema it compiles (its code scope), even once removed, so each is replaced after
 * {@link COMPILES_PER_AJV} compiles: memory stays bounded in a long-running registry.
 */
const dialects = new Map<string, { ajv: Ajv; compiles: number }>();
const COMPILES_PER_AJV = 64;

/** The ajv of the schema's own dialect ($schema picks it; draft-07 otherwise, as MCP's default). */
function ajvFor(schema: JsonSchema): Ajv {
  const declared = typeof schema === "object" ? schema.$schema : undefined;
  const dialect = typeof declared !== "string" ? "07" : declared.includes("2020-12") ? "2020-12" : declared.includes("2019-09") ? "2019-09" : "07";
  let shared = dialects.get(dialect);
  if (!shared || shared.compiles >= COMPILES_PER_AJV) {
    shared = { ajv: dialect === "2020-12" ? new Ajv2020(OPTIONS) : dialect === "2019-09" ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS), compiles: 0 };
    dialects.set(dialect, shared);
  }
  shared.compiles += 1;
  return shared.ajv;
}

/** Checks that an embedded schema is a JSON Schema ajv can use; returns its validator or errors. */
function checkEmbeddedSchema(schema: JsonSchema, path: string, errors: ManifestError[]): ((value: unknown) => boolean) | undefined {
  const ajv = ajvFor(schema);
  // A $schema URI this ajv has no meta-schema for (draft-04, a typo) would throw; the dialect is already picked.
  const bare = typeof schema === "object" ? { ...schema } : schema;
  if (typeof bare === "object") delete bare.$schema;
  if (!ajv.validateSchema(bare)) {
    // The meta-schema's anyOf reports one failure per branch; one line per path is enough.
    const seen = new Set<string>();
    for (const error of ajv.errors ?? []) {
      const inner = toManifestError(error);
      const at = [path, inner.path].filter(Boolean).join(".");
      if (!seen.has(at)) errors.push({ path: at, message: `is not a valid JSON Schema: ${inner.message}` });
      seen.add(at);
    }
    return undefined;
  }
  try {
    return ajv.compile(bare);
  } catch (cause) {
    errors.push({ path, message: `is not a usable JSON Schema: ${(cause as Error).message}` });
    return undefined;
  } finally {
    // The validator keeps working; the shared ajv forgets the schema (and its $id).
    if (typeof bare === "object") ajv.removeSchema(bare);
  }
}

/** A capability's compiled input and output schemas; undefined where absent or not compilable. */
interface SchemaChecks {
  input: ((value: unknown) => boolean) | undefined;
  output: ((value: unknown) => boolean) | undefined;
}

const TEMPLATE = /\{config\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** How messages name each kind's input and output schemas. */
const EXAMPLE_SCHEMA_NAMES = {
  tool: { input: "inputSchema", output: "outputSchema" },
  step: { input: "input schema", output: "output schema" },
  embedder: { input: "input ({\"input\": [text, …]}, at most maxBatchSize texts)", output: "output" },
} as const;

/** What an example calls: the kind whose field it sets (validateManifest made sure it sets exactly one). */
export function exampleKind(example: PluginExample): "tool" | "step" | "embedder" {
  return example.tool !== undefined ? "tool" : example.step !== undefined ? "step" : "embedder";
}

/** The rules a JSON Schema cannot state; run only on a manifest whose shape is already valid. */
function checkSemantics(manifest: PluginManifest): ManifestError[] {
  const errors: ManifestError[] = [];
  // The pattern follows semver 2.0; semver itself is the final word (it also caps length).
  if (semver.valid(manifest.version) !== manifest.version) errors.push({ path: "version", message: "is not a valid semver version" });
  if (semver.validRange(manifest.shimmy) === null) errors.push({ path: "shimmy", message: "is not a valid semver range" });

  const seen = new Map<string, number>();
  manifest.capabilities.forEach((capability, index) => {
    const key = `${capability.kind}:${capability.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ path: `capabilities.${index}.name`, message: `duplicates the ${capability.kind} name "${capability.name}" of capabilities.${first}` });
    } else seen.set(key, index);
  });

  // Validators of the tools' and steps' schemas, by "kind:name", for checking the examples.
  const validators = new Map<string, SchemaChecks>();
  manifest.capabilities.forEach((capability, index) => {
    const at = `capabilities.${index}`;
    const key = `${capability.kind}:${capability.name}`;
    let checks: SchemaChecks | undefined;
    if (capability.kind === "tool") {
      const input = checkEmbeddedSchema(capability.inputSchema, `${at}.inputSchema`, errors);
      const output = capability.outputSchema && checkEmbeddedSchema(capability.outputSchema, `${at}.outputSchema`, errors);
      checks = { input, output };
    } else if (capability.kind === "step") {
      checks = { input: checkEmbeddedSchema(capability.input, `${at}.input`, errors), output: checkEmbeddedSchema(capability.output, `${at}.output`, errors) };
    } else if (capability.kind === "embedder") {
      errors.push(...embedderSizeErrors(capability, manifest.config, at));
      const most = capability.maxBatchSize ?? EMBEDDER_MAX_BATCH_DEFAULT;
      checks = { input: (value) => isEmbedderInput(value, most), output: undefined };
    }
    if (checks && !validators.has(key)) validators.set(key, checks);
  });
  if (manifest.config) checkEmbeddedSchema(manifest.config, "config", errors);

  // Examples are run by `shimmy-plugin test`: catch one that can never pass before it is published.
  manifest.examples?.forEach((example, index) => {
    const named = [example.tool, example.step, example.embedder].filter((name) => name !== undefined);
    if (named.length !== 1) {
      errors.push({ path: `examples.${index}`, message: 'must name exactly one of "tool", "step" and "embedder"' });
      return;
    }
    const kind = exampleKind(example);
    const name = named[0]!;
    const schemas = EXAMPLE_SCHEMA_NAMES[kind];
    const check = validators.get(`${kind}:${name}`);
    if (!check) {
      errors.push({ path: `examples.${index}.${kind}`, message: `names no declared ${kind} ("${name}")` });
    } else if (check.input && !check.input(example.input)) {
      errors.push({ path: `examples.${index}.input`, message: `does not match the ${kind}'s ${schemas.input}` });
    } else if (example.output !== undefined && check.output && !check.output(example.output)) {
      errors.push({ path: `examples.${index}.output`, message: `does not match the ${kind}'s ${schemas.output}` });
    }
  });

  const declared = new Set(Object.keys(manifest.config?.properties ?? {}));
  const lists: [string, string[] | undefined][] = [
    ["permissions.net", manifest.permissions?.net],
    ["permissions.fs.read", manifest.permissions?.fs?.read],
    ["permissions.fs.write", manifest.permissions?.fs?.write],
  ];
  for (const [path, list] of lists) {
    list?.forEach((entry, index) => {
      for (const [, key] of entry.matchAll(TEMPLATE)) {
        if (!declared.has(key!)) errors.push({ path: `${path}.${index}`, message: `{config.${key}} names no property of config` });
      }
    });
  }
  return errors;
}

/**
 * Validates a parsed `shimmy-plugin.json`. On success the manifest is a copy with every limit set
 * (defaults from the schema); on failure every problem found, each at its dotted path. Shape
 * errors come first; the semantic rules run only once the shape is right, as they rely on it.
 */
export function validateManifest(value: unknown): ManifestValidation {
  const checkShape = shapeValidator();
  if (!checkShape(value)) {
    // "if" and "propertyNames" only wrap the error that says what is wrong; a size's anyOf says it once for its branches.
    const errors = (checkShape.errors ?? [])
      .filter((error) => error.keyword !== "if" && error.keyword !== "propertyNames" && !error.schemaPath.startsWith("#/definitions/sizeOrTemplate/anyOf/"))
      .map(toManifestError);
    const unique = [...new Map(errors.map((error) => [`${error.path}\u0000${error.message}`, error])).values()];
    return { ok: false, errors: unique };
  }
  const file = structuredClone(value) as PluginManifestFile;
  const manifest: PluginManifest = { ...file, limits: { ...LIMIT_DEFAULTS, ...file.limits } };
  const errors = checkSemantics(manifest);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, manifest };
}

/** The config keys marked `writeOnly: true`: secrets, kept in secrets.json and never echoed back. */
export function secretConfigKeys(manifest: Pick<PluginManifest, "config">): string[] {
  return Object.entries(manifest.config?.properties ?? {})
    .filter(([, schema]) => schema.writeOnly === true)
    .map(([key]) => key);
}

/** Whether a core of this version may load the plugin; prereleases count (0.2.0-rc.1 fits ^0.2.0-0 and >=0.1.0). */
export function supportsCoreVersion(manifest: Pick<PluginManifest, "shimmy">, coreVersion: string): boolean {
  return semver.satisfies(coreVersion, manifest.shimmy, { includePrerelease: true });
}
