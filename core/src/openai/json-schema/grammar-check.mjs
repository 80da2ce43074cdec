/**
 * Test helper, run as a child process (never inside vitest: llama.cpp's native code can abort the
 * whole process). Reads JSON cases on stdin:
 *   [{"name": "...", "schema": {...}, "accept": ["json text", ...], "reject": ["json text", ...]}]
 * hands each schema to node-llama-cpp's `llama.createGrammarForJsonSchema` (no model needed), and
 * checks the sample texts against the grammar llama.cpp parsed. Prints one JSON line:
 *   [{"name", "ok": true, "wrong": ["accept: ..."]} | {"name", "ok": false, "error": "..."}]
 */
const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const llama = await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
// Every JSON-schema grammar ends with four newlines (node-llama-cpp's stop trigger), so a whole
// answer is the JSON text followed by them.
const END = "\n\n\n\n";
const results = [];
for (const { name, schema, accept = [], reject = [] } of cases) {
  try {
    const grammar = await llama.createGrammarForJsonSchema(schema);
    // `_testText` is internal to node-llama-cpp; without it only the grammar's creation is checked.
    const test = typeof grammar._testText === "function" ? (text) => grammar._testText(text + END) : null;
    const wrong = [];
    if (test) {
      for (const text of accept) if (!test(text)) wrong.push(`accept: ${text}`);
      for (const text of reject) if (test(text)) wrong.push(`reject: ${text}`);
    }
    results.push({ name, ok: true, tested: test !== null, wrong });
  } catch (error) {
    results.push({ name, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}
await llama.dispose();
process.stdout.write(JSON.stringify(results) + "\n");
