import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquirePidLock, alive, PidLockHeldError } from "./pid-lock.js";

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pid-lock-"));
  file = path.join(dir, "data.lock");
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("acquirePidLock", () => {
  it("writes this pid, refuses a second holder in this process, and gives the file back on release", async () => {
    const lock = await acquirePidLock(file);
    expect(await fs.readFile(file, "utf8")).toBe(String(process.pid));
    await expect(acquirePidLock(file)).rejects.toMatchObject({ holder: process.pid });
    await lock.release();
    await lock.release();
    await expect(fs.access(file)).rejects.toThrow();
    await (await acquirePidLock(file)).release();
  });

  it("refuses while another live process holds it, naming its pid", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      await fs.writeFile(file, String(child.pid));
      const error = await acquirePidLock(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PidLockHeldError);
      expect(error).toMatchObject({ holder: child.pid, message: `${file} is held by pid ${child.pid}` });
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("takes over a lock whose process is gone, an unreadable one, and one naming this pid from before", async () => {
    for (const stale of [String(await deadPid()), "", "garbage", String(process.pid)]) {
      await fs.writeFile(file, stale);
      const lock = await acquirePidLock(file);
      expect(await fs.readFile(file, "utf8")).toBe(String(process.pid));
      await lock.release();
    }
    expect(await fs.readdir(dir)).toEqual([]); // no file set aside is left behind
  });

  it("takes over a stale lock whose takeover was itself cut short by a kill, and sweeps what the killed process left", async () => {
    const dead = String(await deadPid());
    await fs.writeFile(file, dead);
    const stat = await fs.stat(file);
    const id = createHash("sha256").update(`${stat.ino}:${dead}`).digest("hex").slice(0, 16);
    await fs.writeFile(`${file}.takeover.${id}`, String(await deadPid())); // killed holding the right to take over
    await fs.writeFile(`${file}.takeover.0123456789abcdef`, String(await deadPid())); // killed after its takeover
    const lock = await acquirePidLock(file);
    expect(await fs.readFile(file, "utf8")).toBe(String(process.pid));
    expect(await fs.readdir(dir)).toEqual(["data.lock"]);
    await lock.release();
  });

  it("lets exactly one of eight processes taking over the same stale lock win", async () => {
    // Runs the built SDK (npm run build --workspace plugins-sdk): each child tries once, says
    // whether it won, and a winner holds the lock until every child has answered.
    const dist = pathToFileURL(path.join(import.meta.dirname, "../dist/pid-lock.js")).href;
    const script = `const { acquirePidLock } = await import(${JSON.stringify(dist)});
      const won = await acquirePidLock(process.argv[1]).then(() => true, () => false);
      process.stdout.write(won ? "won" : "held");
      process.stdin.resume(); process.stdin.on("end", () => process.exit(0));`;
    await fs.writeFile(file, String(await deadPid()));
    const children = Array.from({ length: 8 }, () => spawn(process.execPath, ["--input-type=module", "-e", script, file], { stdio: ["pipe", "pipe", "inherit"] }));
    const answers = await Promise.all(
      children.map((child) => new Promise<string>((resolve) => child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString())))),
    );
    for (const child of children) child.stdin.end();
    await Promise.all(children.map((child) => new Promise((resolve) => child.once("exit", resolve))));
    expect(answers.filter((a) => a === "won")).toHaveLength(1);
    expect(answers.filter((a) => a === "held")).toHaveLength(7);
  });
});

describe("alive", () => {
  it("tells a running process from a finished one", async () => {
    expect(alive(process.pid)).toBe(true);
    expect(alive(await deadPid())).toBe(false);
  });
});
