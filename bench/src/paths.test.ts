import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, repoRelative } from './paths.ts'

describe('repoRelative: the paths the published results print', () => {
  it('names the inputs beside the repository as ../shared/…, not by this machine’s absolute path', () => {
    expect(repoRelative(join(REPO_ROOT, '..', 'shared', 'datasets', 'dogs-vs-cats', 'train'))).toBe(
      '../shared/datasets/dogs-vs-cats/train',
    )
  })

  it('names files inside the repository from its root', () => {
    expect(repoRelative(join(REPO_ROOT, 'bench', 'results', 'model.json'))).toBe('bench/results/model.json')
    expect(repoRelative(REPO_ROOT)).toBe('.')
  })
})
