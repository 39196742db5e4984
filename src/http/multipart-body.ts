import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { GatewayError, InvalidRequestError, PayloadTooLargeError } from '../errors.js';
import { emptyForm, setBracketedField, type FormObject } from './form-fields.js';

/**
 * Multipart limits, enforced while the body streams in, never after buffering
 * it. busboy (inside @fastify/multipart) limits each part; the total is counted
 * here, because a form of many large text fields would otherwise pass.
 */

/** Room for a 32,000-character prompt even if every character takes four UTF-8 bytes. */
export const FIELD_BYTES = 128 * 1024;
export const MAX_FIELDS = 16;
/** One file is allowed; busboy is told two so the second arrives as a part we can name in the 400. */
const BUSBOY_FILES = 2;

/** The options @fastify/multipart hands to busboy for every request. */
export function busboyLimits(uploadBytes: number) {
  return {
    fileSize: uploadBytes,
    fieldSize: Math.min(FIELD_BYTES, uploadBytes),
    fields: MAX_FIELDS,
    files: BUSBOY_FILES,
    parts: MAX_FIELDS + BUSBOY_FILES,
    headerPairs: 16,
  };
}

export interface UploadedFile {
  field: string;
  data: Buffer;
  filename: string;
}

export interface MultipartBody {
  fields: FormObject;
  file?: UploadedFile;
}

export const tooLarge = (limit: number) => new PayloadTooLargeError(`The request body is too large; the limit is ${limit} bytes.`);

/** What busboy and @fastify/multipart throw, in the envelope. Their own 413s for "limits" are really 400s. */
const PLUGIN_ERRORS: Readonly<Record<string, (limit: number) => GatewayError>> = Object.freeze({
  FST_REQ_FILE_TOO_LARGE: tooLarge,
  FST_FILES_LIMIT: () => new InvalidRequestError('Only one file may be uploaded per request.', { code: 'too_many_files' }),
  FST_FIELDS_LIMIT: () => new InvalidRequestError(`A form may have at most ${MAX_FIELDS} fields.`, { code: 'too_many_fields' }),
  FST_PARTS_LIMIT: () => new InvalidRequestError(`A form may have at most ${MAX_FIELDS} fields and one file.`, { code: 'too_many_fields' }),
  FST_PROTO_VIOLATION: () =>
    new InvalidRequestError("Invalid field name: names such as '__proto__' or 'constructor' are not allowed.", { code: 'invalid_field_name' }),
  FST_INVALID_JSON_FIELD_ERROR: () =>
    new InvalidRequestError('A form field labelled application/json does not hold valid JSON.', { code: 'invalid_json' }),
  FST_MP_PREMATURE_CLOSE: () => new InvalidRequestError('The multipart body ended early.', { code: 'invalid_multipart' }),
});

/**
 * Anything the multipart parser throws becomes a 4xx: busboy's own errors
 * (`Malformed part header`, `Unexpected end of form`, a missing boundary) are
 * plain Errors whose messages name no path or secret, so they are kept.
 */
function multipartError(err: unknown, limit: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: unknown }).code;
  const known = typeof code === 'string' && Object.hasOwn(PLUGIN_ERRORS, code) ? PLUGIN_ERRORS[code] : undefined;
  if (known) return known(limit);
  const detail = err instanceof Error && err.message.length < 200 ? `: ${err.message}` : '';
  return new InvalidRequestError(`The multipart body is malformed${detail}.`, { code: 'invalid_multipart', cause: err });
}

/** Counts the raw bytes of the request as busboy reads them; `race` rejects once they pass the limit. */
function bodyCap(raw: IncomingMessage, limit: number) {
  let seen = 0;
  let trip: (err: Error) => void = () => undefined;
  const tripped = new Promise<never>((_resolve, reject) => (trip = reject));
  tripped.catch(() => undefined);
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit) {
      // Stop busboy; the error path drains the rest so the client reads the 413.
      raw.unpipe();
      trip(tooLarge(limit));
    }
  };
  raw.on('data', onData);
  return {
    race: <T>(work: Promise<T>): Promise<T> => Promise.race([work, tripped]),
    release: () => raw.off('data', onData),
  };
}

/** WHATWG FormData turns every newline into CRLF, so a client's `\n` arrives as `\r\n`: restore what it sent. */
const restoreNewlines = (value: unknown): unknown => (typeof value === 'string' ? value.replace(/\r\n/g, '\n') : value);

/**
 * The form's fields (bracketed names decoded) and its one file. Text parts
 * labelled application/json carry their parsed JSON value, as declared.
 */
export async function readMultipart(request: FastifyRequest, uploadBytes: number): Promise<MultipartBody> {
  if (Number(request.headers['content-length']) > uploadBytes) throw tooLarge(uploadBytes);
  const cap = bodyCap(request.raw, uploadBytes);
  const fields = emptyForm();
  let file: UploadedFile | undefined;
  try {
    const parts = request.parts()[Symbol.asyncIterator]();
    for (;;) {
      const next = await cap.race(parts.next());
      if (next.done) break;
      const part = next.value;
      if (!part.fieldname) throw new InvalidRequestError('A form part has no field name.', { code: 'invalid_multipart' });
      if (part.type === 'file') {
        if (file) throw new InvalidRequestError('Only one file may be uploaded per request.', { param: part.fieldname, code: 'too_many_files' });
        const data = await cap.race(part.toBuffer());
        file = { field: part.fieldname, data, filename: part.filename || 'upload' };
      } else {
        if (part.fieldnameTruncated) throw new InvalidRequestError('A form field name is too long.', { code: 'invalid_field_name' });
        if (part.valueTruncated) {
          throw new InvalidRequestError(`Invalid '${part.fieldname}': the field is larger than ${busboyLimits(uploadBytes).fieldSize} bytes.`, {
            param: part.fieldname,
            code: 'string_above_max_length',
          });
        }
        setBracketedField(fields, part.fieldname, restoreNewlines(part.value));
      }
    }
  } catch (err) {
    throw multipartError(err, uploadBytes);
  } finally {
    cap.release();
  }
  return file ? { fields, file } : { fields };
}
