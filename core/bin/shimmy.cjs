#!/usr/bin/env node
// Launches the compiled CLI (`npm install` builds it through the root `prepare` script).
//
// llama.cpp must always be driven from one thread. node-llama-cpp runs each evaluation on a
// libuv pool thread, and with the default pool of 4 successive evaluations hop between threads:
// on a 2-core machine that cut generation at 2 threads from 167 to 54 tokens/s (bench/). A pool
// of one thread keeps every evaluation on the same thread. libuv reads the size when its pool
// first starts, before any ES module could set it, so this launcher is CommonJS (loaded without
// the pool) and sets it before importing the ES module CLI. A size the user set is kept.
"use strict";
process.env.UV_THREADPOOL_SIZE ??= "1";
import("../dist/cli/main.js").catch((err) => {
  process.stderr.write(`shimmy: cannot start (${err && err.message}). Run npm install first.\n`);
  process.exitCode = 1;
});
