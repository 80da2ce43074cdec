import { execFileSync } from "node:child_process";
import { constants, promises as fsp } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPath, listFolder, readCapped, resolveFolderGrants, writeCapped, type FsGrants } from "./fs-grants.js";
import { failure } from "./failure.fixture.js";

let root: string; // real path of a fresh temp folder
let grants: FsGrants;
let socketServer: net.Server;

beforeAll(async () => {
  root = await fsp.realpath(await fsp.mkdtemp(path.join(tmpdir(), "shimmy-fs-")));
  // root/x (read), root/xy (the prefix trick), root/out (never granted), root/w (read+write)
  for (const d of ["x/sub", "xy", "out", "w", "home/docs"]) await fsp.mkdir(path.join(root, d), { recursive: true });
  await fsp.writeFile(path.join(root, "x/a.txt"), "0123456789");
  await fsp.writeFile(path.join(root, "x/sub/b.txt"), "bb");
  await fsp.writeFile(path.join(root, "xy/secret.txt"), "secret");
  await fsp.writeFile(path.join(root, "out/secret.txt"), "secret");
  await fsp.symlink(path.join(root, "out/secret.txt"), path.join(root, "x/link-out"));
  await fsp.symlink(path.join(root, "out"), path.join(root, "x/dir-out"));
  await fsp.symlink(path.join(root, "x/a.txt"), path.join(root, "x/link-in"));
  await fsp.symlink(path.join(root, "out/new.txt"), path.join(root, "w/dangling"));
  // Special files in granted folders: a FIFO with no writer, and a Unix socket.
  execFileSync("mkfifo", [path.join(root, "x/fifo"), path.join(root, "w/fifo")]);
  socketServer = net.createServer();
  await new Promise<void>((resolve) => socketServer.listen(path.join(root, "x/sock"), resolve));
  grants = await resolveFolderGrants(
    [path.join(root, "x"), "{config.dir}", "~/docs", "{config.unset}", path.join(root, "missing"), "relative/dir"],
    [path.join(root, "w")],
    { dir: path.join(root, "w") },
    path.join(root, "home"),
  );
});
afterAll(async () => {
  await new Promise((resolve) => socketServer?.close(resolve));
  await fsp.rm(root, { recursive: true, force: true });
});

/**
 * Settles `promise`, or after `ms` gives a FIFO reader that blocked a writer (and an end of file), so
 * a read stuck on `fifo` fails this test instead of hanging the worker's libuv pool.
 */
async function unstuck<T>(promise: Promise<T>, fifo: string, ms = 2000): Promise<T> {
  const timer = setTimeout(() => {
    fsp.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).then((h) => h.close(), () => {});
  }, ms);
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
  }
}

describe("resolveFolderGrants", () => {
  it("expands templates and ~, realpaths folders, drops missing ones and unset templates", () => {
    expect(grants.folders).toEqual([
      { path: path.join(root, "x"), read: true, write: false },
      { path: path.join(root, "w"), read: true, write: true },
      { path: path.join(root, "home/docs"), read: true, write: false },
    ]);
  });
});

describe("resolveFolderGrants with a list", () => {
  it("grants each folder of a list-valued template", async () => {
    const listed = await resolveFolderGrants(["{config.folders}"], [], { folders: [path.join(root, "x"), path.join(root, "xy"), path.join(root, "missing")] }, root);
    expect(listed.folders.map((f) => f.path)).toEqual([path.join(root, "x"), path.join(root, "xy")]);
  });
});

describe("checkPath", () => {
  it("returns the real path of a file inside a granted folder, by absolute path or ~", async () => {
    expect(await checkPath(path.join(root, "x/sub/b.txt"), grants, "read")).toBe(path.join(root, "x/sub/b.txt"));
    expect(await checkPath(path.join(root, "x/link-in"), grants, "read")).toBe(path.join(root, "x/a.txt"));
    await fsp.writeFile(path.join(root, "home/docs/n.md"), "n");
    expect(await checkPath("~/docs/n.md", grants, "read")).toBe(path.join(root, "home/docs/n.md"));
  });

  it("refuses a path outside every folder", async () => {
    expect((await failure(checkPath(path.join(root, "out/secret.txt"), grants, "read"))).code).toBe("permission_denied");
  });

  it("refuses .. even when it would land inside", async () => {
    expect((await failure(checkPath(path.join(root, "x") + "/../out/secret.txt", grants, "read"))).code).toBe("permission_denied");
    expect((await failure(checkPath(path.join(root, "x") + "/sub/../a.txt", grants, "read"))).code).toBe("permission_denied");
  });

  it("refuses symlinks that point outside, to a file or through a folder", async () => {
    expect((await failure(checkPath(path.join(root, "x/link-out"), grants, "read"))).code).toBe("permission_denied");
    expect((await failure(checkPath(path.join(root, "x/dir-out/secret.txt"), grants, "read"))).code).toBe("permission_denied");
  });

  it("does not let /x grant /xy", async () => {
    const err = await failure(checkPath(path.join(root, "xy/secret.txt"), grants, "read"));
    expect(err.code).toBe("permission_denied");
  });

  it("needs a write grant to write, and checks the parent of a new file", async () => {
    expect((await failure(checkPath(path.join(root, "x/new.txt"), grants, "write"))).code).toBe("permission_denied");
    expect(await checkPath(path.join(root, "w/new.txt"), grants, "write")).toBe(path.join(root, "w/new.txt"));
    expect((await failure(checkPath(path.join(root, "out/new.txt"), grants, "write"))).code).toBe("permission_denied");
    expect((await failure(checkPath(path.join(root, "w/nodir/new.txt"), grants, "write"))).code).toBe("not_found");
  });

  it("refuses relative paths and reports missing files", async () => {
    expect((await failure(checkPath("x/a.txt", grants, "read"))).code).toBe("invalid_request");
    expect((await failure(checkPath("", grants, "read"))).code).toBe("invalid_request");
    expect((await failure(checkPath(path.join(root, "x/none.txt"), grants, "read"))).code).toBe("not_found");
  });
});

