/**
 * Runs {@link runDirect} in its own process (so its libuv pool size and scheduling can be set from
 * outside) and prints the summaries as one JSON line: `[[concurrency, summary], ...]`.
 *   npx tsx bench/direct-child.ts '{"modelPath": ..., "threads": 2, ...}' '[1,4]'
 */
import { runDirect, type DirectOptions } from "./direct.js";

const [optionsJson, levelsJson] = process.argv.slice(2);
const results = await runDirect(JSON.parse(optionsJson!) as Omit<DirectOptions, "concurrency">, JSON.parse(levelsJson!) as number[]);
process.stdout.write(JSON.stringify([...results]) + "\n");
