import { describe, expect, it } from 'vitest'
import { call } from '../test/client.ts'
import { PROBLEM_CODES } from './errors.ts'

interface OpenApiDocument {
  openapi: string
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, unknown> }
        responses: Record<string, unknown>
        parameters?: { name: string; in: string }[]
      }
    >
  >
  components: {
    schemas: Record<string, { properties?: Record<string, { enum?: string[] }>; required?: string[] }>
    securitySchemes: Record<string, unknown>
  }
}

const document = async () => (await (await call('/openapi.json')).json()) as OpenApiDocument

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of every API route', async () => {
    const res = await call('/openapi.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('ETag')).toBeTruthy()
    const doc = (await res.json()) as OpenApiDocument
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/v1/classify', '/v1/model'])
    expect(Object.keys(doc.paths['/v1/classify']!)).toEqual(['post'])
  })

  it('describes the classify upload: raw image bytes or multipart `image` fields, and topK', async () => {
    const classify = (await document()).paths['/v1/classify']!.post!
    expect(Object.keys(classify.requestBody!.content)).toEqual(
      expect.arrayContaining([
        'image/jpeg',
        'image/png',
        'image/webp',
        'application/octet-stream',
        'multipart/form-data',
      ]),
    )
    expect(classify.requestBody!.content['multipart/form-data']).toMatchObject({
      schema: { properties: { image: { type: 'array', maxItems: 16 } }, required: ['image'] },
    })
    expect(classify.parameters).toEqual([
      expect.objectContaining({ name: 'topK', in: 'query' }),
      expect.objectContaining({ name: 'explain', in: 'query' }),
    ])
    expect(Object.keys(classify.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '413',
      '415',
      '422',
      '429',
      '500',
    ])
  })

  it('publishes the response and problem schemas, with every error code clients may see', async () => {
    const { components } = await document()
    expect(components.schemas.Classification!.required).toEqual(
      expect.arrayContaining(['label', 'confidence', 'predictions', 'model', 'cached', 'timing']),
    )
    expect(components.schemas.Problem!.properties!.code!.enum).toEqual([...PROBLEM_CODES])
    expect(components.schemas.ModelCard).toBeDefined()
    expect(components.schemas.Classification!.required).not.toContain('explain') // only with ?explain=1
    expect(components.schemas.Explanation!.required).toEqual(['method', 'label', 'grid', 'png', 'region'])
    expect(Object.keys(components.securitySchemes).sort()).toEqual(['apiKeyHeader', 'bearerAuth'])
  })
})
