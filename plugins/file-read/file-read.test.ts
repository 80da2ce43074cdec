import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

let work: string;
let folder: string;
let manifest: PluginManifest;
let wasm: Uint8Array;
let host: PluginHost;
const hosts: PluginHost[] = [];

const logger = { info: () => {}, warn: () => {}, debug: () => {} };

async function load(config: Record<string, unknown>): Promise<PluginHost> {
  const loaded = await PluginHost.load({ manifest, wasm, config, home: work, serverAddresses: [], logger, poolSize: 1 });
  hosts.push(loaded);
  return loaded;
}

const TODO = "# Todo\n- buy milk\n- call Bob\n- TODO: taxes\n- done\n";
const JUNE = "Trip\n\nTODO: renew passport\n";

/** 30,000 lines of mixed 1-4 byte characters: chunk boundaries (256 KiB) fall inside characters. */
const BIG_LINES = Array.from({ length: 30_000 }, (_, i) => `${i + 1}: grüße ✓ 🎉 line`);

beforeAll(async () => {
  ({ manifest, wasm } = await readBuiltPlugin("file-read"));

  work = await mkdtemp(path.join(tmpdir(), "shimmy-file-read-test-"));
  folder = path.join(work, "granted");
  const outside = path.join(work, "outside");
  await mkdir(path.join(folder, "notes", "2024"), { recursive: true });
  await mkdir(path.join(folder, "many"));
  await mkdir(path.join(folder, ".git"));
  await mkdir(outside);
  await writeFile(path.join(folder, "notes", "todo.md"), TODO);
  await writeFile(path.join(folder, "notes", "2024", "june.md"), JUNE);
  await writeFile(path.join(folder, "crlf.txt"), "\ufefffirst\r\nsecond todo\r\nthird");
  await writeFile(path.join(folder, "big.txt"), BIG_LINES.join("\n") + "\n");
  await writeFile(path.join(folder, "empty.txt"), "");
  await writeFile(path.join(folder, "image.bin"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x74, 0x6f, 0x64, 0x6f, 0x0a]));
  await writeFile(path.join(folder, "nul.txt"), "todo\u0000binary\n");
  await writeFile(path.join(folder, ".git", "config"), "todo in git internals\n");
  for (let i = 0; i < 30; i++) await writeFile(path.join(folder, "many", `f${String(i).padStart(2, "0")}.txt`), `file ${i}\n`);
  await writeFile(path.join(outside, "secret.txt"), "secret todo\n");
  await symlink(path.join(outside, "secret.txt"), path.join(folder, "escape.txt"));
  await symlink(path.join(folder, "notes", "todo.md"), path.join(folder, "alias.md"));
  let deep = path.join(folder, "deep");
  for (let i = 0; i < 23; i++) deep = path.join(deep, `d${i}`);
  await mkdir(deep, { recursive: true });
  await writeFile(path.join(deep, "bottom.txt"), "todo at the bottom\n");

  host = await load({ folder });
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  if (work) await rm(work, { recursive: true, force: true });
});

type ReadResult = { path: string; text: string; lines: { start: number; end: number; total: number | null }; truncated: boolean };
type ListResult = { path: string; entries: { path: string; type: string; size: number }[]; truncated: boolean };
type GrepResult = { matches: { path: string; line: number; text: string }[]; files_searched: number; truncated: boolean };

const read = (input: Record<string, unknown>) => host.callTool("read_file", input) as Promise<ReadResult>;
const list = (input: Record<string, unknown>) => host.callTool("list_files", input) as Promise<ListResult>;
const grep = (input: Record<string, unknown>) => host.callTool("grep", input) as Promise<GrepResult>;

