/**
 * `pullModel`: resolves a model reference on the Hugging Face hub, downloads the GGUF file(s) it
 * picks into the hub cache, verifies them, and links them into the snapshot, where discovery lists
 * them. Plan, download, commit: nothing is linked before every file is verified.
 */
import fs from "node:fs/promises";
// The lock alone, not the SDK index: that loads the plugin toolchain, ~0.4 s of every `shimmy pull`.
import { acquirePidLock, PidLockHeldError, type PidLock } from "@shimmy/plugin-sdk/pid-lock";
import { HubApi, modelPage } from "./hub-api.js";
import { HubCacheRepo } from "./hub-cache.js";
import { downloadFile, prepareDownload, type PreparedDownload } from "./download.js";
import { parseModelRef } from "./model-ref.js";
import { pickGguf, type HubFile } from "./pick-file.js";
import { PullError } from "./pull-error.js";
import { recordPulled } from "./pulled-record.js";
import { TransferRate } from "./transfer-rate.js";

/** What will be downloaded, known before the first byte. */
export interface PullPlan {
  /** `ORG/REPO`. */
  repo: string;
  quant: string | null;
  files: HubFile[];
  totalBytes: number;
  /** `cardData.license` of the model info (`apache-2.0`, `llama3.2`…); null when it names none. */
  license: string | null;
  /** The model page, where a licence is read and accepted. */
  page: string;
  /** Bytes already in the cache (verified files, and the partial one a cut pull left). */
  presentBytes: number;
}

/** What a pull reports as it goes. */
export type PullEvent =
  | { type: "plan"; plan: PullPlan }
  | { type: "progress"; file: string; bytes: number; totalBytes: number; bytesPerSecond: number; etaSeconds: number | null }
  | { type: "verified"; file: string };

/** Options of {@link pullModel}. */
export interface PullOptions {
  /** `ORG/REPO[:QUANT]` or `hf.co/ORG/REPO:QUANT`. */
  model: string;
  /** The hub cache folder (`config/hubCacheFromEnv`). */
  hubCache: string;
  /** `HF_ENDPOINT`, without a trailing slash. */
  endpoint: string;
  /** `HF_TOKEN`. */
  token: string | null;
  onEvent?: (event: PullEvent) => void;
  signal?: AbortSignal;
  /** Limit of each API request. @default 30000 */
  timeoutMs?: number;
  /** The longest wait for the next bytes of a download. @default 30000 */
  idleTimeoutMs?: number;
  /** The shortest time between two progress events, in ms. @default 100 */
  progressIntervalMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** `pulled-record.ts`'s file: each file this pull downloads is added to it, for `shimmy rm`. */
  recordFile?: string;
}

/** What a pull left in the cache. */
export interface PullResult {
  plan: PullPlan;
  /** The snapshot path of each file (the first part first); the model's path is `paths[0]`. */
  paths: string[];
  commit: string;
  /** Every file was already in the cache: nothing was downloaded. */
  alreadyPresent: boolean;
}

function licenseOf(license: string | string[] | undefined): string | null {
  if (Array.isArray(license)) return license.length > 0 ? license.join(", ") : null;
  return typeof license === "string" && license !== "" ? license : null;
}

/**
 * Pulls a model into the hub cache.
 *
 * @example
 * const { paths } = await pullModel({ model: "hf.co/org/repo:Q4_K_M", hubCache, endpoint, token: null });
 * @throws PullError with a message that says what to do.
 */
export async function pullModel(options: PullOptions): Promise<PullResult> {
  // Started before the hub's API calls, so that the hash worker boots while they are answered.
  const prepared = prepareDownload();
  try {
    return await pull(options, prepared);
  } finally {
    // A no-op when the first download took it over; else (nothing to download, a failure) it stops here.
    await prepared.hash.dispose();
  }
}

