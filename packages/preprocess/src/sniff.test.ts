import { describe, expect, it } from 'vitest'
import { EmptyImageError, UnsupportedImageTypeError } from './errors.ts'
import { sniffFormat } from './sniff.ts'
import { caught } from './test-support/catch.ts'
import { formatMatrix } from './test-support/images.ts'

const ascii = (text: string) => new TextEncoder().encode(text)

const images = await formatMatrix()

describe('sniffFormat', () => {
  it.each(Object.entries(images))('recognises %s from its magic bytes', (name, bytes) => {
    expect(sniffFormat(bytes)).toBe(name.split(' ')[0]!.toLowerCase())
  })

  it('needs only the signature, not a whole file', () => {
    expect(sniffFormat(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('jpeg')
    expect(sniffFormat(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('png')
    expect(sniffFormat(ascii('RIFF\0\0\0\0WEBP'))).toBe('webp')
  })

  it('refuses zero bytes as EMPTY_IMAGE', () => {
    expect(() => sniffFormat(new Uint8Array())).toThrow(EmptyImageError)
    expect(() => sniffFormat(new Uint8Array())).toThrow(expect.objectContaining({ code: 'EMPTY_IMAGE' }))
  })

  it('refuses a text file as UNSUPPORTED_TYPE', () => {
    const error = caught(() => sniffFormat(ascii('name,label\ncat.1.jpg,cat\n')))
    expect(error).toBeInstanceOf(UnsupportedImageTypeError)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE' })
  })

  it('names the formats people commonly upload by mistake', () => {
    expect(() => sniffFormat(ascii('GIF89a....'))).toThrow(/GIF/)
    expect(() => sniffFormat(ascii('\0\0\0\x18ftypheic'))).toThrow(/HEIC/)
    expect(() => sniffFormat(ascii('%PDF-1.7'))).toThrow(/PDF/)
    expect(() => sniffFormat(ascii('BM6\0\0\0'))).toThrow(/BMP/)
  })

  it('requires both RIFF and WEBP: other RIFF files (WAV, AVI) are not images', () => {
    expect(() => sniffFormat(ascii('RIFF\0\0\0\0WAVEfmt '))).toThrow(UnsupportedImageTypeError)
  })

  it('refuses a signature cut short', () => {
    expect(() => sniffFormat(new Uint8Array([0xff, 0xd8]))).toThrow(UnsupportedImageTypeError)
    expect(() => sniffFormat(new Uint8Array([0x89, 0x50, 0x4e]))).toThrow(UnsupportedImageTypeError)
  })
})
