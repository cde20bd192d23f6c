import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { copyPhotos, STACK_FRAME, unseenPhotos, whisker, writeTruncatedJpeg } from '../../test/support.ts'
import { OVERLAY_SIZE } from '../explain/overlay.ts'

const model = inject('trainedModel')

/** The submission's rows as [id, probability], after checking the header. */
async function readSubmission(path: string): Promise<[string, number][]> {
  const [header, ...lines] = (await readFile(path, 'utf8')).trimEnd().split('\n')
  expect(header).toBe('id,label')
  return lines.map((line) => {
    const [id, label] = line.split(',')
    return [id!, Number(label)]
  })
}

describe('whisker predict', () => {
  let photos = ''
  let out = ''
  /** Known classes behind the anonymous ids: 1–6 cats, 7–12 and 100 dogs. */
  const dogs = new Set(['7', '8', '9', '10', '11', '12', '100'])

  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'whisker-predict-'))
    photos = join(root, 'test')
    out = join(root, 'out')
    const cats = await unseenPhotos(model, 'cat', 6)
    const dogPhotos = await unseenPhotos(model, 'dog', 7)
    await copyPhotos(photos, {
      ...Object.fromEntries(cats.map((name, i) => [`${i + 1}.jpg`, name])),
      ...Object.fromEntries(dogPhotos.slice(0, 6).map((name, i) => [`${i + 7}.jpg`, name])),
      '100.jpg': dogPhotos[6]!,
    })
    await writeTruncatedJpeg(join(photos, '13.jpg'))
    await writeFile(join(photos, 'readme.txt'), 'not a photo')
  })

  it('writes id,label rows with P(dog), in numeric id order, unreadable photos as 0.5', async () => {
    const submission = join(out, 'plain', 'submission.csv')
    const { code, stdout, stderr } = await whisker(
      'predict',
      '--model',
      model,
      '--data',
      photos,
      '--submission',
      submission,
    )
    expect(code, stderr).toBe(0)
    const rows = await readSubmission(submission)
    expect(rows.map(([id]) => id)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '11',
      '12',
      '13',
      '100',
    ])
    expect(Object.fromEntries(rows)['13']).toBe(0.5)
    expect(stderr).toMatch(/unreadable, written as 0\.5: 13\.jpg \(CORRUPT_IMAGE: /)
    expect(stderr).toMatch(/not an image, left out: readme\.txt/)
    expect(stdout).toMatch(
      /wrote 14 rows of P\(dog\) to .*submission\.csv\n13 photos classified on wasm, \d+ with P\(dog\) > 0\.5; 1 unreadable, written as 0\.5/,
    )
    // The column is the probability of dog: photos of dogs score higher than photos of cats.
    const scored = rows.filter(([id]) => id !== '13')
    const right = scored.filter(([id, p]) => p > 0.5 === dogs.has(id)).length
    expect(right).toBeGreaterThanOrEqual(10)
    for (const [, p] of scored) expect(p).toBeGreaterThanOrEqual(0)
    for (const [, p] of scored) expect(p).toBeLessThanOrEqual(1)
  })

  it('clips to [eps, 1 − eps] and writes P(cat) = 1 − P(dog) with --positive cat', async () => {
    const [plain, clipped, cat] = ['plain.csv', 'clipped.csv', 'cat.csv'].map((f) => join(out, 'flags', f))
    const runs = await Promise.all([
      whisker('predict', '--model', model, '--data', photos, '--submission', plain!),
      whisker('predict', '--model', model, '--data', photos, '--submission', clipped!, '--clip', '0.025'),
      whisker('predict', '--model', model, '--data', photos, '--submission', cat!, '--positive', 'cat'),
    ])
    for (const run of runs) expect(run.code, run.stderr).toBe(0)
    expect(runs[1]!.stdout).toMatch(/clipped to \[0\.025, 0\.975\]/)
    expect(runs[2]!.stdout).toMatch(/rows of P\(cat\)/)
    const p = await readSubmission(plain!)
    const c = await readSubmission(clipped!)
    const q = await readSubmission(cat!)
    p.forEach(([id, dog], i) => {
      expect(c[i]![0]).toBe(id)
      expect(c[i]![1]).toBeCloseTo(Math.min(0.975, Math.max(0.025, dog)), 5)
      expect(q[i]![1]).toBeCloseTo(1 - dog, 5)
    })
  })

  it('with --explain writes <id>.explain.png beside the submission: the model view with its heatmap', async () => {
    const dir = join(out, 'explain')
    const submission = join(dir, 'submission.csv')
    const { code, stdout, stderr } = await whisker(
      'predict',
      '--model',
      model,
      '--data',
      photos,
      '--submission',
      submission,
      '--explain',
    )
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/13 heatmaps \(grad-cam\) written to .*explain as <id>\.explain\.png/)
    const written = (await readdir(dir)).filter((f) => f.endsWith('.explain.png'))
    // Every readable photo, not the truncated 13.jpg.
    expect(written.sort()).toEqual(
      ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '100']
        .map((id) => `${id}.explain.png`)
        .sort(),
    )
    const meta = await sharp(join(dir, '7.explain.png')).metadata()
    expect(meta).toMatchObject({ format: 'png', width: OVERLAY_SIZE, height: OVERLAY_SIZE })
    // The same probabilities as without --explain: one forward pass serves both.
    const plain = join(out, 'explain-plain', 'submission.csv')
    expect((await whisker('predict', '--model', model, '--data', photos, '--submission', plain)).code).toBe(0)
    const [a, b] = [await readSubmission(submission), await readSubmission(plain)]
    a.forEach(([id, p], i) => {
      expect(b[i]![0]).toBe(id)
      expect(p).toBeCloseTo(b[i]![1], 5)
    })
  })

  it('with --explain-dir puts the heatmaps there instead', async () => {
    const submission = join(out, 'explain-dir', 'submission.csv')
    const pictures = join(out, 'explain-dir', 'pictures')
    const args = ['--model', model, '--data', photos, '--submission', submission, '--explain-dir', pictures]
    const { code, stderr } = await whisker('predict', ...args)
    expect(code, stderr).toBe(0)
    expect(await readdir(pictures)).toHaveLength(13)
    expect(await readdir(join(out, 'explain-dir'))).toEqual(['pictures', 'submission.csv'])
  })

  it('replaces an existing submission atomically, leaving no staging file', async () => {
    const dir = join(out, 'replace')
    await mkdir(dir, { recursive: true })
    const submission = join(dir, 'submission.csv')
    await writeFile(submission, 'stale\n')
    const { code } = await whisker('predict', '--model', model, '--data', photos, '--submission', submission)
    expect(code).toBe(0)
    expect(await readSubmission(submission)).toHaveLength(14)
    expect(await readdir(dir)).toEqual(['submission.csv'])
  })

  describe('refuses, with a message and no stack trace', () => {
    let empty = ''
    beforeAll(async () => {
      empty = await mkdtemp(join(tmpdir(), 'whisker-predict-empty-'))
    })

    it.each([
      ['--clip 0.5', () => ['--clip', '0.5'], /--clip.*greater than 0 and less than 0\.5/],
      ['--clip 0', () => ['--clip', '0'], /--clip.*greater than 0 and less than 0\.5/],
      ['--clip abc', () => ['--clip', 'abc'], /--clip.*greater than 0 and less than 0\.5/],
      [
        'an unknown --positive',
        () => ['--positive', 'bird'],
        /--positive bird is not one of the model's labels \(cat, dog\) \[INVALID_OPTION\]/,
      ],
      ['a folder without photos', () => ['--data', empty], /holds no photos .*\[DATASET_INVALID\]/],
      [
        'a missing model',
        () => ['--model', '/nonexistent/model'],
        /No model folder at \/nonexistent\/model .*\[MODEL_NOT_FOUND\]/,
      ],
    ])('%s', async (_, flags, message) => {
      const submission = join(out, 'refused', 'submission.csv')
      const args = ['--model', model, '--data', photos, '--submission', submission, ...flags()]
      const { code, stderr } = await whisker('predict', ...args)
      expect(code).toBe(1)
      expect(stderr).toMatch(message)
      expect(stderr).not.toMatch(STACK_FRAME)
      await expect(readFile(submission)).rejects.toThrow(/ENOENT/)
    })

    it('without --submission', async () => {
      const { code, stderr } = await whisker('predict', '--model', model, '--data', photos)
      expect(code).toBe(1)
      expect(stderr).toMatch(/required option '--submission <file>' not specified/)
    })
  })
})
