import { validate, compileErrors } from '@readme/openapi-parser';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoSchema } from '../../src/openai/videos.js';
import { ErrorEnvelopeSchema } from '../../src/openai/videos.js';
import { toJsonSchema } from '../../src/openapi/json-schema.js';
import { adminClient, adminYaml, type AdminClient } from '../admin/support.js';
import { startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { call, postJson, waitCompleted, type Reply } from '../hostile/support.js';
import { openapiPath, operations, registeredRoutes, responseSchema } from './support.js';

/**
 * GET /openapi.json: a valid OpenAPI 3.1 document, generated from the routes
 * (every registered route is in it, and nothing else), whose schemas are the
 * zod schemas' own JSON Schema and agree with what Reelay really answers.
 */

// ajv is CommonJS: its class is the module's default export's default.
const Ajv2020 = Ajv2020Module.default;

let reelay: RunningReelay;
let doc: OpenAPIV3_1.Document;
let admin: AdminClient;
let videoId: string;

beforeAll(async () => {
  reelay = await startReelay({ yaml: adminYaml() });
  admin = adminClient(reelay);
  const res = await call(reelay, 'GET', '/openapi.json', { key: null });
  expect(res.status).toBe(200);
  doc = JSON.parse(res.text) as OpenAPIV3_1.Document;
  const client = reelay.client();
  videoId = (await waitCompleted(client, (await client.videos.create({ prompt: 'documented' })).id)).id;
});
afterAll(() => reelay?.close());

describe('the document', () => {
  it('is valid OpenAPI 3.1 to @readme/openapi-parser', async () => {
    // validate() dereferences in place: give it a copy.
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('needs no key, and ignores one', async () => {
    for (const key of [null, TEST_KEY, 'sk-garbage']) {
      const res = await call(reelay, 'GET', '/openapi.json', { key });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toEqual(doc);
    }
  });

  it('holds no secret of the config', () => {
    const text = JSON.stringify(doc);
    for (const secret of [TEST_KEY, 'sk-admin-test-key']) expect(text).not.toContain(secret);
  });

  it('has two bearer schemes: a client key for /v1, an admin key for /admin/v1, none elsewhere', () => {
    expect(doc.components?.securitySchemes).toMatchObject({ clientKey: { type: 'http', scheme: 'bearer' }, adminKey: { type: 'http', scheme: 'bearer' } });
    for (const { method, path, op } of operations(doc)) {
      const want = path.startsWith('/v1/') ? [{ clientKey: [] }] : path.startsWith('/admin/v1/') ? [{ adminKey: [] }] : path === '/metrics' ? [{ adminKey: [] }] : [];
      expect(op.security, `${method} ${path}`).toEqual(want);
    }
  });

  it('gives every operation a unique operationId, a summary, a tag and the error envelope for every error', () => {
    const envelope = toJsonSchema(ErrorEnvelopeSchema, 'output');
    const seen = new Set<string>();
    for (const { method, path, op } of operations(doc)) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-zA-Z]+$/);
      expect(seen.has(op.operationId!), where).toBe(false);
      seen.add(op.operationId!);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags?.length, where).toBe(1);
      expect(Object.keys(op.responses), where).toContain('default');
      if (path.startsWith('/v1/') || path.startsWith('/admin/v1/')) expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '429']));
      for (const [status, response] of Object.entries(op.responses)) {
        if (status !== 'default' && Number(status) < 400) continue;
        // /readyz answers its own 503 body; every other error is the envelope.
        if (where === 'GET /readyz' && status === '503') continue;
        const schema = (response as OpenAPIV3_1.ResponseObject).content?.['application/json']?.schema;
        expect({ ...schema, description: undefined }, `${where} ${status}`).toEqual({ ...envelope, description: undefined });
      }
    }
  });

  it('documents a success response for every operation but the verbs that are always 400', () => {
    const alwaysRefused = ['POST /v1/videos/edits', 'POST /v1/videos/extensions', 'POST /v1/videos/characters', 'GET /v1/videos/characters/{id}'];
    for (const { method, path, op } of operations(doc)) {
      const success = Object.keys(op.responses).filter((s) => /^2\d\d$/.test(s));
      expect(success.length > 0, `${method} ${path}`).toBe(!alwaysRefused.includes(`${method} ${path}`));
    }
  });

  it("uses zod's own JSON Schema, not a hand-written one", () => {
    const schema = responseSchema(doc, 'GET', '/v1/videos/{id}', 200);
    expect(schema).toEqual({ ...toJsonSchema(VideoSchema, 'output'), description: expect.any(String) });
  });

  it('documents both encodings of a create, the optional bodies as optional, and the content variants as bytes', () => {
    const create = doc.paths!['/v1/videos']!.post!.requestBody as OpenAPIV3_1.RequestBodyObject;
    expect(Object.keys(create.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(create.required).toBe(true);
    expect(create.content['multipart/form-data']!.schema).toMatchObject({ properties: { input_reference: { type: 'string', format: 'binary' } } });
    for (const path of ['/admin/v1/keys/{id}/rotate', '/admin/v1/webhooks/deliveries/{event_id}/redeliver']) {
      expect((doc.paths![path]!.post!.requestBody as OpenAPIV3_1.RequestBodyObject).required, path).toBe(false);
    }
    expect(JSON.stringify(doc)).not.toContain('x-reelay-body-optional');
    const content = doc.paths!['/v1/videos/{id}/content']!.get!;
    expect(Object.keys((content.responses['200'] as OpenAPIV3_1.ResponseObject).content!).sort()).toEqual(['image/jpeg', 'image/webp', 'video/mp4']);
    expect(content.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'variant' })]));
  });
});