describe("file-read: read_file", () => {
  it("reads a whole file with its line count", async () => {
    await expect(read({ path: "notes/todo.md" })).resolves.toEqual({
      path: "notes/todo.md",
      text: "# Todo\n- buy milk\n- call Bob\n- TODO: taxes\n- done",
      lines: { start: 1, end: 5, total: 5 },
      truncated: false,
    });
  });

  it("reads a range of lines and says when more follow", async () => {
    await expect(read({ path: "./notes//todo.md", start_line: 2, max_lines: 2 })).resolves.toEqual({
      path: "notes/todo.md",
      text: "- buy milk\n- call Bob",
      lines: { start: 2, end: 3, total: 5 },
      truncated: true,
    });
    await expect(read({ path: "notes/todo.md", start_line: 5 })).resolves.toMatchObject({ text: "- done", lines: { start: 5, end: 5, total: 5 }, truncated: false });
    await expect(read({ path: "notes/todo.md", start_line: 6 })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining('"start_line" is 6, but notes/todo.md has 5 lines'),
    });
  });

  it("reads CRLF files as LF, drops the byte order mark, and reads an empty file", async () => {
    await expect(read({ path: "crlf.txt" })).resolves.toMatchObject({ text: "first\nsecond todo\nthird", lines: { start: 1, end: 3, total: 3 } });
    await expect(read({ path: "empty.txt" })).resolves.toEqual({ path: "empty.txt", text: "", lines: { start: 1, end: 0, total: 0 }, truncated: false });
  });

  it("reads a file larger than one host read, characters split across reads included", async () => {
    const first = await read({ path: "big.txt", max_lines: 10_000 });
    expect(first.lines).toEqual({ start: 1, end: 10_000, total: 30_000 });
    expect(first.text).toBe(BIG_LINES.slice(0, 10_000).join("\n"));
    expect(first.truncated).toBe(true);
    const last = await read({ path: "big.txt", start_line: 29_999 });
    expect(last).toMatchObject({ text: BIG_LINES.slice(29_998).join("\n"), lines: { start: 29_999, end: 30_000, total: 30_000 }, truncated: false });
    const middle = await read({ path: "big.txt", start_line: 12_001, max_lines: 10_000 });
    expect(middle.text).toBe(BIG_LINES.slice(12_000, 22_000).join("\n"));
  });

  it("caps the text it returns at 512 KiB and cuts very long lines", async () => {
    const wide = Array.from({ length: 3000 }, (_, i) => `${String(i + 1).padStart(5, "0")} ${"x".repeat(294)}`);
    await writeFile(path.join(folder, "wide.txt"), wide.join("\n"));
    await writeFile(path.join(folder, "long-line.txt"), "a".repeat(100_000) + "\nshort\n");
    try {
      const got = await read({ path: "wide.txt" });
      const returned = Math.floor((512 * 1024) / 301);
      expect(got.lines).toEqual({ start: 1, end: returned, total: 3000 });
      expect(got.text).toBe(wide.slice(0, returned).join("\n"));
      expect(got.truncated).toBe(true);
      const long = await read({ path: "long-line.txt" });
      expect(long.text).toBe("a".repeat(65_536) + "\nshort");
      expect(long).toMatchObject({ lines: { start: 1, end: 2, total: 2 }, truncated: true });
    } finally {
      await rm(path.join(folder, "wide.txt"));
      await rm(path.join(folder, "long-line.txt"));
    }
  });

  it("counts lines only in the first 32 MiB of a huge file", async () => {
    const line = "0123456789".repeat(10) + "\n";
    await writeFile(path.join(folder, "huge.txt"), line.repeat(Math.ceil((33 * 1024 * 1024) / line.length)));
    try {
      const got = await read({ path: "huge.txt", max_lines: 2 });
      expect(got.lines).toEqual({ start: 1, end: 2, total: null });
      expect(got.truncated).toBe(true);
      // grep reads up to 64 MiB a call, so this whole file.
      await expect(grep({ pattern: "nothing like this", path: "huge.txt" })).resolves.toEqual({ matches: [], files_searched: 1, truncated: false });
    } finally {
      await rm(path.join(folder, "huge.txt"));
    }
  });

  it("refuses a file that is not UTF-8 text", async () => {
    await expect(read({ path: "image.bin" })).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining("image.bin is not a text file") });
    await expect(read({ path: "nul.txt" })).rejects.toMatchObject({ message: expect.stringContaining("nul.txt is not a text file") });
  });

  it("refuses .. and absolute paths before asking the host", async () => {
    await expect(read({ path: "../outside/secret.txt" })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining('"path" may not contain "..": ../outside/secret.txt'),
    });
    await expect(read({ path: "notes/../../outside/secret.txt" })).rejects.toMatchObject({ message: expect.stringContaining('may not contain ".."') });
    await expect(read({ path: "notes\\..\\..\\outside" })).rejects.toMatchObject({ message: expect.stringContaining('may not contain ".."') });
    await expect(read({ path: path.join(work, "outside", "secret.txt") })).rejects.toMatchObject({ message: expect.stringContaining('"path" must be relative to the configured folder') });
    await expect(read({ path: "~/secret.txt" })).rejects.toMatchObject({ message: expect.stringContaining("must be relative") });
  });

  it("lets the host refuse a symlink that points outside the folder, and follow one that stays inside", async () => {
    await expect(read({ path: "escape.txt" })).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining("outside the folders granted for read") });
    await expect(read({ path: "alias.md", max_lines: 1 })).resolves.toMatchObject({ text: "# Todo", lines: { total: 5 } });
  });

  it("names a missing file and refuses the folder itself", async () => {
    await expect(read({ path: "notes/nope.md" })).rejects.toMatchObject({ message: expect.stringContaining("no such file: notes/nope.md") });
    await expect(read({ path: "." })).rejects.toMatchObject({ message: expect.stringContaining("not the folder itself") });
  });
});

