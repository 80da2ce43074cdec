/**
 * Why `shimmy serve` cannot start, when the person who started it can fix it: a busy port, a `--model`
 * file that is missing or not a model, a `--gpu` backend this machine cannot use. The CLI prints the
 * message as one line, without a stack, and exits with status 1 (as llama.cpp's server does).
 */
export class StartupError extends Error {
  /**
   * @param message what is wrong and what to do about it, in one sentence without a trailing period,
   *   e.g. `port 11435 is in use: is another Shimmy running? Use --port to pick another`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StartupError";
  }
}
