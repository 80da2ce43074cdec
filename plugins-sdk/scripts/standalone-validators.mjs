// Part of `npm run build` (after tsc): compiles the validators that every `shimmy` command start
// would otherwise compile, with ajv's standalone code, into dist/ (src/standalone-validator.ts says
// how they are used, and why a stale one is never used).
import { writeFileSync } from "node:fs";
import { MANIFEST_AJV_OPTIONS, MANIFEST_SCHEMA, MANIFEST_VALIDATOR_FILE } from "../dist/manifest.js";
import { standaloneSource } from "../dist/standalone-validator.js";

writeFileSync(MANIFEST_VALIDATOR_FILE, standaloneSource(MANIFEST_SCHEMA, MANIFEST_AJV_OPTIONS));
