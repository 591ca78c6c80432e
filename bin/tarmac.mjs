#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, from wherever the command is started.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
