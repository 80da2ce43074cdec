// Samples answers with node-llama-cpp's low-level sequence API in a child process, independently of
// the server's chat and completion code, so tests can check `usage.completion_tokens` against what
// llama.cpp really sampled. Usage: node sample-tokens.mjs MODEL.gguf JSON_ARRAY_OF_JOBS
// A job is {chat?: string, prompt?: string, seed, maxTokens, temperature?}: `chat` is one user
// message rendered with the model's own chat template, `prompt` raw text. Prints a JSON array: for
// each job, {promptTokens, tokens, eog}: the prompt's length, the tokens sampled before the end
// token or the limit, and whether the end token ended it.
import { getLlama, resolveChatWrapper, GeneralChatWrapper, SpecialToken, LlamaText } from "node-llama-cpp";

const [modelPath, jobsJson] = process.argv.slice(2);
const llama = await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 1024, sequences: 1, threads: 1 });
const sequence = context.getSequence();
const wrapper = resolveChatWrapper(model) ?? new GeneralChatWrapper();
const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;

function promptTokens(job) {
  if (job.prompt !== undefined) {
    const input = model.tokenize(job.prompt, true);
    return bos != null ? [bos, ...input] : input;
  }
  const { contextText } = wrapper.generateContextState({ chatHistory: [{ type: "user", text: job.chat }, { type: "model", response: [] }] });
  // A model whose GGUF says not to add BOS never sees one, whatever the wrapper writes.
  const [first, ...rest] = contextText.values;
  const text = bos == null && first instanceof SpecialToken && first.value === "BOS" ? LlamaText(rest) : contextText;
  return text.tokenize(model.tokenizer);
}

const results = [];
for (const job of JSON.parse(jobsJson)) {
  await sequence.clearHistory();
  const prompt = promptTokens(job);
  const tokens = [];
  let eog = false;
  const sampling = { temperature: job.temperature ?? 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: job.seed, yieldEogToken: true };
  for await (const token of sequence.evaluate(prompt, sampling)) {
    if (model.isEogToken(token)) {
      eog = true;
      break;
    }
    tokens.push(token);
    if (tokens.length >= job.maxTokens) break;
  }
  results.push({ promptTokens: prompt.length, tokens, eog });
}
process.stdout.write(JSON.stringify(results) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
