import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { VideoCreateFieldsSchema, VideoRemixBodySchema } from '../openai/videos.js';
import type { InputReference } from '../providers/types.js';
import type { VideoCreateRequest } from '../videos/service.js';
import { setBracketedField } from './form-fields.js';
import { sniffImage } from './image-sniff.js';

interface UploadedFile {
  field: string;
  data: Buffer;
  filename: string;
}

/** JSON and multipart bodies decode to the same plain object (+ at most one file). */
async function readBody(request: FastifyRequest): Promise<{ fields: Record<string, unknown>; file?: UploadedFile }> {
  if (!request.isMultipart()) {
    const body = request.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_json' });
    }
    return { fields: body as Record<string, unknown> };
  }
  const fields: Record<string, unknown> = {};
  let file: UploadedFile | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const data = await part.toBuffer();
      if (file) throw new InvalidRequestError('Only one file may be uploaded per request.', { param: part.fieldname });
      file = { field: part.fieldname, data, filename: part.filename || 'upload' };
    } else {
      // multipart/form-data serialisation turns every newline into CRLF (WHATWG
      // FormData), so a client's `\n` arrives as `\r\n`; restore what it sent.
      const text = typeof part.value === 'string' ? part.value : String(part.value);
      setBracketedField(fields, part.fieldname, text.replace(/\r\n/g, '\n'));
    }
  }
  return file ? { fields, file } : { fields };
}

/** The first zod issue as OpenAI reports it: one message, one param. */
export function validationError(error: z.ZodError, input: unknown): InvalidRequestError {
  const issue = error.issues[0]!;
  const path = issue.path.map(String);
  const param = path.length === 0 ? null : path.join('.');
  const given = issue.path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), input);
  const missing = issue.code === 'invalid_type' && given === undefined;
  const message = missing ? `Missing required parameter: '${param}'.` : issue.message;
  return new InvalidRequestError(message, {
    param,
    code: missing ? 'missing_required_parameter' : issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value',
  });
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
  if (object?.image_url !== undefined) return { kind: 'url', url: object.image_url };
  if (object?.file_id !== undefined) return { kind: 'file_id', fileId: object.file_id };
  return undefined;
}

export async function readCreateRequest(request: FastifyRequest): Promise<VideoCreateRequest> {
  const { fields, file } = await readBody(request);
  const parsed = VideoCreateFieldsSchema.safeParse(fields);
  if (!parsed.success) throw validationError(parsed.error, fields);
  const { input_reference, ...rest } = parsed.data;
  return { ...rest, inputReference: toReference(file, input_reference) };
}

export async function readRemixRequest(request: FastifyRequest): Promise<{ prompt: string }> {
  const { fields, file } = await readBody(request);
  if (file) throw new InvalidRequestError('Remix takes no file.', { param: file.field });
  const parsed = VideoRemixBodySchema.safeParse(fields);
  if (!parsed.success) throw validationError(parsed.error, fields);
  return parsed.data;
}