/** {@link pullModel}, with the first download's memory and hash worker started ahead. */
async function pull(options: PullOptions, prepared: PreparedDownload): Promise<PullResult> {
  const { repo, quant } = parseModelRef(options.model);
  const api = new HubApi({ endpoint: options.endpoint, token: options.token, timeoutMs: options.timeoutMs, signal: options.signal });
  // Both asked at once (one round trip to the hub, not two); the info's verdict comes first.
  const tree = api.tree(repo);
  tree.catch(() => undefined);
  const info = await api.modelInfo(repo);
  const page = modelPage(options.endpoint, repo);
  // A gated model's info is public but its files are not: say so before listing or downloading.
  if (info.gated && info.gated !== "false" && !options.token) {
    throw new PullError("gated", `${repo} is gated: accept its licence on ${page}, then set HF_TOKEN to an access token of that account`);
  }
  const picked = pickGguf(await tree, quant, repo);
  const cache = new HubCacheRepo(options.hubCache, repo);

  const present = await Promise.all(picked.files.map((f) => cache.hasBlob(f.sha256, f.size)));
  let presentBytes = 0;
  for (const [i, file] of picked.files.entries()) {
    presentBytes += present[i] ? file.size : await partialSize(cache.partialPath(file.sha256), file.size);
  }
  // Each file to download is locked before the plan is announced: a second pull of the same file,
  // from this process or another, is refused at once rather than writing the same partial file.
  const locks: PidLock[] = [];
  try {
    for (const [i, file] of picked.files.entries()) {
      if (!present[i]) locks.push(await lockPartial(cache, file.sha256, repo));
    }
    const plan: PullPlan = { repo, quant: picked.quant, files: picked.files, totalBytes: picked.totalBytes, license: licenseOf(info.cardData?.license), page, presentBytes };
    options.onEvent?.({ type: "plan", plan });

    const now = options.now ?? Date.now;
    const rate = new TransferRate(plan.totalBytes);
    const interval = options.progressIntervalMs ?? 100;
    let lastEventAt = -Infinity;
    let commit: string | null = null;
    let done = 0;
    let unused: PreparedDownload | undefined = prepared;
    for (const [i, file] of picked.files.entries()) {
      if (present[i]) {
        done += file.size;
        continue;
      }
      const emit = (bytes: number, force: boolean) => {
        const at = now();
        const sample = rate.sample(done + bytes, at);
        if (!force && at - lastEventAt < interval) return;
        lastEventAt = at;
        options.onEvent?.({ type: "progress", file: file.path, bytes: done + bytes, totalBytes: plan.totalBytes, ...sample });
      };
      const result = await downloadFile({
        url: `${options.endpoint}/${repo}/resolve/main/${file.path.split("/").map(encodeURIComponent).join("/")}`,
        hubOrigin: new URL(options.endpoint).origin,
        token: options.token,
        repo,
        partialPath: await cache.preparePartial(file.sha256),
        size: file.size,
        sha256: file.sha256,
        onBytes: (bytes) => emit(bytes, false),
        signal: options.signal,
        idleTimeoutMs: options.idleTimeoutMs,
        prepared: unused,
      });
      unused = undefined;
      await cache.completeBlob(file.sha256);
      emit(file.size, true);
      options.onEvent?.({ type: "verified", file: file.path });
      commit ??= result.commit;
      done += file.size;
    }
    commit ??= info.sha ?? null;
    if (!commit || !/^[0-9a-f]{40}$/.test(commit)) {
      throw new PullError("download_failed", `${options.endpoint} named no commit for ${repo} (no X-Repo-Commit header, no sha in its model info)`);
    }
    const paths = await cache.commit(commit, picked.files);
    if (options.recordFile) {
      const pulledAt = new Date().toISOString();
      await recordPulled(options.recordFile, picked.files.flatMap((file, i) => present[i] ? [] : [{ repo, commit: commit!, file: file.path, sha256: file.sha256, size: file.size, path: paths[i]!, pulledAt }]));
    }
    return { plan, paths, commit, alreadyPresent: present.every(Boolean) };
  } finally {
    await Promise.all(locks.map((lock) => lock.release()));
  }
}

/** Takes `blobs/SHA256.lock`, the right to write that file's partial download. */
async function lockPartial(cache: HubCacheRepo, sha256: string, repo: string): Promise<PidLock> {
  await cache.preparePartial(sha256);
  try {
    return await acquirePidLock(`${cache.blobPath(sha256)}.lock`);
  } catch (err) {
    if (!(err instanceof PidLockHeldError)) throw err;
    const who = err.holder === process.pid ? "this process" : err.holder === null ? "another process" : `process ${err.holder}`;
    throw new PullError("busy", `${repo} is already being pulled by ${who}; wait for that pull to finish (it resumes from the same partial file if stopped)`, { cause: err });
  }
}

/** Bytes a cut pull left in a partial file (0 when there is none, or it is too long to be one). */
async function partialSize(file: string, size: number): Promise<number> {
  const found = await fs.stat(file).catch(() => null);
  return found && found.isFile() && found.size <= size ? found.size : 0;
}
