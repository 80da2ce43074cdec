/** The benchmark model: a random GGUF shaped like SmolLM2-135M (Q8_0), written once into the temp folder. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeSmolLM2ShapedFixture } from "../test/fixtures/models.js";

/** Id of the benchmark model (its file stem). */
export const BENCH_MODEL_ID = "smollm2-135m-shaped";

/** The path of the benchmark model, written on first use. */
export async function benchFixture(): Promise<string> {
  const dir = path.join(os.tmpdir(), "shimmy-bench");
  const file = path.join(dir, `${BENCH_MODEL_ID}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    console.error(`writing ${file}...`);
    await writeSmolLM2ShapedFixture(`${file}.tmp`);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}
