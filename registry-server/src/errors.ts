/**
 * The one error class the registry throws on purpose, and the catalog of its codes. One middleware
 * renders it as npm's error body, `{"error": "message", "code": "..."}` (the npm CLI prints
 * `error` or `reason`); 4xx messages reach the client, 5xx are replaced by a generic line and only
 * logged, as Koa does with `expose`.
 */

/** Every error code the registry answers with, and its HTTP status. */
export const REGISTRY_ERRORS = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_package: 400,
  unsafe_package: 400,
  invalid_manifest: 400,
  invalid_module: 400,
  integrity_mismatch: 400,
  name_mismatch: 400,
  unauthorized: 401,
  forbidden: 403,
  name_reserved: 403,
  name_too_similar: 403,
  not_owner: 403,
  unpublish_forbidden: 403,
  registration_closed: 403,
  not_found: 404,
  version_exists: 409,
  user_exists: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
} as const satisfies Record<string, number>;

/** One of the registry's error codes. */
export type RegistryErrorCode = keyof typeof REGISTRY_ERRORS;

/** An error with the HTTP status of its code; `expose` as Koa means it (4xx: shown to the client). */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RegistryError";
    this.code = code;
    this.status = REGISTRY_ERRORS[code];
    this.expose = this.status < 500;
  }
}
