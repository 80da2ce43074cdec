/** The benchmark models, random GGUFs written once into the temp folder: SmolLM2-135M-shaped for generation, BERTs for embeddings. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MINILM_L6_SHAPE, writeBertFixture, writeSmolLM2ShapedFixture } from "../test/fixtures/models.js";

/** Id of the benchmark model (its file stem). */
export const BENCH_MODEL_ID = "smollm2-135m-shaped";

/** The path of the benchmark model, written on first use. */
export function benchFixture(): Promise<string> {
  return writtenOnce(BENCH_MODEL_ID, writeSmolLM2ShapedFixture);
}

/**
 * The path of an embedding model, written on first use (its id is `name`, the file stem): `minilm`
 * is shaped like all-MiniLM-L6-v2 (384-d, 6 blocks); any other name is the suite's small BERT.
 */
export function bertBenchFixture(name: string): Promise<string> {
  return writtenOnce(name, (file) => writeBertFixture(file, name === "minilm" ? { shape: MINILM_L6_SHAPE } : {}));
}

/** `shimmy-bench/NAME.gguf` in the temp folder, written by `write` (to a temporary name, then renamed) when missing. */
async function writtenOnce(name: string, write: (file: string) => Promise<unknown>): Promise<string> {
  const dir = path.join(os.tmpdir(), "shimmy-bench");
  const file = path.join(dir, `${name}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    console.error(`writing ${file}...`);
    await write(`${file}.tmp`);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}
