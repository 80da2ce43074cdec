/**
 * The base of the small coded errors that are not HTTP errors (a refused package or module here;
 * a plugin call's and the plugin store's in the core): a `code` for programs to switch on, a
 * message for people, and the error it wraps as `cause`.
 */

/**
 * An error with a code from the set `C`; subclasses name the set and are named after themselves.
 *
 * @example
 * class PackageError extends CodedError<PackageErrorCode> {}
 * throw new PackageError("invalid_package", "the package is not a gzipped tarball");
 */
export class CodedError<C extends string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}
