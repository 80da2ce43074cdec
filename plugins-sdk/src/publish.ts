/**
 * `publishPlugin`: builds and packs a plugin (the bytes `shimmy-plugin pack` writes) and publishes
 * it as `npm publish` does: `PUT /NAME` with a packument of one version and the tarball attached
 * as base64 (libnpmpublish's body), under a bearer token.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import semver from "semver";
import { packageJsonFor, packPlugin, tarballName } from "./pack.js";
import { packageUrlPath, registryRequest, RegistryRequestError } from "./registry-client.js";

/** The dist-tag a publish moves unless told otherwise. */
export const DEFAULT_TAG = "latest";

/**
 * Whether `tag` can be a dist-tag: a name such as `latest` or `beta`, never something npm would
 * read as a version or range (the registry's own rule).
 */
export function isValidTag(tag: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(tag) && semver.validRange(tag) === null;
}

/** The `dist` of one version: sha512 SRI, sha1 hex and where the registry serves the tarball. */
export interface PublishDist {
  integrity: string;
  shasum: string;
  tarball: string;
}

/** `REGISTRY/NAME/-/BARE-VERSION.tgz`, npm's tarball URL (`@scope/name/-/name-1.0.0.tgz`). */
export function tarballUrl(registry: string, name: string, version: string): string {
  return `${registry}/${name}/-/${name.split("/").pop()}-${version}.tgz`;
}

/**
 * The body of `PUT /NAME` for one version: its `package.json` fields with `_id` and `dist`,
 * `dist-tags` pointing `tag` at it, and the tarball in `_attachments` (npm's `NAME-VERSION.tgz`).
 *
 * @example
 * const body = publishBody(pkg, bytes, { registry: "http://127.0.0.1:4873", tag: "latest" });
 * body.versions["1.0.0"].dist.integrity // "sha512-…"
 */
export function publishBody(pkg: Record<string, unknown> & { name: string; version: string }, tarball: Uint8Array, options: { registry: string; tag?: string }): Record<string, unknown> & { versions: Record<string, Record<string, unknown> & { dist: PublishDist }> } {
  const { name, version } = pkg;
  const bytes = Buffer.from(tarball);
  const dist: PublishDist = {
    integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
    shasum: createHash("sha1").update(bytes).digest("hex"),
    tarball: tarballUrl(options.registry, name, version),
  };
  return {
    _id: name,
    name,
    description: pkg.description,
    "dist-tags": { [options.tag ?? DEFAULT_TAG]: version },
    versions: { [version]: { ...pkg, _id: `${name}@${version}`, dist } },
    access: null,
    _attachments: { [`${name}-${version}.tgz`]: { content_type: "application/octet-stream", data: bytes.toString("base64"), length: bytes.length } },
  };
}

/** Options of {@link publishPlugin}. */
export interface PublishOptions {
  /** The registry, normalized (`http://host:port`, no trailing slash). */
  registry: string;
  /** Sent as `Authorization: Bearer TOKEN`. */
  token: string;
  /** The dist-tag to point at the new version. @default "latest" */
  tag?: string;
}

/** What {@link publishPlugin} published. */
export interface PublishResult {
  name: string;
  version: string;
  tag: string;
  /** `sha512-…` of the tarball, which the registry confirmed. */
  integrity: string;
  /** Hex sha1 of the tarball. */
  shasum: string;
  /** Where the registry serves the tarball. */
  tarball: string;
  /** The tarball's size in bytes. */
  size: number;
  registry: string;
}

/**
 * Builds, packs and publishes the plugin in `dir`. The tarball is packed into a temporary folder
 * (the plugin folder keeps no `.tgz`), and is byte for byte what `shimmy-plugin pack` writes.
 *
 * @throws RangeError when `tag` is not a dist-tag; PluginBuildError when the plugin does not build
 * or pack; RegistryRequestError when the registry refuses it or cannot be reached.
 */
export async function publishPlugin(dir: string, options: PublishOptions): Promise<PublishResult> {
  const tag = options.tag ?? DEFAULT_TAG;
  if (!isValidTag(tag)) throw new RangeError(`tag: ${JSON.stringify(tag)} is not a dist-tag (a name such as "latest" or "beta", never a version or range)`);
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-plugin-publish-"));
  try {
    const packed = await packPlugin(dir, { out: path.join(stage, "package.tgz") });
    const { manifest } = packed;
    const bytes = await fs.readFile(packed.file);
    const pkg = { ...packageJsonFor(manifest, packed.wasmSha256), name: manifest.name, version: manifest.version };
    const body = publishBody(pkg, bytes, { registry: options.registry, tag });
    const { dist } = body.versions[manifest.version]!;
    const answer = await registryRequest("PUT", packageUrlPath(manifest.name), { registry: options.registry, token: options.token, body });
    if (typeof answer.integrity === "string" && answer.integrity !== dist.integrity) {
      throw new RegistryRequestError(`${options.registry} stored ${tarballName(manifest.name, manifest.version)} with integrity ${answer.integrity}, not the ${dist.integrity} sent`, 201);
    }
    return { name: manifest.name, version: manifest.version, tag, integrity: dist.integrity, shasum: dist.shasum, tarball: dist.tarball, size: bytes.length, registry: options.registry };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}
