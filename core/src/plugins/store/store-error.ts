/** The error every plugin-store operation fails with: a code for programs, a message for people. */
import { CodedError } from "@shimmy/plugin-sdk";

/** Why a store operation failed. */
export type StoreErrorCode =
  | "invalid_package" // not a readable package, or its manifest/module is invalid
  | "unsafe_package" // an entry that could write outside the store, or past a cap
  | "unsupported_core" // the manifest's `shimmy` range excludes this core
  | "not_installed"
  | "invalid_config" // a `key=value` the plugin's config schema refuses
  | "cancelled" // the user said no
  | "busy" // another shimmy process is changing the store
  | "corrupt_store"; // the lock file or secrets file cannot be read

/** A coded failure of the plugin store. */
export class StoreError extends CodedError<StoreErrorCode> {}
