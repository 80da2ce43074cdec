/**
 * Registry signatures in npm's scheme: one ECDSA P-256 key, published at `GET /-/npm/v1/keys`,
 * signs `${name}@${version}:${integrity}` for every version the registry accepts. pacote and
 * `npm audit signatures` verify `dist.signatures[].sig` (base64 DER) with the key whose `keyid`
 * is `SHA256:` + base64 sha256 of its SPKI DER.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeNewFile } from "@shimmy/plugin-sdk";

/** One entry of `GET /-/npm/v1/keys`, exactly as npm reads it. */
export interface RegistryKey {
  expires: string | null;
  keyid: string;
  keytype: "ecdsa-sha2-nistp256";
  scheme: "ecdsa-sha2-nistp256";
  /** base64 of the SPKI DER public key. */
  key: string;
}

/** One entry of a version's `dist.signatures`. */
export interface DistSignature {
  keyid: string;
  sig: string;
}

/** The file in the data folder that holds the private key (PKCS#8 PEM, mode 0600). */
export const KEY_FILE = "signing-key.pem";

/** The message npm signs for a version. */
export function signedMessage(name: string, version: string, integrity: string): string {
  return `${name}@${version}:${integrity}`;
}

/** Signs versions with one private key. */
export class Signer {
  readonly publicKey: RegistryKey;
  private readonly privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    this.privateKey = privateKey;
    const der = createPublicKey(privateKey).export({ type: "spki", format: "der" });
    this.publicKey = {
      expires: null,
      keyid: `SHA256:${createHash("sha256").update(der).digest("base64")}`,
      keytype: "ecdsa-sha2-nistp256",
      scheme: "ecdsa-sha2-nistp256",
      key: der.toString("base64"),
    };
  }

  /** The `dist.signatures` entry for `name@version` with this `integrity`. */
  sign(name: string, version: string, integrity: string): DistSignature {
    const sig = sign("sha256", Buffer.from(signedMessage(name, version, integrity)), this.privateKey);
    return { keyid: this.publicKey.keyid, sig: sig.toString("base64") };
  }
}

/**
 * Loads the key kept in `dataDir`, or makes one on first start (mode 0600: no other user reads it).
 */
export async function loadSigner(dataDir: string): Promise<Signer> {
  const file = path.join(dataDir, KEY_FILE);
  const existing = await fs.readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (existing !== null) return new Signer(createPrivateKey(existing));
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  // A crash never leaves a half key; when another process made one first, theirs is used.
  if (await writeNewFile(file, pem, 0o600)) return new Signer(privateKey);
  return new Signer(createPrivateKey(await fs.readFile(file, "utf8")));
}