describe('route coverage', () => {
  /**
   * Registered routes the document leaves out, each for a reason:
   * - HEAD: Fastify adds one to every GET by itself (exposeHeadRoutes); it is the GET without a body.
   * - /docs and everything under it: Swagger UI itself (its page, its initializer and its static
   *   files, served by @fastify/swagger-ui, which hides them); /docs/json and /docs/yaml are this
   *   same document, which is documented as GET /openapi.json.
   */
  const excluded = (method: string, url: string) => method === 'HEAD' || url === '/docs' || url.startsWith('/docs/');

  it('documents every route Fastify registered (method and path), with the exclusions above', () => {
    const routes = registeredRoutes(reelay.runtime.app);
    // The parser found the routes at all: the /v1 verbs, the admin API, health, models and docs.
    expect(routes.length).toBeGreaterThan(40);
    expect(routes).toEqual(expect.arrayContaining([{ method: 'GET', url: '/v1/videos/:id/content' }, { method: 'GET', url: '/docs/static/*' }]));
    const documented = new Set(operations(doc).map(({ method, path }) => `${method} ${path}`));
    const missing = routes.filter((r) => !excluded(r.method, r.url)).map((r) => `${r.method} ${openapiPath(r.url)}`).filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });

  it('documents nothing that is not a registered route', () => {
    for (const { method, path } of operations(doc)) {
      const url = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
      expect(reelay.runtime.app.hasRoute({ method, url }), `${method} ${path}`).toBe(true);
    }
  });

  it('covers the surface the README promises', () => {
    const documented = operations(doc).map(({ method, path }) => `${method} ${path}`);
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /v1/videos', 'GET /v1/videos', 'GET /v1/videos/{id}', 'DELETE /v1/videos/{id}', 'GET /v1/videos/{id}/content', 'POST /v1/videos/{id}/remix',
        'GET /v1/models', 'GET /v1/models/{id}', 'GET /v1/reelay/key',
        'POST /admin/v1/keys', 'GET /admin/v1/keys', 'GET /admin/v1/keys/{id}', 'PATCH /admin/v1/keys/{id}', 'DELETE /admin/v1/keys/{id}', 'POST /admin/v1/keys/{id}/rotate',
        'GET /admin/v1/usage', 'GET /admin/v1/audit', 'GET /admin/v1/videos', 'GET /admin/v1/webhooks/deliveries', 'POST /admin/v1/webhooks/deliveries/{event_id}/redeliver',
        'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json',
      ]),
    );
  });
});