describe("readCapped", () => {
  it("reads whole files and ranges under the cap", async () => {
    const file = path.join(root, "x/a.txt");
    expect((await readCapped(file, { maxBytes: 10 })).toString()).toBe("0123456789");
    expect((await readCapped(file, { offset: 3, length: 4, maxBytes: 4 })).toString()).toBe("3456");
    expect((await readCapped(file, { offset: 8, length: 100, maxBytes: 2 })).toString()).toBe("89");
    expect((await readCapped(file, { offset: 50, maxBytes: 2 })).length).toBe(0);
  });

  it("refuses more than the cap, and non-files", async () => {
    const file = path.join(root, "x/a.txt");
    expect((await failure(readCapped(file, { maxBytes: 9 }))).code).toBe("response_too_large");
    expect((await failure(readCapped(file, { length: 5, maxBytes: 4 }))).code).toBe("response_too_large");
    expect((await failure(readCapped(path.join(root, "x"), { maxBytes: 10 }))).code).toBe("invalid_request");
    expect((await failure(readCapped(file, { offset: -1, maxBytes: 10 }))).code).toBe("invalid_request");
  });
});

describe("readCapped on special files", () => {
  it("refuses a FIFO with no writer at once, without opening it (a blocked open would hold a pool thread)", async () => {
    const fifo = path.join(root, "x/fifo");
    const started = Date.now();
    const error = await unstuck(failure(readCapped(await checkPath(fifo, grants, "read"), { maxBytes: 10 })), fifo);
    expect(error).toMatchObject({ code: "invalid_request", message: `${fifo} is a FIFO (named pipe); only regular files can be read` });
    expect(Date.now() - started).toBeLessThan(1500); // refused, not released by unstuck's writer
  });

  it("refuses a Unix socket and a character device", async () => {
    expect(await failure(readCapped(path.join(root, "x/sock"), { maxBytes: 10 }))).toMatchObject({ code: "invalid_request", message: expect.stringContaining("is a socket;") });
    expect(await failure(readCapped("/dev/zero", { maxBytes: 10 }))).toMatchObject({ code: "invalid_request", message: "/dev/zero is a character device; only regular files can be read" });
  });

  it("refuses to list or replace one", async () => {
    expect(await failure(listFolder(path.join(root, "x/fifo"), 10))).toMatchObject({ code: "invalid_request", message: expect.stringContaining("is a FIFO (named pipe); only folders can be listed") });
    const target = await checkPath(path.join(root, "w/fifo"), grants, "write");
    expect(await failure(writeCapped(target, "x", 10))).toMatchObject({ code: "invalid_request", message: expect.stringContaining("only regular files can be written") });
    expect((await fsp.lstat(target)).isFIFO()).toBe(true);
  });
});

describe("listFolder", () => {
  it("lists entries with type and size, symlinks not followed, special files as other", async () => {
    expect(await listFolder(path.join(root, "x"), 10)).toEqual([
      { name: "a.txt", type: "file", size: 10 },
      { name: "dir-out", type: "symlink", size: 0 },
      { name: "fifo", type: "other", size: 0 },
      { name: "link-in", type: "symlink", size: 0 },
      { name: "link-out", type: "symlink", size: 0 },
      { name: "sock", type: "other", size: 0 },
      { name: "sub", type: "directory", size: 0 },
    ]);
  });

  it("refuses more entries than the cap", async () => {
    expect((await failure(listFolder(path.join(root, "x"), 4))).code).toBe("too_many_entries");
  });

  it("answers not_found for a regular file, so a plugin can go on to read it", async () => {
    expect(await failure(listFolder(path.join(root, "x/a.txt"), 10))).toMatchObject({ code: "not_found" });
  });
});

describe("writeCapped", () => {
  it("writes atomically through a temp file and leaves no temp behind", async () => {
    const target = await checkPath(path.join(root, "w/out.txt"), grants, "write");
    expect(await writeCapped(target, "héllo", 100)).toBe(6);
    expect(await fsp.readFile(target, "utf8")).toBe("héllo");
    const before = await fsp.stat(target);
    await writeCapped(target, "second", 100);
    // A rename gives a new inode: readers holding the old file never see a half-written one.
    expect((await fsp.stat(target)).ino).not.toBe(before.ino);
    expect(await fsp.readFile(target, "utf8")).toBe("second");
    expect((await fsp.readdir(path.join(root, "w"))).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses more than the cap and leaves the old content", async () => {
    const target = path.join(root, "w/out.txt");
    expect((await failure(writeCapped(target, "x".repeat(101), 100))).code).toBe("payload_too_large");
    expect(await fsp.readFile(target, "utf8")).toBe("second");
  });

  it("replaces a dangling symlink instead of writing through it", async () => {
    const target = await checkPath(path.join(root, "w/dangling"), grants, "write");
    await writeCapped(target, "inside", 100);
    expect((await fsp.lstat(path.join(root, "w/dangling"))).isSymbolicLink()).toBe(false);
    await expect(fsp.stat(path.join(root, "out/new.txt"))).rejects.toThrow();
  });
});
