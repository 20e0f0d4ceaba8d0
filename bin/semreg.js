#!/usr/bin/env node
// The `semreg` command: loads the TypeScript CLI through tsx's CommonJS hook (no build step).
require('tsx/cjs');
require('../src/cli/main.ts');
