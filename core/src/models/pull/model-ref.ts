/**
 * What `shimmy pull` is asked for: `org/repo[:QUANT]`, or Ollama's spelling `hf.co/org/repo:QUANT`
 * (also `huggingface.co/…` and a full `https://huggingface.co/org/repo` address). Pure.
 */
import { PullError } from "./pull-error.js";

/** A Hugging Face repository and, if named, the quantization wanted from it. */
export interface ModelRef {
  /** `org/repo`, as the hub spells it. */
  repo: string;
  /** `Q4_K_M`, upper-cased; null to take the default order. */
  quant: string | null;
}

// The hub's own rule for repository names: letters, digits, `-`, `_`, `.`; no `--` or `..`.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const HOSTS = ["hf.co/", "huggingface.co/", "www.huggingface.co/"];

/**
 * Parses a model reference; a `QUANT` of `latest` means "the default" as Ollama treats it.
 *
 * @example
 * parseModelRef("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:q4_k_m")
 * // → { repo: "bartowski/Llama-3.2-1B-Instruct-GGUF", quant: "Q4_K_M" }
 * @throws PullError `invalid_reference` when it names no `org/repo`.
 */
export function parseModelRef(text: string): ModelRef {
  let rest = text.trim().replace(/^https?:\/\//i, "");
  const host = HOSTS.find((h) => rest.toLowerCase().startsWith(h));
  if (host) rest = rest.slice(host.length);
  const colon = rest.lastIndexOf(":");
  const quantText = colon === -1 ? "" : rest.slice(colon + 1).trim();
  if (colon !== -1) rest = rest.slice(0, colon);
  const parts = rest.replace(/\/+$/, "").split("/");
  const valid = parts.length === 2 && parts.every((p) => NAME.test(p) && !p.includes("--") && !p.includes(".."));
  if (!valid) {
    throw new PullError("invalid_reference", `"${text}" is not a Hugging Face model: expected ORG/REPO[:QUANT] or hf.co/ORG/REPO:QUANT`);
  }
  if (colon !== -1 && !/^[A-Za-z0-9_]+$/.test(quantText)) {
    throw new PullError("invalid_reference", `"${text}" names no quantization after ":" (such as Q4_K_M)`);
  }
  const quant = quantText === "" || quantText.toLowerCase() === "latest" ? null : quantText.toUpperCase();
  return { repo: parts.join("/"), quant };
}
