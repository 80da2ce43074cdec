import { describe, expect, it } from "vitest";
import type { HubTreeEntry } from "./hub-api.js";
import { pickGguf } from "./pick-file.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");
const file = (path: string, size = 10, n = path.length): HubTreeEntry => ({ type: "file", path, size, lfs: { oid: sha(n), size } });

const TREE: HubTreeEntry[] = [
  { type: "file", path: "README.md", size: 5 },
  file("model-Q8_0.gguf", 80, 1),
  file("model-q4_k_m.gguf", 40, 2),
  file("model-Q4_0.gguf", 30, 3),
  file("mmproj-model-f16.gguf", 90, 4),
  { type: "directory", path: "Q6_K", size: 0 },
  file("Q6_K/model-Q6_K-00002-of-00002.gguf", 25, 5),
  file("Q6_K/model-Q6_K-00001-of-00002.gguf", 35, 6),
];

describe("pickGguf", () => {
  it("takes Q4_K_M when no quantization is named", () => {
    expect(pickGguf(TREE, null, "o/r")).toMatchObject({ quant: "Q4_K_M", files: [{ path: "model-q4_k_m.gguf", size: 40, sha256: sha(2) }], totalBytes: 40 });
  });

  it("falls back to Q4_0, then Q8_0, then the first model", () => {
    const noQ4KM = TREE.filter((e) => !e.path.includes("q4_k_m"));
    expect(pickGguf(noQ4KM, null, "o/r").quant).toBe("Q4_0");
    expect(pickGguf(noQ4KM.filter((e) => !e.path.includes("Q4_0")), null, "o/r").quant).toBe("Q8_0");
    expect(pickGguf([file("a-IQ2_XS.gguf"), file("b-Q6_K.gguf")], null, "o/r")).toMatchObject({ quant: "IQ2_XS", files: [{ path: "a-IQ2_XS.gguf" }] });
  });

  it("matches the quantization in any case and takes every part of a split model in order", () => {
    const picked = pickGguf(TREE, "q6_k", "o/r");
    expect(picked.files.map((f) => f.path)).toEqual(["Q6_K/model-Q6_K-00001-of-00002.gguf", "Q6_K/model-Q6_K-00002-of-00002.gguf"]);
    expect(picked).toMatchObject({ quant: "Q6_K", totalBytes: 60 });
  });

  it("never takes a vision projector, nor a split model with a part missing", () => {
    expect(() => pickGguf([file("mmproj-F16.gguf")], null, "o/r")).toThrow(expect.objectContaining({ code: "no_gguf" }));
    expect(() => pickGguf([file("m-Q4_0-00001-of-00003.gguf")], null, "o/r")).toThrow(expect.objectContaining({ code: "no_gguf" }));
  });

  it("lists the quantizations the repository has when the one asked for is missing", () => {
    expect(() => pickGguf(TREE, "Q2_K", "o/r")).toThrow(/o\/r has no Q2_K file: it has Q4_0, Q4_K_M, Q6_K, Q8_0/);
  });

  it("refuses a file the hub publishes no sha256 for", () => {
    expect(() => pickGguf([{ type: "file", path: "m-Q4_0.gguf", size: 3 }], null, "o/r")).toThrow(expect.objectContaining({ code: "download_failed" }));
  });
});
