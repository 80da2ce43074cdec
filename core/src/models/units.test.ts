import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gguf } from "../../../test/fixtures/gguf-writer.js";
import { discoverModels } from "./discovery.js";
import { addToHuggingFaceCache, writeTinyModel } from "./fake-homes.fixture.js";
import type { ModelHeader } from "./header.js";
import { huggingFaceCandidates } from "./sources/huggingface.js";
import { assignUniqueIds, groupUnits, unitInvalidReason, type PartInfo } from "./units.js";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-units-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const header = (split: Partial<ModelHeader["split"]>, tensorCount = 2): ModelHeader => ({
  invalidReason: null, notAModel: null, architecture: "llama", tensorCount, parameterCount: 10, quantization: null,
  trainedContextLength: null, hasChatTemplate: false, embeddingOnly: false, split: { no: null, count: null, tensorsCount: null, ...split },
});
const part = (file: string, h: ModelHeader): PartInfo => ({ file, realPath: file, size: 1, mtimeMs: 1, header: h });

describe("assignUniqueIds", () => {
  it("suffixes repeats in order, skipping suffixes that are real ids", () => {
    expect(assignUniqueIds(["a", "a", "a-2", "b", "a", "b"])).toEqual(["a", "a-3", "a-2", "b", "a-4", "b-2"]);
  });
});

describe("groupUnits and unitInvalidReason", () => {
  const c = (file: string) => ({ source: "local" as const, file, id: "x" });

  it("folds split parts into the place of the first part found", () => {
    const units = groupUnits([c("/m/a.gguf"), c("/m/s-00002-of-00002.gguf"), c("/m/b.gguf"), c("/m/s-00001-of-00002.gguf")]);
    expect(units.map((u) => [path.basename(u.parts[0]!), u.parts.length, u.missing])).toEqual([
      ["a.gguf", 1, []], ["s-00001-of-00002.gguf", 2, []], ["b.gguf", 1, []],
    ]);
  });

  it("checks split.count, split.no and split.tensors.count as llama.cpp does", () => {
    const [unit] = groupUnits([c("/m/s-00001-of-00002.gguf"), c("/m/s-00002-of-00002.gguf")]);
    const ok = [part("1", header({ no: 0, count: 2, tensorsCount: 4 })), part("2", header({ no: 1, count: 2 }))];
    expect(unitInvalidReason(unit!, ok)).toBeNull();
    expect(unitInvalidReason(unit!, [part("1", header({ no: 0, count: 3 })), ok[1]!])).toMatch(/split.count is 3 in part 1, but the file names say 2 parts/);
    expect(unitInvalidReason(unit!, [ok[0]!, part("2", header({ no: 0 }))])).toMatch(/part 2 of 2 has split.no 0, expected 1/);
    expect(unitInvalidReason(unit!, [part("1", header({ no: 0, count: 2, tensorsCount: 9 })), ok[1]!])).toMatch(/split.tensors.count is 9, but the parts hold 4/);
    const bad = header({ no: 1, count: 2 });
    bad.invalidReason = "truncated: x";
    expect(unitInvalidReason(unit!, [ok[0]!, part("2", bad)])).toBe("part 2 of 2: truncated: x");
  });

  it("refuses a single file whose header says it is one of several parts", () => {
    const [unit] = groupUnits([c("/m/renamed.gguf")]);
    expect(unitInvalidReason(unit!, [part("1", header({ no: 0, count: 3 }))])).toMatch(/one of 3 parts, but its name does not end in -00001-of-00003.gguf/);
  });
});

describe("Hugging Face snapshots", () => {
  it("without refs/main takes the newest snapshot first, and tags an unnamed quantization from the header", async () => {
    const hub = path.join(tmp, "hub");
    const q8 = path.join(tmp, "q8.gguf");
    await writeTinyModel(q8, { metadata: { "general.file_type": gguf.u32(7) } });
    const old = await addToHuggingFaceCache(hub, "o/r", "model.gguf", q8, "1".repeat(40), false);
    const fresh = await addToHuggingFaceCache(hub, "o/r", "model.gguf", q8, "2".repeat(40), false);
    const past = new Date(Date.now() - 60_000);
    await fs.utimes(path.dirname(old), past, past);
    const candidates = await huggingFaceCandidates(hub, "huggingface", () => {});
    expect(candidates).toEqual([{ source: "huggingface", file: fresh, id: "o/r", tagFromHeader: true }]);
    const { models } = await discoverModels({ env: { HF_HUB_CACHE: hub }, cwd: tmp, modelFiles: [], modelsDirs: [], discovery: true });
    expect(models.map((m) => m.id)).toEqual(["o/r:Q8_0"]);
  });
});