describe("file-read: list_files", () => {
  it("lists one folder in name order, symlinks as themselves", async () => {
    const got = await list({});
    expect(got.path).toBe(".");
    expect(got.truncated).toBe(false);
    expect(got.entries.map((e) => e.path)).toEqual([".git", "alias.md", "big.txt", "crlf.txt", "deep", "empty.txt", "escape.txt", "image.bin", "many", "notes", "nul.txt"]);
    expect(got.entries.find((e) => e.path === "escape.txt")).toEqual({ path: "escape.txt", type: "symlink", size: 0 });
    expect(got.entries.find((e) => e.path === "notes")).toEqual({ path: "notes", type: "directory", size: 0 });
    expect(got.entries.find((e) => e.path === "image.bin")).toEqual({ path: "image.bin", type: "file", size: 11 });
  });

  it("lists recursively, depth first, with paths relative to the folder", async () => {
    await expect(list({ path: "notes", recursive: true })).resolves.toEqual({
      path: "notes",
      entries: [
        { path: "notes/2024", type: "directory", size: 0 },
        { path: "notes/2024/june.md", type: "file", size: Buffer.byteLength(JUNE) },
        { path: "notes/todo.md", type: "file", size: Buffer.byteLength(TODO) },
      ],
      truncated: false,
    });
  });

  it("stops at max_entries and at 20 levels, and says so", async () => {
    const many = await list({ path: "many", max_entries: 10 });
    expect(many.entries.map((e) => e.path)).toEqual(Array.from({ length: 10 }, (_, i) => `many/f${String(i).padStart(2, "0")}.txt`));
    expect(many.truncated).toBe(true);
    await expect(list({ path: "many", max_entries: 30 })).resolves.toMatchObject({ truncated: false });
    const deep = await list({ path: "deep", recursive: true, max_entries: 5000 });
    expect(deep.truncated).toBe(true);
    expect(deep.entries).toHaveLength(20);
    expect(deep.entries.at(-1)?.path.split("/")).toHaveLength(21);
    const all = await list({ recursive: true, max_entries: 25 });
    expect(all.entries).toHaveLength(25);
    expect(all.truncated).toBe(true);
  });

  it("refuses .. and names a missing folder", async () => {
    await expect(list({ path: ".." })).rejects.toMatchObject({ message: expect.stringContaining('"path" may not contain ".."') });
    await expect(list({ path: "nope" })).rejects.toMatchObject({ message: expect.stringContaining("no such folder: nope") });
  });
});

describe("file-read: grep", () => {
  it("finds a pattern case-insensitively across text files, skipping binary files, symlinks and .git", async () => {
    const got = await grep({ pattern: "todo", ignore_case: true });
    // deep/…/bottom.txt lies 24 levels down, below the 20 a search walks.
    expect(got.matches).toEqual([
      { path: "crlf.txt", line: 2, text: "second todo" },
      { path: "notes/2024/june.md", line: 3, text: "TODO: renew passport" },
      { path: "notes/todo.md", line: 1, text: "# Todo" },
      { path: "notes/todo.md", line: 4, text: "- TODO: taxes" },
    ]);
    // big, crlf, empty, the 30 in many/, june and todo; not image.bin, nul.txt, .git/config or the links.
    expect(got.files_searched).toBe(35);
    expect(got.truncated).toBe(false);
  });

  it("matches case exactly by default, in one file or one folder", async () => {
    await expect(grep({ pattern: "TODO", path: "notes" })).resolves.toEqual({
      matches: [
        { path: "notes/2024/june.md", line: 3, text: "TODO: renew passport" },
        { path: "notes/todo.md", line: 4, text: "- TODO: taxes" },
      ],
      files_searched: 2,
      truncated: false,
    });
    await expect(grep({ pattern: "Bob", path: "notes/todo.md" })).resolves.toEqual({
      matches: [{ path: "notes/todo.md", line: 3, text: "- call Bob" }],
      files_searched: 1,
      truncated: false,
    });
  });

  it("numbers lines across host reads and stops at max_matches", async () => {
    await expect(grep({ pattern: "29999: grüße", path: "big.txt" })).resolves.toMatchObject({ matches: [{ path: "big.txt", line: 29_999, text: BIG_LINES[29_998] }] });
    const capped = await grep({ pattern: "🎉", path: "big.txt", max_matches: 3 });
    expect(capped.matches.map((m) => m.line)).toEqual([1, 2, 3]);
    expect(capped.truncated).toBe(true);
  });

  it("refuses .. and a symlink out of the folder, and names a missing path", async () => {
    await expect(grep({ pattern: "x", path: "../outside" })).rejects.toMatchObject({ message: expect.stringContaining('may not contain ".."') });
    await expect(grep({ pattern: "secret", path: "escape.txt" })).rejects.toMatchObject({ message: expect.stringContaining("outside the folders granted for read") });
    await expect(grep({ pattern: "x", path: "nope" })).rejects.toMatchObject({ message: expect.stringContaining("no such file or folder: nope") });
  });
});

describe("file-read: config", () => {
  it("says how to set the folder when it is missing", async () => {
    const unconfigured = await load({});
    for (const [tool, input] of [["read_file", { path: "a.txt" }], ["list_files", {}], ["grep", { pattern: "x" }]] as const) {
      await expect(unconfigured.callTool(tool, input)).rejects.toMatchObject({
        code: "plugin_error",
        message: expect.stringContaining("no folder is configured; set it with: shimmy plugin config file-read folder=/path/to/folder"),
      });
    }
  });

  it("refuses a relative folder", async () => {
    const relative = await load({ folder: "granted" });
    await expect(relative.callTool("list_files", {})).rejects.toMatchObject({ message: expect.stringContaining('the configured folder must be an absolute path, not "granted"') });
  });
});
