#!/usr/bin/env node
// The `llmwatch` CLI. Sources are TypeScript, run through tsx (a runtime dependency) without a build step.
import { register } from 'tsx/esm/api'

register()
const { run } = await import('./cli.ts')
process.exitCode = await run(process.argv.slice(2))
