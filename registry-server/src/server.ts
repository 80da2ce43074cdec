/**
 * `startRegistry(options)`: takes the data folder's lock, opens it, builds the app, listens, and
 * closes cleanly. One process per data folder: a second one would sweep the first's temp files as
 * leftovers and write package records over its in-memory state.
 */
import { promises as fs } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { acquirePidLock, PidLockHeldError, type PidLock } from "@shimmy/plugin-sdk";
import { pino, type Logger } from "pino";
import { Accounts, readTokenFile } from "./accounts.js";
import { createRegistryApp } from "./app.js";
import { Registry } from "./registry.js";
import { loadSigner } from "./signatures.js";
import { DiskStorage } from "./storage/disk-storage.js";
import { pauseAt } from "./test-pause.js";

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions {
  /** The data folder (packages, tarballs, accounts, signing key); made when missing. */
  dataDir: string;
  /** @default 4873 (npm registries' customary port); 0 picks a free one */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** A JSON file of `{"TOKEN": "owner"}`. @default none: only registered users publish */
  tokenFile?: string;
  /** Let `npm adduser` make accounts. @default false */
  openRegistration?: boolean;
  /** The origin in tarball URLs, when clients reach the registry through a proxy. @default the request's origin */
  publicUrl?: string;
  /** @default a pino logger on stderr */
  logger?: Logger;
}

/** A listening registry. */
export interface RunningRegistry {
  /** `http://HOST:PORT`. */
  url: string;
  server: Server;
  /** Stops accepting connections and waits for open requests to finish. */
  close(): Promise<void>;
}

/** The lock file in the data folder, holding the pid of the registry that uses it. */
export const DATA_LOCK_FILE = "registry.lock";

/** Takes `DATA/registry.lock`; a lock whose process is gone (`kill -9`) is taken over. */
async function lockDataDir(dataDir: string): Promise<PidLock> {
  try {
    return await acquirePidLock(path.join(dataDir, DATA_LOCK_FILE));
  } catch (error) {
    if (!(error instanceof PidLockHeldError)) throw error;
    const who = error.holder === null ? "another process" : error.holder === process.pid ? "this process" : `another shimmy-registry (pid ${error.holder})`;
    throw new Error(`${who} is using the data folder ${dataDir}; stop it, or give another --data (lock: ${error.file})`, { cause: error });
  }
}

/**
 * Starts a registry server.
 *
 * @throws {Error} when another live registry holds the data folder's lock (the message names its
 *   pid), or the port cannot be bound.
 */
export async function startRegistry(options: StartRegistryOptions): Promise<RunningRegistry> {
  const logger = options.logger ?? pino({ name: "shimmy-registry" }, pino.destination(2));
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(dataDir);
  try {
    return await openRegistry(options, dataDir, logger, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function openRegistry(options: StartRegistryOptions, dataDir: string, logger: Logger, lock: PidLock): Promise<RunningRegistry> {
  const storage = new DiskStorage({ dir: dataDir, beforeIndexSwitch: pauseAt("before-index-rename") });
  await storage.open();
  const signer = await loadSigner(dataDir);
  const tokens = options.tokenFile ? await readTokenFile(options.tokenFile) : undefined;
  const accounts = new Accounts({ storage, ...(tokens ? { tokens } : {}), openRegistration: options.openRegistration ?? false });
  await accounts.open();
  const registry = new Registry({ storage, signer, afterTarball: pauseAt("after-tarball") });
  await registry.open();
  const app = createRegistryApp({ registry, accounts, signer, logger, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });

  const host = options.host ?? "127.0.0.1";
  const server = app.listen({ port: options.port ?? 4873, host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  // Uploads of a large package on a slow link must not hit Node's default request timeout.
  server.requestTimeout = 10 * 60 * 1000;
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}`;
  logger.info({ event: "listening", url, dataDir }, `listening on ${url}`);
  return {
    url,
    server,
    close: async () => {
      try {
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeIdleConnections();
        });
      } finally {
        await lock.release(); // only once no request can write any more
      }
    },
  };
}
