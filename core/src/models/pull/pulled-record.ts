/**
 * `$SHIMMY_HOME/pulled.json`: the files `shimmy pull` (or `POST /api/models/pull`) downloaded, so
 * that `shimmy rm` deletes those and refuses, unless forced, a file some other tool put in the hub
 * cache. One small JSON list, rewritten whole through a temporary file and a rename, so a reader
 * never sees half of it.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../plugins/store/atomic-file.js";

/** One downloaded file, as the record keeps it. */
export interface PulledFile {
  /** `ORG/REPO`. */
  repo: string;
  commit: string;
  /** The file's path in the repository. */
  file: string;
  sha256: string;
  size: number;
  /** Its snapshot link in the hub cache, the path discovery lists. */
  path: string;
  /** ISO 8601. */
  pulledAt: string;
}

/** The record's file in Shimmy's folder. */
export function pulledRecordPath(shimmyHome: string): string {
  return path.join(shimmyHome, "pulled.json");
}

/** Every recorded file; none when the record is missing or unreadable (nothing is then known as pulled). */
export async function readPulled(recordFile: string): Promise<PulledFile[]> {
  const text = await fs.readFile(recordFile, "utf8").catch(() => null);
  if (text === null) return [];
  try {
    const parsed = JSON.parse(text) as { files?: unknown };
    return Array.isArray(parsed.files) ? (parsed.files as PulledFile[]).filter((f) => typeof f?.path === "string" && typeof f.sha256 === "string") : [];
  } catch {
    return [];
  }
}

async function write(recordFile: string, files: PulledFile[]): Promise<void> {
  await writeFileAtomic(recordFile, JSON.stringify({ files }, null, 2) + "\n");
}

/** Adds `files` to the record, replacing earlier entries of the same snapshot path. */
export async function recordPulled(recordFile: string, files: readonly PulledFile[]): Promise<void> {
  if (files.length === 0) return;
  const paths = new Set(files.map((f) => f.path));
  await write(recordFile, [...(await readPulled(recordFile)).filter((f) => !paths.has(f.path)), ...files]);
}

/** Drops the entries of `paths` from the record. */
export async function forgetPulled(recordFile: string, paths: readonly string[]): Promise<void> {
  const known = await readPulled(recordFile);
  const kept = known.filter((f) => !paths.includes(f.path));
  if (kept.length !== known.length) await write(recordFile, kept);
}
