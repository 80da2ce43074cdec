/** The error of every check on a plugin's wasm module, in the SDK, the registry and the core. */
import { CodedError } from "./coded-error.js";

/**
 * Why a module was refused: not valid or not allowed (`invalid_module`), asking past its
 * permissions (`permission_denied`), a memory without a maximum within the manifest's cap
 * (`memory_limit`), or a start function or `hs_init` that does not return (`start_failed`).
 */
export type ModuleCheckCode = "invalid_module" | "permission_denied" | "memory_limit" | "start_failed";

/** A refused module; the registry answers it as a 400, the core as a failed load. */
export class ModuleCheckError extends CodedError<ModuleCheckCode> {}
