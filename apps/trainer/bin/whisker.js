#!/usr/bin/env node
// The CLI is TypeScript run directly by Node 24 (type stripping); this shim gives npm a `bin` target.
await import('../src/cli.ts')
