#!/usr/bin/env node
// The compiled CLI; `npm install` builds it (the root `prepare` script).
import "../dist/cli/main.js";
