import { verify } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KEY_FILE, loadSigner } from "./signatures.js";

describe("loadSigner", () => {
  it("makes a P-256 key once, mode 0600, and signs what pacote verifies", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-key-"));
    try {
      const signer = await loadSigner(dir);
      expect(fs.statSync(path.join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
      expect((await loadSigner(dir)).publicKey).toEqual(signer.publicKey);
      const { keyid, sig } = signer.sign("@a/b", "1.0.0", "sha512-abc");
      expect(keyid).toBe(signer.publicKey.keyid);
      const pem = `-----BEGIN PUBLIC KEY-----\n${signer.publicKey.key}\n-----END PUBLIC KEY-----`;
      const check = (message: string) => verify("SHA256", Buffer.from(message), { key: pem, format: "pem", type: "spki" }, Buffer.from(sig, "base64"));
      expect(check("@a/b@1.0.0:sha512-abc")).toBe(true);
      expect(check("@a/b@1.0.1:sha512-abc")).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([KEY_FILE]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
