import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { documentBase } from './document.js';
import { documented } from './route-docs.js';
import { transformDocument, transformRoute } from './transform.js';

/**
 * `GET /openapi.json` and `/docs` (Swagger UI), built from the routes
 * themselves: @fastify/swagger collects every route as it is registered
 * (dynamic mode), so register this plugin before any route. fastify-plugin
 * puts its onRoute hook on the root, where it sees the routes of every scope.
 * Neither needs a key: the document holds no secrets.
 */

/**
 * Swagger UI's page and everything it loads come from this origin: the assets
 * are @fastify/swagger-ui's own files. The plugin's default policy allows any
 * https: font and style and upgrades requests to https, which breaks /docs
 * over plain http on a LAN; this one allows nothing remote at all.
 */
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'self'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'";

const OpenApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .describe('This OpenAPI 3.1 document.');

export const openapiPlugin = fp(
  async (app: FastifyInstance) => {
    // package.json sits two folders up from both src/openapi and dist/openapi.
    const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
    await app.register(swagger, {
      openapi: documentBase(version),
      transform: transformRoute,
      transformObject: transformDocument,
      // OpenAPI 3.1 schemas are JSON Schema 2020-12, where `const` is valid.
      convertConstToEnum: false,
    });
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: DOCS_CSP,
      theme: { title: 'Reelay API' },
      // Swagger UI would send the document to validator.swagger.io and show its badge; nothing leaves this page.
      validatorUrl: false,
      uiConfig: { validatorUrl: null, deepLinking: true, docExpansion: 'list', tryItOutEnabled: false },
    });

    app.get(
      '/openapi.json',
      documented({ operationId: 'getOpenApiDocument', summary: 'This API as an OpenAPI 3.1 document', tags: ['operations'], response: { 200: OpenApiDocumentSchema } }),
      async () => app.swagger(),
    );

    // Built once every route is known, so a schema the document cannot describe stops start-up, not a client.
    app.addHook('onReady', async () => {
      app.swagger();
    });
  },
  { name: 'reelay-openapi' },
);
