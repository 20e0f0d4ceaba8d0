#!/usr/bin/env node
// The `semreg` command: the CLI compiled to dist/ by `npm install` (scripts/build.mjs).
require('../dist/cli/main.js');
