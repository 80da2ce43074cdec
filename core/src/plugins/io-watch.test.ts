import { execFileSync } from "node:child_process";
import { constants, promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { IoWatch, STUCK_IO_MS } from "./io-watch.js";

describe("IoWatch", () => {
  it("reports an operation in flight past the threshold, until it settles, even when nobody waits for it", async () => {
    let now = 1_000_000;
    const watch = new IoWatch(() => now);
    const folder = await fsp.mkdtemp(path.join(tmpdir(), "shimmy-io-watch-"));
    const fifo = path.join(folder, "fifo");
    execFileSync("mkfifo", [fifo]);
    try {
      // A blocking open of a FIFO with no writer: what a stuck pool thread looks like.
      const stuck = watch.watch(`shimmy_fs_read ${fifo}`, fsp.open(fifo, constants.O_RDONLY));
      const quick = watch.watch("shimmy_fs_list /x", Promise.reject(new Error("refused")));
      await quick.catch(() => {});
      expect(watch.stuck()).toEqual([]);
      now += STUCK_IO_MS;
      expect(watch.stuck()).toEqual([`plugin file I/O stuck for 10 s (shimmy_fs_read ${fifo}): the thread pool it shares with inference may be blocked`]);
      const writer = await fsp.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      await (await stuck).close();
      await writer.close();
      expect(watch.stuck()).toEqual([]);
    } finally {
      await fsp.rm(folder, { recursive: true, force: true });
    }
  });
});
