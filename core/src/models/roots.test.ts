import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { packagedDemoDir } from "./demo-root.js";
import { modelRoots } from "./roots.js";

const rows = (roots: ReturnType<typeof modelRoots>) => roots.map((r) => `${r.source} ${r.layout} ${r.path}`);

describe("modelRoots", () => {
  it("lists the roots in scan order, with defaults under HOME", () => {
    const roots = modelRoots({ env: { HOME: "/h" }, cwd: "/w", modelFiles: ["m.gguf"], modelsDirs: ["d1", "/d2"], discovery: true });
    expect(rows(roots)).toEqual([
      "path file /w/m.gguf",
      "models-dir files /w/d1",
      "models-dir files /d2",
      "local files /w/models",
      "shimmy files /h/.shimmy/models",
      "huggingface huggingface /h/.cache/huggingface/hub",
      "ollama ollama /h/.ollama/models",
      "lmstudio lmstudio /h/.lmstudio/models",
      "lmstudio lmstudio /h/.cache/lm-studio/models",
      "llama.cpp llama.cpp /h/.cache/llama.cpp",
    ]);
    expect(roots[0]!.explicit).toBe(true);
    expect(roots[3]!.explicit).toBeUndefined();
  });

  it("takes every root from its variable, and splits SHIMMY_MODEL_PATHS on the path separator", () => {
    const env = {
      HOME: "/h", SHIMMY_HOME: "/s", SHIMMY_MODEL_PATHS: "/p/a.gguf::rel", HF_HUB_CACHE: "/hf", HF_HOME: "/ignored",
      OLLAMA_MODELS: "/ol", LLAMA_CACHE: "/lc",
    };
    expect(rows(modelRoots({ env, cwd: "/w", delimiter: ":" })).filter((r) => !r.includes("lmstudio"))).toEqual([
      "path files /p/a.gguf", "path files /w/rel", "local files /w/models", "shimmy files /s/models",
      "huggingface huggingface /hf", "ollama ollama /ol", "llama.cpp llama.cpp /lc",
    ]);
  });

  it("falls back through HF_HOME and XDG_CACHE_HOME as huggingface_hub and llama.cpp do", () => {
    expect(rows(modelRoots({ env: { HOME: "/h", HF_HOME: "/hfh" }, cwd: "/w" }))).toContain("huggingface huggingface /hfh/hub");
    const xdg = rows(modelRoots({ env: { HOME: "/h", XDG_CACHE_HOME: "/x" }, cwd: "/w" }));
    expect(xdg).toContain("huggingface huggingface /x/huggingface/hub");
    expect(xdg).toContain("llama.cpp llama.cpp /x/llama.cpp");
  });

  it("lists only the --model files with discovery off, and skips home roots without a home", () => {
    expect(rows(modelRoots({ env: { HOME: "/h" }, cwd: "/w", modelFiles: ["/m.gguf"], discovery: false }))).toEqual(["path file /m.gguf"]);
    expect(rows(modelRoots({ env: {}, cwd: "/w" }))).toEqual(["local files /w/models"]);
  });

  it("keeps a folder named twice at its first place", () => {
    expect(rows(modelRoots({ env: {}, cwd: "/w", modelsDirs: ["/w/models", "models"] }))).toEqual(["models-dir files /w/models"]);
  });

  it("scans models/ in SHIMMY_HOME resolved against cwd, else in ~/.shimmy", () => {
    expect(rows(modelRoots({ env: { SHIMMY_HOME: "rel" }, cwd: "/w" }))).toContain("shimmy files /w/rel/models");
    expect(rows(modelRoots({ env: { HOME: "/h" }, cwd: "/w" }))).toContain("shimmy files /h/.shimmy/models");
  });

  it("lists an installed package's demo model last, and never with discovery off", () => {
    expect(rows(modelRoots({ env: {}, cwd: "/w", demoDir: "/pkg/models" }))).toEqual(["local files /w/models", "demo files /pkg/models"]);
    expect(rows(modelRoots({ env: {}, cwd: "/w", modelFiles: ["/m.gguf"], demoDir: "/pkg/models", discovery: false }))).toEqual(["path file /m.gguf"]);
  });
});

describe("packagedDemoDir", () => {
  it("is the package's models/ when installed, and null in a source checkout or without the folder", () => {
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-demo-root-"));
    try {
      expect(packagedDemoDir(pkg)).toBeNull();
      fs.mkdirSync(path.join(pkg, "models"));
      expect(packagedDemoDir(pkg)).toBe(path.join(pkg, "models"));
      fs.mkdirSync(path.join(pkg, "src"));
      expect(packagedDemoDir(pkg)).toBeNull();
    } finally {
      fs.rmSync(pkg, { recursive: true, force: true });
    }
    // This checkout: the core runs from its sources, so no demo root whatever core/models holds.
    expect(packagedDemoDir()).toBeNull();
  });
});
