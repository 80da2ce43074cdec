/**
 * Why a pull failed, as a code the CLI and the admin route word alike. A pull failure is about the
 * network, the hub or the disk, never a bug, so the CLI prints its message alone and exits 1.
 */

/** Every way a pull can fail. */
export type PullErrorCode =
  | "invalid_reference"
  | "repo_not_found"
  | "gated"
  | "no_gguf"
  | "quant_not_found"
  | "checksum_mismatch"
  | "download_failed"
  | "timeout"
  | "disk_full"
  | "busy";

/**
 * A pull that cannot go on; the message says what to do.
 *
 * @example
 * throw new PullError("repo_not_found", `${repo} is not a model on ${endpoint}`);
 */
export class PullError extends Error {
  readonly code: PullErrorCode;

  constructor(code: PullErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PullError";
    this.code = code;
  }
}
