#!/usr/bin/env node
// The `reelay` bin (package.json): a thin client of the admin API. See README.md here.
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2));
