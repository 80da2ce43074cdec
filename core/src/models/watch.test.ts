import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { writeTinyModel } from "./fake-homes.fixture.js";
import { watchModelRoots, type ModelRootsWatcher } from "./watch.js";

let tmp: string;
let tinyGguf: string;
let stop: ModelRootsWatcher | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-watch-"));
  tinyGguf = path.join(tmp, "tiny.gguf");
  await writeTinyModel(tinyGguf);
});
afterEach(() => stop?.());
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("watchModelRoots", () => {
  it("reports a burst of changes once, in new subfolders too, and nothing after it is stopped", async () => {
    const root = path.join(tmp, "models");
    await fs.mkdir(path.join(root, "sub"), { recursive: true });
    const onChange = vi.fn();
    stop = watchModelRoots([root, path.join(tmp, "does-not-exist")], onChange, { debounceMs: 50 });
    await stop.ready;

    await fs.writeFile(path.join(root, "sub", "a.gguf"), "x");
    await fs.writeFile(path.join(root, "sub", "b.gguf"), "x");
    await fs.rm(path.join(root, "sub", "a.gguf"));
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1), { timeout: 3000 });
    await sleep(150);
    expect(onChange).toHaveBeenCalledTimes(1);

    // A folder created after the start is watched once the change that created it is handled.
    await fs.mkdir(path.join(root, "org", "repo"), { recursive: true });
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(2), { timeout: 3000 });
    await fs.writeFile(path.join(root, "org", "repo", "c.gguf"), "x");
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(3), { timeout: 3000 });

    stop();
    await fs.writeFile(path.join(root, "d.gguf"), "x");
    await sleep(200);
    expect(onChange).toHaveBeenCalledTimes(3);
  });

  it("does not watch blobs folders, where downloads are written before they are complete", async () => {
    const root = path.join(tmp, "hub");
    await fs.mkdir(path.join(root, "models--o--n", "blobs"), { recursive: true });
    const onChange = vi.fn();
    stop = watchModelRoots([root], onChange, { debounceMs: 50 });
    await stop.ready;
    await fs.writeFile(path.join(root, "models--o--n", "blobs", "abc.incomplete"), "x");
    await sleep(250);
    expect(onChange).not.toHaveBeenCalled();
  });

  it("waits for a root that does not exist yet from its nearest parent, two levels up", async () => {
    const parent = path.join(tmp, "later");
    await fs.mkdir(parent);
    const root = path.join(parent, ".shimmy", "models");
    const onChange = vi.fn();
    stop = watchModelRoots([root], onChange, { debounceMs: 50 });
    await stop.ready;

    // Other entries of the parent (what happens in ~ all day) start no rescan.
    await fs.writeFile(path.join(parent, ".bash_history"), "ls");
    await fs.mkdir(path.join(parent, ".shimmyx"));
    await sleep(250);
    expect(onChange).not.toHaveBeenCalled();

    await fs.mkdir(root, { recursive: true });
    await vi.waitFor(() => expect(onChange).toHaveBeenCalled(), { timeout: 3000 });
    const calls = onChange.mock.calls.length;
    await fs.copyFile(tinyGguf, path.join(root, "pulled.gguf"));
    await vi.waitFor(() => expect(onChange.mock.calls.length).toBeGreaterThan(calls), { timeout: 3000 });

    // Once the root is there it is watched as any other, subfolders included.
    const more = onChange.mock.calls.length;
    await fs.mkdir(path.join(root, "org"));
    await vi.waitFor(() => expect(onChange.mock.calls.length).toBeGreaterThan(more), { timeout: 3000 });
  });

  it("waits again from the parent for a root that is removed", async () => {
    const root = path.join(tmp, "removed", "models");
    await fs.mkdir(root, { recursive: true });
    const onChange = vi.fn();
    stop = watchModelRoots([root], onChange, { debounceMs: 50 });
    await stop.ready;
    await fs.rm(root, { recursive: true });
    await vi.waitFor(() => expect(onChange).toHaveBeenCalled(), { timeout: 3000 });
    const calls = onChange.mock.calls.length;
    await fs.mkdir(root);
    await vi.waitFor(() => expect(onChange.mock.calls.length).toBeGreaterThan(calls), { timeout: 3000 });
  });

  it("watches a folder that links to its parent without following the loop", async () => {
    const root = path.join(tmp, "looped");
    await fs.mkdir(root);
    await fs.symlink("..", path.join(root, "up"));
    await fs.symlink(".", path.join(root, "here"));
    const onChange = vi.fn();
    stop = watchModelRoots([root], onChange, { debounceMs: 50 });
    await stop.ready;
    await fs.copyFile(tinyGguf, path.join(root, "a.gguf"));
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1), { timeout: 3000 });
  });

  it("watches a root that is a file", async () => {
    const file = path.join(tmp, "one.gguf");
    await fs.writeFile(file, "x");
    const onChange = vi.fn();
    stop = watchModelRoots([file], onChange, { debounceMs: 50 });
    await stop.ready;
    await fs.appendFile(file, "y");
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1), { timeout: 3000 });
  });
});
