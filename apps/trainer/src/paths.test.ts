import { homedir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { displayPath, displayPathsIn, REPO_ROOT } from './paths.ts'

describe('displayPath', () => {
  it('prints a path inside the repository relative to its root', () => {
    expect(displayPath(join(REPO_ROOT, 'apps', 'edge-api', 'model'))).toBe(join('apps', 'edge-api', 'model'))
    expect(displayPath(REPO_ROOT)).toBe('.')
  })

  it('prints ../shared beside the repository relative to it', () => {
    expect(displayPath(join(REPO_ROOT, '..', 'shared', 'models'))).toBe(join('..', 'shared', 'models'))
  })

  it('prints a path under the home folder without naming the machine, anything else whole', () => {
    // ~/… when the repository is elsewhere, ../… when it is under the home folder too: never /root/….
    expect(displayPath(join(homedir(), '.cache', 'whisker'))).toMatch(/^(~|\.\.)\//)
    expect(displayPath('/nonexistent/model')).toBe('/nonexistent/model')
  })
})

describe('displayPathsIn', () => {
  it('prints every absolute path of a message as displayPath does, and leaves URLs and the rest alone', () => {
    const models = join(REPO_ROOT, '..', 'shared', 'models', 'mobilenet_v2_1.0')
    const message = `Backbone not found. Looked in: ${models}, /nonexistent/x. Its weights come from https://example.org/a/model.json.`
    expect(displayPathsIn(message)).toBe(
      `Backbone not found. Looked in: ${join('..', 'shared', 'models', 'mobilenet_v2_1.0')}, /nonexistent/x. Its weights come from https://example.org/a/model.json.`,
    )
  })
})
