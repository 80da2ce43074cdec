#!/usr/bin/env node
// Launches the compiled CLI (`npm install` builds it through the root `prepare` script).
//
// The server keeps libuv's default pool (file reads, DNS, zlib and crypto of the server and its
// plugins run there). llama.cpp runs in one runner process per loaded model
// (dist/engine/runner/), which pins its own pool to one thread: node-llama-cpp runs each
// evaluation on a pool thread, and with more threads successive evaluations hop between them.
"use strict";
import("../dist/cli/main.js").catch((err) => {
  process.stderr.write(`shimmy: cannot start (${err && err.message}). Run npm install first.\n`);
  process.exitCode = 1;
});
