import { runDirect } from "./direct.js";
const modelPath = "/tmp/shimmy-bench/smollm2-135m-shaped.gguf";
const threads = Number(process.env.T ?? 2);
const r = await runDirect({ modelPath, threads, slots: 4, contextSize: 2048, requestsPerWorker: 2, maxTokens: 128, prompt: "Write a long story about a robot who learns to paint." }, [1, 4]);
for (const [lvl, s] of r) console.log(`${process.env.LABEL} threads ${threads} streams ${lvl}: ${s.tokensPerSecond.toFixed(1)} tok/s ttft ${s.ttftP50.toFixed(1)}`);
