/**
 * A mistake in a command line (an unknown flag, a missing argument): the command prints it with a
 * pointer to its `--help` and exits 2, unlike a failure of the work itself (exit 1).
 */

/**
 * Thrown while parsing a command's arguments; the command group catches it and words it.
 *
 * @example
 * if (positionals.length !== 1) throw new UsageError("expects one model ID");
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Checks the server URL a client command was given (`--url`, else `SHIMMY_URL`).
 * @throws UsageError unless it is an http:// or https:// URL.
 */
export function checkServerUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = "";
  }
  if (protocol !== "http:" && protocol !== "https:") throw new UsageError(`--url must be an http:// or https:// URL, got "${url}"`);
}
