import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { imageDataUrlPayload, VideoCreateFieldsSchema, VideoRemixBodySchema } from '../openai/videos.js';
import type { InputReference } from '../providers/types.js';
import type { VideoCreateRequest } from '../videos/service.js';
import { sniffImage } from './image-sniff.js';
import { readMultipart, type MultipartBody, type UploadedFile } from './multipart-body.js';

/** JSON and multipart bodies decode to the same plain object (+ at most one file). */
async function readBody(request: FastifyRequest, uploadBytes: number): Promise<MultipartBody> {
  if (request.isMultipart()) return readMultipart(request, uploadBytes);
  const body = request.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_json' });
  }
  return { fields: body as Record<string, unknown> };
}

const paramOf = (path: readonly PropertyKey[]): string | null => (path.length === 0 ? null : path.map(String).join('.'));

/**
 * The first zod issue as OpenAI reports it: one message, one param. An unknown
 * parameter is reported first, as OpenAI does, whatever else is wrong.
 */
export function validationError(error: z.ZodError, input: unknown): InvalidRequestError {
  const unknown = error.issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) {
    const param = paramOf([...unknown.path, unknown.keys[0]!]);
    return new InvalidRequestError(`Unknown parameter: '${param}'.`, { param, code: 'unknown_parameter' });
  }
  const issue = error.issues[0]!;
  const param = paramOf(issue.path);
  const given = issue.path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );
  const missing = issue.code === 'invalid_type' && given === undefined;
  if (missing) return new InvalidRequestError(`Missing required parameter: '${param}'.`, { param, code: 'missing_required_parameter' });
  const code = issue.code === 'invalid_type' ? 'invalid_type' : issue.code === 'too_big' && issue.origin === 'string' ? 'string_above_max_length' : 'invalid_value';
  return new InvalidRequestError(issue.message, { param, code });
}

/** A data URL's bytes are sniffed like an upload's; the URL goes on carrying the type the bytes really have. */
function checkedDataUrl(url: string): string {
  const payload = imageDataUrlPayload(url)!;
  const mimeType = sniffImage(Buffer.from(payload.slice(0, 64), 'base64'));
  if (!mimeType) {
    throw new InvalidRequestError('Invalid input_reference.image_url: the data URL must hold a PNG, JPEG or WebP image.', {
      param: 'input_reference.image_url',
      code: 'invalid_image_format',
    });
  }
  return `data:${mimeType};base64,${payload}`;
}

function toReference(file: UploadedFile | undefined, object: { image_url?: string | undefined; file_id?: string | undefined } | undefined): InputReference | undefined {
  if (file) {
    if (file.field !== 'input_reference') {
      throw new InvalidRequestError(`Unexpected file field '${file.field}'; upload the image as 'input_reference'.`, { param: file.field });
    }
    if (object) throw new InvalidRequestError('Send input_reference either as a file or as an object, not both.', { param: 'input_reference' });
    const mimeType = sniffImage(file.data);
    if (!mimeType) {
      throw new InvalidRequestError('Invalid input_reference: the file must be a PNG, JPEG or WebP image.', {
        param: 'input_reference',
        code: 'invalid_image_format',
      });
    }
    return { kind: 'file', data: file.data, mimeType, filename: file.filename };
  }
  if (object?.image_url !== undefined) {
    const url = imageDataUrlPayload(object.image_url) === undefined ? object.image_url : checkedDataUrl(object.image_url);
    return { kind: 'url', url };
  }
  if (object?.file_id !== undefined) return { kind: 'file_id', fileId: object.file_id };
  return undefined;
}

export async function readCreateRequest(request: FastifyRequest, uploadBytes: number): Promise<VideoCreateRequest> {
  const { fields, file } = await readBody(request, uploadBytes);
  const parsed = VideoCreateFieldsSchema.safeParse(fields);
  if (!parsed.success) throw validationError(parsed.error, fields);
  const { input_reference, characters, ...rest } = parsed.data;
  if (characters !== undefined) {
    throw new InvalidRequestError("'characters' is not supported by the providers configured on this Reelay gateway.", {
      param: 'characters',
      code: 'unsupported_parameter',
    });
  }
  return { ...rest, inputReference: toReference(file, input_reference) };
}

export async function readRemixRequest(request: FastifyRequest, uploadBytes: number): Promise<{ prompt: string }> {
  const { fields, file } = await readBody(request, uploadBytes);
  if (file) throw new InvalidRequestError('Remix takes no file.', { param: file.field });
  const parsed = VideoRemixBodySchema.safeParse(fields);
  if (!parsed.success) throw validationError(parsed.error, fields);
  return parsed.data;
}
