import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { MANIFEST_AJV_OPTIONS, MANIFEST_SCHEMA, MANIFEST_VALIDATOR_FILE } from "./manifest.js";
import { loadStandalone, standaloneSource } from "./standalone-validator.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-standalone-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SCHEMA = { type: "object", required: ["name"], additionalProperties: false, properties: { name: { type: "string", pattern: "^[a-z]+$" }, size: { type: "integer", minimum: 1 } } };
const OPTIONS = { allErrors: true, strict: true };

function written(name: string, schema: Record<string, unknown>, options: typeof OPTIONS): URL {
  const file = path.join(dir, name);
  fs.writeFileSync(file, standaloneSource(schema, options));
  return pathToFileURL(file);
}

describe("validators compiled at build time", () => {
  it("validate as ajv's compiled validator does, errors included", () => {
    const validate = loadStandalone(written("small.cjs", SCHEMA, OPTIONS), SCHEMA, OPTIONS);
    expect(validate).not.toBeNull();
    const compiled = new Ajv(OPTIONS).compile(SCHEMA);
    for (const value of [{ name: "ok" }, { name: "Not Ok", size: 0, extra: 1 }, {}, [], "x"]) {
      expect(validate!(value)).toBe(compiled(value));
      expect(validate!.errors ?? null).toEqual(compiled.errors ?? null);
    }
  });

  it("are used only for the very schema, options and ajv they were compiled from", () => {
    const file = written("stale.cjs", SCHEMA, OPTIONS);
    expect(loadStandalone(file, { ...SCHEMA, required: ["size"] }, OPTIONS)).toBeNull();
    expect(loadStandalone(file, SCHEMA, { ...OPTIONS, allErrors: false })).toBeNull();
    const other = written("other-key.cjs", SCHEMA, OPTIONS);
    fs.writeFileSync(other, fs.readFileSync(other, "utf8").replace(/key = "[0-9a-f]{64}"/, `key = "${"0".repeat(64)}"`));
    expect(loadStandalone(other, SCHEMA, OPTIONS)).toBeNull();
    expect(loadStandalone(pathToFileURL(path.join(dir, "none.cjs")), SCHEMA, OPTIONS)).toBeNull();
  });

  it("include the manifest's, as the build writes it (npm test builds first), with the runtime's errors", () => {
    const validate = loadStandalone(MANIFEST_VALIDATOR_FILE, MANIFEST_SCHEMA, MANIFEST_AJV_OPTIONS);
    expect(validate, "run npm run build --workspace plugins-sdk").not.toBeNull();
    const compiled = new Ajv(MANIFEST_AJV_OPTIONS).compile(MANIFEST_SCHEMA);
    const example = (MANIFEST_SCHEMA.examples as Record<string, unknown>[])[0]!;
    for (const value of [example, { ...example, name: "Bad Name", limits: { memoryMaxPages: 0 } }, { ...example, capabilities: [{ kind: "tool" }] }]) {
      expect(validate!(value)).toBe(compiled(value));
      expect(validate!.errors ?? null).toEqual(compiled.errors ?? null);
    }
  });
});
