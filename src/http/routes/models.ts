import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.js';
import { NotFoundError } from '../../errors.js';
import type { Principal } from '../../keys/principal.js';
import { MODEL_CREATED, ModelListSchema, ModelSchema, type Model, type ModelList } from '../../openai/models.js';
import { documented } from '../../openapi/route-docs.js';

export interface ModelRoutesOptions {
  /** The config's aliases, in config order. */
  models: Config['models'];
}

type IdParams = { Params: { id: string } };

const model = (id: string): Model => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'reelay' });

/**
 * The aliases a key may use: its allow-list, or every alias when it has none.
 * An allow-list entry no longer configured is left out. Own-property checks
 * only: an alias named `constructor` is a configured alias or nothing.
 */
function usableAliases(models: Config['models'], principal: Principal): string[] {
  const aliases = Object.keys(models);
  return principal.models === undefined ? aliases : aliases.filter((alias) => principal.models!.includes(alias));
}

/**
 * `GET /v1/models` and `GET /v1/models/{id}`, which many OpenAI-compatible
 * clients call first to discover what they can use. A model the key may not
 * use is a 404 exactly like an unknown one, with OpenAI's wording: which
 * aliases exist beyond its allow-list is none of the key's business.
 */
export async function modelRoutes(app: FastifyInstance, opts: ModelRoutesOptions): Promise<void> {
  const { models } = opts;

  app.get(
    '/models',
    documented({ operationId: 'listModels', summary: 'List the models this key may use', tags: ['models'], response: { 200: ModelListSchema } }),
    async (request): Promise<ModelList> => ({ object: 'list', data: usableAliases(models, request.principal).map(model) }),
  );

  app.get<IdParams>(
    '/models/:id',
    documented({ operationId: 'retrieveModel', summary: 'Retrieve a model this key may use', tags: ['models'], response: { 200: ModelSchema }, errors: [404] }),
    async (request): Promise<Model> => {
      const { id } = request.params;
      const allowed = request.principal.models === undefined || request.principal.models.includes(id);
      if (!Object.hasOwn(models, id) || !allowed) {
        // The id is at most 100 characters (longer is a 414 before routing); JSON escapes whatever it holds.
        throw new NotFoundError(`The model '${id}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
      }
      return model(id);
    },
  );
}
