import { describe, expect, it } from "vitest";
import { RescanLoop } from "./rescan-loop.js";

/** A run that waits until released, counting runs and the most that ever ran at once. */
function gatedRun() {
  const state = { runs: 0, running: 0, most: 0, release: () => {} };
  const run = async () => {
    state.runs++;
    state.running++;
    state.most = Math.max(state.most, state.running);
    await new Promise<void>((resolve) => (state.release = resolve));
    state.running--;
  };
  return { state, run };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("RescanLoop", () => {
  it("never runs two rescans at once, and folds the requests made during one into one more run", async () => {
    const { state, run } = gatedRun();
    const loop = new RescanLoop({ run, onError: () => {} });
    const first = loop.request();
    const during = [loop.request(), loop.request(), loop.request()];
    await tick();
    state.release();
    await tick();
    expect(state.runs).toBe(2);
    state.release();
    await Promise.all([first, ...during]);
    expect(state.runs).toBe(2);
    expect(state.most).toBe(1);
  });

  it("debounces schedule(): a burst of changes is one rescan after debounceMs of quiet", async () => {
    let runs = 0;
    const loop = new RescanLoop({ run: async () => void runs++, onError: () => {}, debounceMs: 30 });
    for (let i = 0; i < 5; i++) loop.schedule();
    await tick();
    expect(runs).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toBe(1);
  });

  it("sends a scheduled rescan's failure to onError, and a requested one's to its caller", async () => {
    const errors: unknown[] = [];
    const loop = new RescanLoop({ run: async () => Promise.reject(new Error("unreadable")), onError: (error) => errors.push(error) });
    loop.schedule();
    await tick();
    expect(errors).toMatchObject([{ message: "unreadable" }]);
    await expect(loop.request()).rejects.toThrow("unreadable");
    expect(errors).toHaveLength(1);
  });

  it("after dispose, waits for the rescan in progress and runs nothing more", async () => {
    const { state, run } = gatedRun();
    const loop = new RescanLoop({ run, onError: () => {}, debounceMs: 10 });
    void loop.request();
    void loop.request(); // asks for a second run, which dispose cancels
    const disposed = loop.dispose();
    state.release();
    await disposed;
    loop.schedule();
    await loop.request();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(state.runs).toBe(1);
  });
});
