#!/usr/bin/env node
// Launches the compiled CLI (`npm install` builds it through the root `prepare` script). A
// committed launcher, so npm links an executable file even before the build has run.
import { runCli } from "../dist/cli.js";

process.exitCode = await runCli(process.argv.slice(2));
