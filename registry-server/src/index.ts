/** `@shimmy/registry-server`: the plugin registry as a library (the CLI is `shimmy-registry`). */
export { Accounts, readTokenFile, type Account, type AccountsOptions } from "./accounts.js";
export { createRegistryApp, DEFAULT_BODY_LIMIT, type RegistryAppOptions } from "./app.js";
export { REGISTRY_ERRORS, RegistryError, type RegistryErrorCode } from "./errors.js";
export { matchesIntegrity, sha1Hex, sha512Integrity } from "./integrity.js";
export { isValidName, parsePackagePath, RESERVED_NAMES, splitNamePath, tarballPath, tooSimilar } from "./names.js";
export { PACKAGE_CAPS, readPackage, type PackageCaps } from "./package-reader.js";
export { Registry, type RegistryOptions } from "./registry.js";
export { latestVersion, packument, pickVersion, type Packument, type PackumentVersion } from "./resolve.js";
export { SearchIndex, searchPackages, type SearchObject, type SearchQuery, type SearchResult } from "./search.js";
export { startRegistry, type RunningRegistry, type StartRegistryOptions } from "./server.js";
export { loadSigner, signedMessage, Signer, type DistSignature, type RegistryKey } from "./signatures.js";
export { DiskStorage, type DiskStorageOptions } from "./storage/disk-storage.js";
export type { AccountsRecord, PackageRecord, RegistryStorage, UserRecord, VersionRecord } from "./storage/storage.js";
