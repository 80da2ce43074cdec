import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha512Integrity, verifyIntegrity } from "./integrity.js";
import { decideKeyTrust } from "./key-pins.js";
import type { PackumentVersion } from "./packument.js";
import { keyIdOf, signedMessage, verifyVersionSignature, type RegistryKey } from "./signatures.js";

/** A registry key as `GET /-/npm/v1/keys` lists it, and a signer with it. */
function registryKey(): { key: RegistryKey; sign(v: PackumentVersion): PackumentVersion } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const der = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const key: RegistryKey = { keyid: keyIdOf(der), key: der, keytype: "ecdsa-sha2-nistp256", scheme: "ecdsa-sha2-nistp256", expires: null };
  return {
    key,
    sign: (v) => {
      const sig = sign("sha256", Buffer.from(signedMessage(v.name, v.version, v.dist.integrity!)), privateKey).toString("base64");
      return { ...v, dist: { ...v.dist, signatures: [{ keyid: key.keyid, sig }] } };
    },
  };
}

const tarball = Buffer.from("a plugin package");
const unsigned: PackumentVersion = { name: "time", version: "1.0.0", dist: { tarball: "http://r/time/-/time-1.0.0.tgz", integrity: sha512Integrity(tarball) } };

describe("verifyVersionSignature", () => {
  it("verifies `${name}@${version}:${integrity}` with the registry's key, as pacote does", () => {
    const registry = registryKey();
    expect(verifyVersionSignature(registry.sign(unsigned), [registry.key])).toBe(registry.key.keyid);
  });

  it("refuses a tampered packument, an unknown key, a missing signature and a key expired before publishing", () => {
    const registry = registryKey();
    const signed = registry.sign(unsigned);
    const tampered = { ...signed, dist: { ...signed.dist, integrity: sha512Integrity(Buffer.from("evil")) } };
    expect(() => verifyVersionSignature(tampered, [registry.key])).toThrow(expect.objectContaining({ code: "signature_invalid", message: expect.stringMatching(/does not verify/) }));
    expect(() => verifyVersionSignature({ ...signed, version: "1.0.1" }, [registry.key])).toThrow(/does not verify/);
    expect(() => verifyVersionSignature(signed, [registryKey().key])).toThrow(/not among the keys trusted/);
    expect(() => verifyVersionSignature(unsigned, [registry.key])).toThrow(/carries no registry signature/);
    expect(() => verifyVersionSignature(signed, [{ ...registry.key, expires: "2020-01-01T00:00:00Z" }], "2021-01-01T00:00:00Z")).toThrow(/expired/);
  });
});

describe("verifyIntegrity", () => {
  it("accepts the sha512 of the bytes and refuses other bytes or a package with no sha512", () => {
    expect(() => verifyIntegrity(tarball, unsigned.dist.integrity, "time@1.0.0")).not.toThrow();
    expect(() => verifyIntegrity(Buffer.from("tampered"), unsigned.dist.integrity, "time@1.0.0")).toThrow(expect.objectContaining({ code: "integrity_mismatch" }));
    expect(() => verifyIntegrity(tarball, "sha1-abc", "time@1.0.0")).toThrow(/no sha512 integrity/);
  });
});

describe("decideKeyTrust", () => {
  const url = "http://127.0.0.1:4873";

  it("pins the served keys on first use and trusts only the pinned ones after", () => {
    const a = registryKey().key;
    expect(decideKeyTrust(url, [a], undefined)).toEqual({ keys: [a], pin: [a], unsigned: false });
    expect(decideKeyTrust(url, [a], [a])).toEqual({ keys: [a], pin: null, unsigned: false });
    expect(decideKeyTrust(url, [], undefined)).toEqual({ keys: [], pin: null, unsigned: true });
  });

  it("refuses a changed key, saying how to accept it, and accepts it when told", () => {
    const [a, b] = [registryKey().key, registryKey().key];
    expect(() => decideKeyTrust(url, [b], [a], { retry: "shimmy plugin add time" })).toThrow(expect.objectContaining({ code: "key_changed", message: expect.stringContaining("shimmy plugin add time --accept-new-key") }));
    expect(() => decideKeyTrust(url, [], [a])).toThrow(/now serves no signing key/);
    expect(decideKeyTrust(url, [b], [a], { acceptNewKey: true })).toEqual({ keys: [b], pin: [b], unsigned: false });
  });

  it("refuses a key listed under another key's id", () => {
    const [a, b] = [registryKey().key, registryKey().key];
    expect(() => decideKeyTrust(url, [{ ...b, keyid: a.keyid }], undefined)).toThrow(expect.objectContaining({ code: "bad_response" }));
  });
});
