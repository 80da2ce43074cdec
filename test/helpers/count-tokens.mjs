// Counts tokens with node-llama-cpp in a child process, independently of the server, so tests can
// check `usage`. Usage: node count-tokens.mjs MODEL.gguf JSON_ARRAY_OF_TEXTS
// Prints a JSON array: for each text, the token count with special tokens parsed, plus the BOS
// token when the model prepends one.
import { getLlama } from "node-llama-cpp";

const [modelPath, textsJson] = process.argv.slice(2);
const llama = await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const bos = model.tokens.shouldPrependBosToken && model.tokens.bos != null ? 1 : 0;
const counts = JSON.parse(textsJson).map((text) => model.tokenize(text, true).length + bos);
process.stdout.write(JSON.stringify(counts) + "\n");
await model.dispose();
await llama.dispose();
