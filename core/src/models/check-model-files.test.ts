import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StartupError } from "../startup-error.js";
import { checkModelFiles } from "./check-model-files.js";
import { writeSplitModel, writeTinyModel } from "./fake-homes.fixture.js";

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-check-models-"));
});
afterEach(() => fs.rm(tmp, { recursive: true, force: true }));

const check = (files: string[]) => checkModelFiles({ files, cwd: tmp, env: { HOME: tmp } });

describe("checkModelFiles", () => {
  it("accepts model files, relative to cwd, and no files at all", async () => {
    await writeTinyModel(path.join(tmp, "good.gguf"));
    await expect(check(["good.gguf"])).resolves.toBeUndefined();
    await expect(check([])).resolves.toBeUndefined();
  });

  it("accepts the first part of a split model whose parts lie beside it, as llama.cpp does", async () => {
    const [first] = await writeSplitModel(path.join(tmp, "big"), 3);
    await expect(check([first!])).resolves.toBeUndefined();
    const [partial] = await writeSplitModel(path.join(tmp, "partial"), 3, { skip: [2] });
    await expect(check([partial!])).rejects.toThrow(/split model is missing part 2 of 3/);
  });

  it("refuses a missing file, naming it and the fix", async () => {
    const missing = path.join(tmp, "no", "such.gguf");
    await expect(check([missing])).rejects.toBeInstanceOf(StartupError);
    await expect(check([missing])).rejects.toThrow(`--model ${missing}: it does not exist; check the path, or leave --model out`);
  });

  it("refuses a file that is not a GGUF, or one llama.cpp would crash on", async () => {
    await fs.writeFile(path.join(tmp, "notes.txt"), "not a model at all, just some text");
    await expect(check(["notes.txt"])).rejects.toThrow(/^--model .*notes\.txt: not a valid GGUF file: .*; pass a valid GGUF model file$/);
    await writeTinyModel(path.join(tmp, "crash.gguf"), { metadata: { "llama.feed_forward_length": undefined } });
    await expect(check(["crash.gguf"])).rejects.toThrow(/crash\.gguf: llama\.feed_forward_length is missing or not positive; pass a valid GGUF model file$/);
  });

  it("refuses a file that is not a model to serve", async () => {
    await writeTinyModel(path.join(tmp, "vocab.gguf"), { tensors: [] });
    await expect(check([path.join(tmp, "good.gguf"), "vocab.gguf"])).rejects.toThrow(/good\.gguf: it does not exist/);
    await writeTinyModel(path.join(tmp, "good.gguf"));
    await expect(check(["good.gguf", "vocab.gguf"])).rejects.toThrow(/vocab\.gguf: it is a vocabulary only \(no tensors\), not a model to serve/);
  });
});
