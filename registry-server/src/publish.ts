/**
 * Checks one `npm publish` body (libnpmpublish's shape: `versions` with one version, `dist-tags`,
 * and the tarball base64 in `_attachments`) and derives the version to store from the tarball
 * itself: the body only says which name and version are meant, and what integrity the client
 * computed. Nothing here touches storage; ownership and name rules are the registry's.
 */
import { checkModule, checkModuleStarts, ModuleCheckError, validateManifest, type PluginManifest } from "@shimmy/plugin-sdk";
import { RegistryError } from "./errors.js";
import { matchesIntegrity, sha1Hex, sha512Integrity } from "./integrity.js";
import { PACKAGE_CAPS, readPackage, type PackageCaps } from "./package-reader.js";

/** A checked publish, ready to be signed and stored. */
export interface PublishCandidate {
  name: string;
  version: string;
  tarball: Buffer;
  integrity: string;
  shasum: string;
  packageJson: Record<string, unknown>;
  plugin: Record<string, unknown>;
  manifest: PluginManifest;
  readme?: string;
  /** The dist-tags the body points at this version; `latest` when it names none. */
  tags: string[];
}

/** The most bytes of package.json or shimmy-plugin.json read as JSON. */
const MAX_JSON_FILE = 1024 * 1024;
/** The most bytes of README kept for the packument. */
const MAX_README = 256 * 1024;

const bad = (message: string) => new RegistryError("invalid_request", message);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeBase64(data: string, caps: PackageCaps): Buffer {
  // Buffer.from skips characters that are not base64; refuse them instead of guessing.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) throw bad("the attachment's data is not base64");
  if ((data.length / 4) * 3 > caps.maxTarballBytes + 2) {
    throw new RegistryError("payload_too_large", `the package is larger than ${caps.maxTarballBytes} bytes, the most a package may be`);
  }
  return Buffer.from(data, "base64");
}

function jsonFile(files: Map<string, Buffer>, file: string): Record<string, unknown> {
  const bytes = files.get(file);
  if (!bytes) throw new RegistryError("invalid_package", `the package has no package/${file}`);
  if (bytes.length > MAX_JSON_FILE) throw new RegistryError("invalid_package", `package/${file} is larger than ${MAX_JSON_FILE} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new RegistryError("invalid_package", `package/${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new RegistryError("invalid_package", `package/${file} is not a JSON object`);
  return value;
}

/**
 * Checks a publish of `name` and returns what to store.
 *
 * @throws {RegistryError} a 4xx naming the first problem: the body's shape, the tarball's size,
 *   integrity, entries, package.json and manifest, name and version, or the wasm module.
 */
export async function checkPublish(name: string, body: Record<string, unknown>, caps: PackageCaps = PACKAGE_CAPS): Promise<PublishCandidate> {
  if (body.name !== undefined && body.name !== name) throw new RegistryError("name_mismatch", `the body publishes "${String(body.name)}" but the URL names "${name}"`);
  const versions = body.versions;
  if (!isObject(versions) || Object.keys(versions).length !== 1) throw bad("a publish carries exactly one version in `versions`");
  const [version, declared] = Object.entries(versions)[0]!;
  const attachments = body._attachments;
  if (!isObject(attachments) || Object.keys(attachments).length !== 1) throw bad("a publish carries exactly one tarball in `_attachments`");
  const attachment = Object.values(attachments)[0];
  if (!isObject(attachment) || typeof attachment.data !== "string") throw bad("the attachment has no base64 `data`");

  const tarball = decodeBase64(attachment.data, caps);
  if (attachment.length !== undefined && attachment.length !== tarball.length) {
    throw new RegistryError("integrity_mismatch", `the attachment says it is ${String(attachment.length)} bytes but its data is ${tarball.length}`);
  }
  const dist = isObject(declared) && isObject(declared.dist) ? declared.dist : {};
  if (typeof dist.integrity === "string" && !matchesIntegrity(tarball, dist.integrity)) {
    throw new RegistryError("integrity_mismatch", `the tarball does not match the declared integrity ${dist.integrity}; it was changed or corrupted on the way`);
  }
  const shasum = sha1Hex(tarball);
  if (typeof dist.shasum === "string" && dist.shasum.toLowerCase() !== shasum) {
    throw new RegistryError("integrity_mismatch", `the tarball's sha1 is ${shasum}, not the declared shasum ${dist.shasum}`);
  }

  const files = await readPackage(tarball, caps);
  const packageJson = jsonFile(files, "package.json");
  const plugin = jsonFile(files, "shimmy-plugin.json");
  if (packageJson.name !== name || packageJson.version !== version) {
    throw new RegistryError("name_mismatch", `the tarball's package.json is ${String(packageJson.name)}@${String(packageJson.version)}, but the request publishes ${name}@${version}`);
  }
  const validation = validateManifest(plugin);
  if (!validation.ok) {
    const problems = validation.errors.map((e) => `${e.path || "(root)"} ${e.message}`).join("; ");
    throw new RegistryError("invalid_manifest", `package/shimmy-plugin.json is not a valid manifest: ${problems}`);
  }
  const manifest = validation.manifest;
  if (manifest.name !== name || manifest.version !== version) {
    throw new RegistryError("name_mismatch", `shimmy-plugin.json is ${manifest.name}@${manifest.version}, but package.json is ${name}@${version}`);
  }
  const wasm = files.get("plugin.wasm");
  if (!wasm) throw new RegistryError("invalid_package", "the package has no package/plugin.wasm");
  // The SDK's check, the one the core runs at load: a module published here also loads there.
  // The SDK's checks, the ones the core runs at install: a module published here also installs there,
  // and never hangs the server that loads it.
  try {
    await checkModule(wasm, manifest);
    await checkModuleStarts(wasm);
  } catch (error) {
    throw error instanceof ModuleCheckError ? new RegistryError("invalid_module", error.message, { cause: error }) : error;
  }

  const readme = files.get("README.md");
  const distTags = isObject(body["dist-tags"]) ? body["dist-tags"] : {};
  const tags = Object.entries(distTags).filter(([, v]) => v === version).map(([tag]) => tag);
  return {
    name,
    version,
    tarball,
    integrity: sha512Integrity(tarball),
    shasum,
    packageJson,
    plugin,
    manifest,
    ...(readme ? { readme: readme.subarray(0, MAX_README).toString("utf8") } : {}),
    tags: tags.length > 0 ? tags : ["latest"],
  };
}
