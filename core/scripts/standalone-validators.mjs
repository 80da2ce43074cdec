// Part of `npm run build` (after tsc): compiles the validators that every `shimmy` command start
// would otherwise compile, with ajv's standalone code, into dist/ (plugins-sdk's
// src/standalone-validator.ts says how they are used, and why a stale one is never used).
import { writeFileSync } from "node:fs";
import { standaloneSource } from "@shimmy/plugin-sdk";
import { LOCK_VALIDATOR } from "../dist/plugins/store/lock-file.js";

for (const { file, schema, options } of [LOCK_VALIDATOR]) writeFileSync(file, standaloneSource(schema, options));
