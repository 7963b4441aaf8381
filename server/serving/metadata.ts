/**
 * Describing a served model: TF Serving's `/metadata` signature, KServe V2 model metadata, and an
 * OpenAPI 3.1 document generated from the package's input schema (with a working example).
 */
import type { ColumnSchema } from '../../lib/data/table';
import type { Manifest } from '../../lib/package/manifest';
import { exampleRecord } from './loaded-version';
import { v2Datatype } from './protocol';

const TF_DTYPE: Record<ColumnSchema['type'], string> = { numeric: 'DT_FLOAT', categorical: 'DT_STRING', boolean: 'DT_BOOL', date: 'DT_STRING' };

function tensorInfo(name: string, dtype: string, dims: number[]) {
  return { dtype, tensor_shape: { dim: dims.map((d) => ({ size: String(d), name: '' })), unknown_rank: false }, name };
}

function outputsOf(manifest: Manifest): Record<string, unknown> {
  if (manifest.task === 'regression') return { [manifest.target]: tensorInfo(manifest.target, 'DT_FLOAT', [-1]) };
  return { label: tensorInfo('label', 'DT_STRING', [-1]), probabilities: tensorInfo('probabilities', 'DT_FLOAT', [-1, manifest.labels!.length]) };
}

/** `GET /v1/models/NAME[/versions/N]/metadata`: TF Serving's shape, plus Kiln's own input schema. */
export function tfMetadata(name: string, version: number, manifest: Manifest) {
  return {
    model_spec: { name, signature_name: '', version: String(version) },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: Object.fromEntries(manifest.inputSchema.map((c) => [c.name, tensorInfo(c.name, TF_DTYPE[c.type], [-1])])),
            outputs: outputsOf(manifest),
            method_name: manifest.task === 'regression' ? 'tensorflow/serving/regress' : 'tensorflow/serving/classify',
          },
        },
      },
    },
    kiln: {
      model: manifest.name,
      task: manifest.task,
      target: manifest.target,
      ...(manifest.labels ? { labels: manifest.labels } : {}),
      inputs: manifest.inputSchema,
      example: exampleRecord(manifest),
    },
  };
}

/** `GET /v2/models/NAME[/versions/N]`: KServe V2 model metadata. */
export function v2Metadata(name: string, versions: number[], manifest: Manifest) {
  return {
    name,
    versions: versions.map(String),
    platform: 'kiln',
    inputs: manifest.inputSchema.map((c) => ({ name: c.name, datatype: v2Datatype(c.type), shape: [-1] })),
    outputs:
      manifest.task === 'regression'
        ? [{ name: manifest.target, datatype: 'FP32', shape: [-1] }]
        : [
            { name: 'label', datatype: 'BYTES', shape: [-1] },
            { name: 'probabilities', datatype: 'FP32', shape: [-1, manifest.labels!.length] },
          ],
  };
}

function fieldSchema(c: ColumnSchema): Record<string, unknown> {
  const base: Record<string, unknown> =
    c.type === 'numeric'
      ? { type: 'number' }
      : c.type === 'boolean'
        ? { type: 'boolean' }
        : c.type === 'date'
          ? { type: ['string', 'number'], description: 'ISO date-time such as 2024-05-01T12:00:00Z, or epoch milliseconds' }
          : { type: ['string', 'number', 'boolean'], ...(c.categories?.length ? { description: `categories seen in training: ${c.categories.slice(0, 20).join(', ')}${c.categories.length > 20 ? ', …' : ''} (others are handled as in training)` } : {}) };
  // Every field is required (the key must be present); null is a missing value, imputed as trained.
  if (c.nullable) base.type = [...(Array.isArray(base.type) ? base.type : [base.type]), 'null'];
  return base;
}

/**
 * An OpenAPI 3.1 document for one endpoint: `:predict` with the record schema and an example
 * request that works as it is, and the status and metadata routes.
 */
export function openApiDocument(name: string, manifest: Manifest, opts: { serverUrl?: string; secured?: boolean } = {}) {
  const { serverUrl } = opts;
  const example = exampleRecord(manifest);
  const record = {
    type: 'object',
    required: manifest.inputSchema.map((c) => c.name),
    properties: Object.fromEntries(manifest.inputSchema.map((c) => [c.name, fieldSchema(c)])),
    additionalProperties: true,
  };
  const prediction =
    manifest.task === 'regression'
      ? { type: 'number', description: `predicted ${manifest.target}` }
      : {
          type: 'object',
          required: ['label', 'probabilities'],
          properties: {
            label: { type: 'string', enum: manifest.labels },
            probabilities: { type: 'object', properties: Object.fromEntries(manifest.labels!.map((l) => [l, { type: 'number', minimum: 0, maximum: 1 }])) },
          },
        };
  const error = {
    type: 'object',
    required: ['error'],
    properties: {
      error: { type: 'string', description: 'one line naming the field' },
      code: { type: 'string', description: "Kiln's error code (INVALID_RECORD, UNAUTHORIZED, NOT_FOUND, OVERLOADED …); the same code has the same status everywhere" },
    },
  };
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  const path = `/v1/models/${encodeURIComponent(name)}`;
  return {
    openapi: '3.1.0',
    info: { title: `${name} (Kiln model ${manifest.name})`, version: manifest.createdAt, description: `${manifest.task} of "${manifest.target}". TensorFlow Serving REST API.` },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      schemas: { Record: record, Prediction: prediction, Error: error },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    },
    ...(opts.secured ? { security: [{ bearer: [] }, { apiKey: [] }] } : {}),
    paths: {
      [`${path}:predict`]: {
        post: {
          operationId: 'predict',
          summary: 'Predict from raw records (the packaged preprocessing is applied)',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    instances: { type: 'array', items: { oneOf: [{ $ref: '#/components/schemas/Record' }, { type: 'array', description: `values in input order: ${manifest.inputSchema.map((c) => c.name).join(', ')}` }] } },
                    inputs: { description: 'columnar: {field: [values]}, or a list of instances' },
                  },
                },
                example: { instances: [example] },
              },
            },
          },
          responses: {
            '200': {
              description: 'one prediction per instance',
              content: { 'application/json': { schema: { type: 'object', required: ['predictions'], properties: { predictions: { type: 'array', items: { $ref: '#/components/schemas/Prediction' } } } } } },
            },
            '400': errorResponse('bad input; the message names the field'),
            '401': errorResponse('API key missing'),
            '403': errorResponse('API key not accepted'),
            '404': errorResponse('unknown model, version or label'),
            '413': errorResponse('body or instance count over the limit'),
            '429': errorResponse('over the concurrency limit; retry after Retry-After seconds'),
            '503': errorResponse('not ready, draining or timed out; retry after Retry-After seconds'),
          },
        },
      },
      [path]: { get: { operationId: 'status', summary: 'model_version_status', responses: { '200': { description: 'version states' } } } },
      [`${path}/metadata`]: { get: { operationId: 'metadata', summary: 'signature: input fields and types, outputs', responses: { '200': { description: 'signature' } } } },
    },
  };
}
