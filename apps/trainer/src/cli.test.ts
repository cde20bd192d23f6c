import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '@whisker/fixtures'
import { describe, expect, it } from 'vitest'

/**
 * The root README names the CLI's commands in its table of workspaces (`whisker train`, `evaluate`, …);
 * checked against the CLI's own help, so a command added or renamed fails here until the README says so.
 */
describe('whisker --help', () => {
  it('lists exactly the commands the root README names for apps/trainer', () => {
    const help = execFileSync(process.execPath, [join(import.meta.dirname, 'cli.ts'), '--help'], {
      encoding: 'utf8',
    })
    const commands = [...help.split('Commands:')[1]!.matchAll(/^ {2}(\w+) /gm)]
      .map((m) => m[1]!)
      .filter((command) => command !== 'help') // commander's own
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    const row = /^\| `apps\/trainer` +\|[^|]+\| (.+?) +\|$/m.exec(readme)?.[1] ?? ''
    const named = [...row.matchAll(/`(?:whisker )?(\w+)`/g)].map((m) => m[1]!)
    expect(named).toEqual(commands)
    expect(commands.length).toBeGreaterThan(1)
  }, 60_000)
})
