import type { OpenAPIV3_1 } from 'openapi-types';
import { ADMIN_KEY, CLIENT_KEY } from './security.js';

/**
 * The document's own parts, the ones no route carries: title, version,
 * security schemes and tag descriptions. Paths come from the routes.
 */
export function documentBase(version: string): Partial<OpenAPIV3_1.Document> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Reelay',
      version,
      description:
        "A self-hosted OpenAI-compatible `/v1/videos` gateway. Every error is OpenAI's envelope " +
        '`{"error":{"message","type","param","code"}}`. Generated from the zod schemas the routes validate with.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    components: {
      securitySchemes: {
        [CLIENT_KEY]: {
          type: 'http',
          scheme: 'bearer',
          description: 'A gateway key (`keys` in the config, or made through the admin API), as the OpenAI SDKs send it: `Authorization: Bearer <key>`.',
        },
        [ADMIN_KEY]: {
          type: 'http',
          scheme: 'bearer',
          description: 'An admin key (`admin.keys` in the config). It opens /admin/v1 only; a client key does not, nor an admin key /v1.',
        },
      },
    },
    tags: [
      { name: 'videos', description: "OpenAI's Videos API." },
      { name: 'models', description: 'The model aliases the calling key may use.' },
      { name: 'key', description: "Reelay's extension: the calling key's limits and usage." },
      { name: 'admin', description: 'Keys, usage, audit, any key\'s videos and webhook deliveries, with an admin key.' },
      { name: 'operations', description: 'Health, readiness, metrics and this document; no key.' },
    ],
  };
}
