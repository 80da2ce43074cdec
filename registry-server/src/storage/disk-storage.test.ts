import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sha512Integrity } from "../integrity.js";
import { DiskStorage } from "./disk-storage.js";
import type { PackageRecord } from "./storage.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-storage-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const record = (name: string, modified: string): PackageRecord => ({ name, owner: "alice", created: modified, modified, distTags: {}, versions: {} });

describe("DiskStorage", () => {
  it("stores records per name (scoped too) and tarballs by sha512", async () => {
    const storage = new DiskStorage({ dir: tempDir() });
    await storage.open();
    await storage.writePackage(record("@alice/clock", "1"));
    await storage.writePackage(record("time", "1"));
    await storage.writePackage(record("time", "2"));
    expect((await storage.loadPackages()).map((r) => [r.name, r.modified])).toEqual([
      ["@alice/clock", "1"],
      ["time", "2"],
    ]);
    const bytes = Buffer.from("tarball");
    const integrity = sha512Integrity(bytes);
    await storage.putTarball(integrity, bytes);
    await storage.putTarball(integrity, bytes);
    expect((await storage.getTarball(integrity))!.equals(bytes)).toBe(true);
    expect(await storage.getTarball(sha512Integrity(Buffer.from("other")))).toBeNull();
  });

  it("keeps the old record when the switch fails, and clears temp files at open", async () => {
    const dir = tempDir();
    const failing = new DiskStorage({ dir, beforeIndexSwitch: () => Promise.reject(new Error("crash")) });
    await failing.open();
    await expect(failing.writePackage(record("time", "2"))).rejects.toThrow("crash");
    fs.writeFileSync(path.join(dir, "packages", "time.json.123.1.tmp"), "{half");
    const storage = new DiskStorage({ dir });
    await storage.open();
    expect(await storage.loadPackages()).toEqual([]);
    expect(fs.readdirSync(path.join(dir, "packages"))).toEqual([]);
  });

  it("writes accounts readable only by the registry's user", async () => {
    const dir = tempDir();
    const storage = new DiskStorage({ dir });
    await storage.open();
    expect(await storage.loadAccounts()).toEqual({ users: {}, tokens: {} });
    await storage.writeAccounts({ users: {}, tokens: { abc: "carol" } });
    expect((await storage.loadAccounts()).tokens).toEqual({ abc: "carol" });
    expect(fs.statSync(path.join(dir, "accounts.json")).mode & 0o077).toBe(0);
  });
});
