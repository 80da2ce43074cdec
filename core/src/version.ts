/** The version of `@shimmy/core`, which plugins' `shimmy` ranges are checked against. */
import { createRequire } from "node:module";

/** `@shimmy/core`'s package version, e.g. `0.1.0`. */
export const CORE_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
