// A writer process for the kill tests: stores responses through the real repository, one
// transaction each, printing "committed N" after each commit, and stops dead (blocks forever) at
// the step named by its second argument, so the test kills it exactly there.
//   node state-writer.mjs DB_FILE STEP COUNT
//   STEP: "after-commits" (between transactions), "mid-transaction" (rows written, no commit),
//         "mid-large-transaction" (enough rows that pages spill into the WAL before the commit)
import { SqliteResponseStore } from "../../core/dist/state/responses-repo.js";
import { openStateDb } from "../../core/dist/state/state-db.js";

const [file, step, countText] = process.argv.slice(2);
const count = Number(countText);
const state = openStateDb({ file });
const store = new SqliteResponseStore(state.db);
const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
const response = (id, size) => ({
  id, createdAt: 1, expiresAt: null, model: "m", status: "completed", previousResponseId: null, conversationId: null, body: { id, pad: "x".repeat(size) },
  input: [{ id: `in_${id}`, type: "message", role: "user", content: "hi" }], output: [{ id: `out_${id}`, type: "message" }],
});

for (let i = 0; i < count; i++) {
  store.save(response(`resp_${i}`, 100));
  process.stdout.write(`committed ${i + 1}\n`);
}
if (step === "after-commits") {
  process.stdout.write("paused\n");
  pause();
}
const rows = step === "mid-large-transaction" ? 4000 : 20;
const size = step === "mid-large-transaction" ? 4000 : 100;
// Saves nest as savepoints inside this transaction: none of them is committed before it.
state.db.transaction(() => {
  for (let i = 0; i < rows; i++) store.save(response(`uncommitted_${i}`, size));
  process.stdout.write("paused\n");
  pause();
})();
