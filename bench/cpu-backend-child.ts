/**
 * Loads a model with node-llama-cpp as the benchmark does (CPU, prebuilt binary) and prints, as one
 * JSON line, the CPU library and weight buffers llama.cpp logged (cpu-backend.ts).
 *   npx tsx bench/cpu-backend-child.ts MODEL.gguf THREADS
 */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { CpuBackendLog } from "./cpu-backend.js";

const [modelPath, threads] = process.argv.slice(2);
const log = new CpuBackendLog();
// The backend line is logged at `log` level and the buffer lines at `info`: ask for everything.
const llama = await getLlama({ build: "never", gpu: false, maxThreads: Number(threads), logLevel: LlamaLogLevel.debug, logger: (_level, message) => log.line(message) });
const model = await llama.loadModel({ modelPath: modelPath! });
const context = await model.createContext({ contextSize: 256, threads: Number(threads) });
await context.dispose();
await model.dispose();
await llama.dispose();
process.stdout.write(JSON.stringify(log.backend) + "\n");
