import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED_DOCS } from "../scripts/docs.js";

const root = path.resolve(import.meta.dirname, "..");

describe("generated reference pages", () => {
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    it(`${file} is current (run npm run docs)`, () => {
      expect(fs.readFileSync(path.join(root, file), "utf8")).toBe(render());
    });
  }
});
