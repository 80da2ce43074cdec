/**
 * Run as a child process: loads a model and creates a small context, then exits 0. A file whose
 * tensors make llama.cpp assert kills this process, not the server. Usage:
 *   node probe-load.js MODEL.gguf GPU   (GPU: auto, cuda, vulkan, metal or off)
 */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [modelPath, gpu = "off"] = process.argv.slice(2);
try {
  const llama = await getLlama({
    build: "never",
    gpu: gpu === "off" ? false : (gpu as "auto"),
    maxThreads: 1,
    logLevel: LlamaLogLevel.error,
  });
  const model = await llama.loadModel({ modelPath: modelPath! });
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  process.stdout.write(JSON.stringify({ ok: true }) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, reason: (err as Error).message }) + "\n");
  process.exitCode = 1;
}
