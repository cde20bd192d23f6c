import {
  DEFAULT_MAX_BODY_BYTES,
  MAX_IMAGES_PER_REQUEST,
  PROBLEM_CODES,
  WORKER_MAX_PIXELS,
  WORKER_MAX_UNSCALED_PIXELS,
} from '@whisker/api-contract'
import { describe, expect, it } from 'vitest'
import { call } from '../test/client.ts'
import { contractDocument } from './openapi-document.ts'

interface OpenApiDocument {
  openapi: string
  info: { license: { name: string } }
  servers: { url: string }[]
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string
        summary: string
        description?: string
        requestBody?: { content: Record<string, unknown> }
        responses: Record<string, { description: string }>
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
      schema: {
        properties: { image: { type: 'array', maxItems: MAX_IMAGES_PER_REQUEST } },
        required: ['image'],
      },
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

  it('is the document Node lints and generates client types from (scripts/), built from src/contract.ts', async () => {
    // Both go through documentOf(); this catches a route the app mounts but API_ROUTES leaves out.
    expect(await document()).toEqual(contractDocument())
  })

  it('names every operation, says where the API is and how to present the API key', async () => {
    const doc = await document()
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods))
    expect(operations.map((o) => o.operationId)).toEqual(['classify', 'getModelCard', 'getHealth'])
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })])
    expect(doc.info.license.name).toBeTruthy()
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    })
  })

  it('states the limits the Worker enforces, from the same constants', async () => {
    const classify = (await document()).paths['/v1/classify']!.post!
    expect(classify.summary).toContain(`up to ${MAX_IMAGES_PER_REQUEST} in one multipart request`)
    expect(classify.description).toContain(`1–${MAX_IMAGES_PER_REQUEST} files`)
    expect(classify.description).toContain(`(${DEFAULT_MAX_BODY_BYTES / 2 ** 20} MiB by default)`)
    expect(classify.responses['422']!.description).toContain(`(${WORKER_MAX_PIXELS / 1e6} MP;`)
    expect(classify.responses['422']!.description).toContain(`${WORKER_MAX_UNSCALED_PIXELS / 1e6} MP for PNG`)
  })
})
