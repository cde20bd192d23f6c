import * as z from 'zod/mini'
import { documentation } from './schemas.ts'

/** A JSON Schema (2020-12, which OpenAPI 3.1's schema objects are) of one component. */
export type ComponentSchema = Record<string, unknown>

/** Where a component is found in the OpenAPI document: `{ $ref: componentRef('Problem') }`. */
export const componentRef = (id: string): string => `#/components/schemas/${id}`

/**
 * The contract's named schemas (`id` in `documentation`) as the OpenAPI document's `components.schemas`,
 * by zod's own JSON Schema generator: @asteasolutions/zod-to-openapi (what @hono/zod-openapi builds on)
 * reads only full zod's `.openapi()`/`.meta()`, which zod/mini schemas do not have.
 *
 * `io: 'input'`: objects get no `additionalProperties: false`, since the schemas strip unknown fields
 * rather than refuse them, and clients must let the Worker add fields.
 */
export function componentSchemas(): Record<string, ComponentSchema> {
  const { schemas } = z.toJSONSchema(documentation, {
    target: 'draft-2020-12',
    io: 'input',
    metadata: documentation,
    uri: componentRef,
  })
  // Each comes as a document of its own; in `components` the document's header parts do not belong.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]),
  )
}
