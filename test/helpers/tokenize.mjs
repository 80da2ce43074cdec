// Tokenizes texts with node-llama-cpp in a child process, independently of the server, so tests can
// send token ids. Usage: node tokenize.mjs MODEL.gguf JSON_ARRAY_OF_TEXTS
// Prints a JSON array: for each text, its token ids as plain text (special-token markup not parsed),
// with no BOS/EOS or [CLS]/[SEP] added.
import { getLlama } from "node-llama-cpp";

const [modelPath, textsJson] = process.argv.slice(2);
const llama = await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const ids = JSON.parse(textsJson).map((text) => model.tokenize(text, false));
process.stdout.write(JSON.stringify(ids) + "\n");
await model.dispose();
await llama.dispose();
