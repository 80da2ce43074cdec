/**
 * Test helpers: the registry as a real process on 127.0.0.1 (`--port 0`), plugin tarballs built
 * from the packed first-party plugins (renamed or edited as a test needs, written byte by byte so
 * hostile entries survive), and npm's publish body.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { extract } from "tar";
import { rawTarball, type RawEntry } from "../../test/helpers/raw-tar.js";

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, "../..");
/** The registry's launcher (runs the built `dist/`). */
export const BIN = path.join(ROOT, "registry-server/bin/shimmy-registry.js");

/** Tokens of the test token file. */
export const TOKENS = {
  shimmy: "shimmy-first-party-token-0001",
  alice: "alice-token-000000000000001",
  bob: "bob-token-00000000000000001",
} as const;

/** A registry process. */
export interface RegistryProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves once stderr holds a line matching `pattern`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
}

/** Writes the token file used by {@link startRegistryProcess} into `dir`; returns its path. */
export function writeTokenFile(dir: string): string {
  const file = path.join(dir, "tokens.json");
  fs.writeFileSync(file, JSON.stringify({ [TOKENS.shimmy]: { owner: "shimmy", firstParty: true }, [TOKENS.alice]: "alice", [TOKENS.bob]: "bob" }));
  return file;
}

/** Starts `shimmy-registry --port 0 --data DATA --token-file …` and reads its `listening` line. */
export async function startRegistryProcess(options: { dataDir: string; tokenFile: string; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<RegistryProcess> {
  const child = spawn(process.execPath, [BIN, "--port", "0", "--data", options.dataDir, "--token-file", options.tokenFile, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  const waiters: (() => void)[] = [];
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 20 s; stderr:\n${stderr}`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the registry exited with ${code}; stderr:\n${stderr}`));
    });
  });
  return {
    url,
    dataDir: options.dataDir,
    child,
    stderr: () => stderr,
    waitForStderr: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stderr)) {
        if (Date.now() > deadline) throw new Error(`stderr never matched ${pattern}:\n${stderr}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The files of a packed plugin, by path under `package/`. */
export function unpack(tgz: string): Record<string, Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-unpack-"));
  try {
    extract({ file: tgz, cwd: dir, sync: true });
    const files: Record<string, Buffer> = {};
    for (const name of fs.readdirSync(path.join(dir, "package"))) files[name] = fs.readFileSync(path.join(dir, "package", name));
    return files;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A plugin tarball from a packed plugin's files, renamed to `name@version` in both package.json
 * and the manifest; `edit` may change the manifest further, `extra` adds raw entries.
 */
export function pluginTarball(source: Record<string, Buffer>, name: string, version: string, options: { edit?: (manifest: any) => void; extra?: RawEntry[]; wasm?: Buffer } = {}): Buffer {
  const pkg = { ...JSON.parse(source["package.json"]!.toString()), name, version };
  const manifest = { ...JSON.parse(source["shimmy-plugin.json"]!.toString()), name, version };
  delete manifest.$schema;
  options.edit?.(manifest);
  return rawTarball([
    { name: "package/package.json", body: JSON.stringify(pkg, null, 2) },
    { name: "package/shimmy-plugin.json", body: JSON.stringify(manifest, null, 2) },
    { name: "package/plugin.wasm", body: new Uint8Array(options.wasm ?? source["plugin.wasm"]!) },
    { name: "package/README.md", body: `# ${name}\n\nA test plugin.\n` },
    ...(options.extra ?? []),
  ]);
}

/** sha512 SRI of `bytes`. */
export function sri(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

/** The body `npm publish` sends (libnpmpublish): one version, its dist, and the tarball as base64. */
export function publishBody(name: string, version: string, tarball: Buffer, options: { integrity?: string; tag?: string } = {}): Record<string, unknown> {
  const file = `${name}-${version}.tgz`;
  return {
    _id: name,
    name,
    description: "from the body, never trusted",
    "dist-tags": { [options.tag ?? "latest"]: version },
    versions: {
      [version]: {
        name,
        version,
        _id: `${name}@${version}`,
        description: "from the body, never trusted",
        dist: { integrity: options.integrity ?? sri(tarball), shasum: createHash("sha1").update(tarball).digest("hex"), tarball: `http://x/${file}` },
      },
    },
    access: null,
    _attachments: { [file]: { content_type: "application/octet-stream", data: tarball.toString("base64"), length: tarball.length } },
  };
}

/** `PUT /NAME` (npm's escaped form) with a JSON body and, when given, a bearer token. */
export async function put(url: string, name: string, body: unknown, token?: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/${name.replace("/", "%2f")}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

/** Publishes `tarball` as `name@version` with `token`. */
export function publish(url: string, name: string, version: string, tarball: Buffer, token: string, options?: { integrity?: string; tag?: string }) {
  return put(url, name, publishBody(name, version, tarball, options), token);
}

/** Every file under `dir` (but the signing key) with its sha256: what "nothing changed on disk" compares. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, entry);
    if (fs.statSync(file).isFile()) files[entry] = createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  }
  return files;
}