describe('documented schemas agree with real responses', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });

  /** Validates a real JSON reply against what the document says that route answers with its status. */
  function expectDocumented(method: string, path: string, res: Reply): void {
    const check = ajv.compile(responseSchema(doc, method, path, res.status));
    const body: unknown = JSON.parse(res.text);
    expect(check(body), `${method} ${path} ${res.status}: ${ajv.errorsText(check.errors)}\n${res.text.slice(0, 500)}`).toBe(true);
  }

  it('GET /v1/videos/{id}, GET /v1/videos and DELETE /v1/videos/{id}', async () => {
    expectDocumented('GET', '/v1/videos/{id}', await call(reelay, 'GET', `/v1/videos/${videoId}`));
    expectDocumented('GET', '/v1/videos', await call(reelay, 'GET', '/v1/videos?limit=2'));
    const doomed = (await reelay.client().videos.create({ prompt: 'to delete' })).id;
    expectDocumented('DELETE', '/v1/videos/{id}', await call(reelay, 'DELETE', `/v1/videos/${doomed}`));
  });

  it('POST /v1/videos and its remix', async () => {
    const created = await postJson(reelay, '/v1/videos', { prompt: 'p', seconds: '4' });
    expectDocumented('POST', '/v1/videos', created);
    expectDocumented('POST', '/v1/videos/{id}/remix', await postJson(reelay, `/v1/videos/${videoId}/remix`, { prompt: 'again' }));
  });

  it('errors: 400, 401, 404 and 405 are the envelope the document describes', async () => {
    expectDocumented('POST', '/v1/videos', await postJson(reelay, '/v1/videos', { prompt: 'p', seconds: 4 }));
    expectDocumented('GET', '/v1/videos/{id}', await call(reelay, 'GET', '/v1/videos/video_nope'));
    expectDocumented('GET', '/v1/videos/{id}', await call(reelay, 'GET', `/v1/videos/${videoId}`, { key: null }));
    expectDocumented('GET', '/v1/models/{id}', await call(reelay, 'GET', '/v1/models/__proto__'));
  });

  it('the content route answers one of its documented media types', async () => {
    for (const variant of ['video', 'thumbnail', 'spritesheet']) {
      const res = await call(reelay, 'GET', `/v1/videos/${videoId}/content?variant=${variant}`);
      expect(res.status).toBe(200);
      const types = Object.keys((doc.paths!['/v1/videos/{id}/content']!.get!.responses['200'] as OpenAPIV3_1.ResponseObject).content!);
      expect(types).toContain(res.headers['content-type']!.split(';')[0]);
    }
  });

  it('models, key info, health and readiness', async () => {
    expectDocumented('GET', '/v1/models', await call(reelay, 'GET', '/v1/models'));
    expectDocumented('GET', '/v1/models/{id}', await call(reelay, 'GET', '/v1/models/sora-2'));
    expectDocumented('GET', '/v1/reelay/key', await call(reelay, 'GET', '/v1/reelay/key'));
    expectDocumented('GET', '/healthz', await call(reelay, 'GET', '/healthz', { key: null }));
    expectDocumented('GET', '/readyz', await call(reelay, 'GET', '/readyz', { key: null }));
  });

  it('the admin API', async () => {
    const created = await admin.request('POST', '/keys', { name: 'documented', models: ['sora-2'], metadata: { team: 'docs' } });
    expect(created.status).toBe(201);
    expectDocumented('POST', '/admin/v1/keys', created);
    const id = created.json.id as string;
    expectDocumented('GET', '/admin/v1/keys', await admin.request('GET', '/keys'));
    expectDocumented('GET', '/admin/v1/keys/{id}', await admin.request('GET', `/keys/${id}`));
    expectDocumented('PATCH', '/admin/v1/keys/{id}', await admin.request('PATCH', `/keys/${id}`, { rpm: 5 }));
    expectDocumented('POST', '/admin/v1/keys/{id}/rotate', await admin.request('POST', `/keys/${id}/rotate`));
    expectDocumented('GET', '/admin/v1/audit', await admin.request('GET', '/audit'));
    expectDocumented('GET', '/admin/v1/usage', await admin.request('GET', '/usage'));
    expectDocumented('GET', '/admin/v1/videos', await admin.request('GET', `/videos?id=${videoId}`));
    expectDocumented('GET', '/admin/v1/webhooks/deliveries', await admin.request('GET', '/webhooks/deliveries'));
    expectDocumented('DELETE', '/admin/v1/keys/{id}', await admin.request('DELETE', `/keys/${id}`));
    expectDocumented('GET', '/admin/v1/keys/{id}', await admin.request('GET', '/keys/key_nope'));
    expectDocumented('POST', '/admin/v1/webhooks/deliveries/{event_id}/redeliver', await admin.request('POST', '/webhooks/deliveries/evt_nope/redeliver'));
  });
});

describe('schemas document and never validate', () => {
  it('a body Ajv would coerce or reject its own way is still zod\'s 400, naming the param', async () => {
    const res = await postJson(reelay, '/v1/videos', { prompt: 'p', seconds: 4 });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      error: { message: "Invalid type for 'seconds': expected a string, but got an integer instead.", type: 'invalid_request_error', param: 'seconds', code: 'invalid_type' },
    });
  });

  it('a query Ajv would coerce is still refused by zod', async () => {
    const res = await call(reelay, 'GET', '/v1/videos?limit=0x10');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.param).toBe('limit');
  });
});
