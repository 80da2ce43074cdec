/** Random ids in OpenAI's look: a prefix, a dash or underscore, and 24 letters and digits. */
import { randomBytes } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * `prefix` followed by 24 random alphanumerics (~142 bits, never repeated in practice), e.g.
 * `randomId("chatcmpl-")` or `randomId("call_")`.
 */
export function randomId(prefix: string): string {
  // 248 is the largest multiple of 62 below 256: rejecting the bytes above it keeps letters uniform.
  let out = "";
  while (out.length < 24) {
    for (const byte of randomBytes(32)) {
      if (byte < 248 && out.length < 24) out += ALPHABET[byte % 62];
    }
  }
  return prefix + out;
}
