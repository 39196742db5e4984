import { randomBytes } from 'node:crypto';
import { InvalidRequestError } from '../../../errors.js';
import type { CreateJob } from '../../types.js';
import type { RawBody } from '../upstream-request.js';

/**
 * The create body as the official SDK sends it (openai-videos-api.md §1.3):
 * multipart text parts `model`, `prompt`, `seconds`, `size`, plus either a file
 * part `input_reference` or the bracketed `input_reference[image_url]` /
 * `input_reference[file_id]` text parts. `model` is always sent.
 *
 * The multipart body is written here rather than by undici's FormData, because
 * FormData rewrites every `\n` in a value to `\r\n`, and storyboard prompts must
 * reach the provider byte for byte (issue 3).
 */

export type MultipartPart =
  | { name: string; value: string }
  | { name: string; data: Buffer; filename: string; contentType: string };

export interface CreateFormOptions {
  /** For the refusal's `provider` (the operator's log line); never part of its message. */
  providerId: string;
  /** The provider takes `input_reference[image_url]`; otherwise a data URL becomes a file part and an http(s) URL is refused. */
  imageUrl: boolean;
  /** The provider takes `input_reference[file_id]` (OpenAI's own Files API); otherwise it is refused. */
  fileId: boolean;
}

const DATA_URL = /^data:(image\/(?:png|jpeg|jpg|webp));base64,([A-Za-z0-9+/=\s]+)$/;

/** A base64 `data:` image URL as bytes, or undefined when `url` is not one. */
export function decodeDataUrl(url: string): { data: Buffer; mimeType: string; filename: string } | undefined {
  const m = DATA_URL.exec(url);
  if (!m) return undefined;
  const mimeType = m[1] === 'image/jpg' ? 'image/jpeg' : m[1]!;
  const ext = mimeType === 'image/jpeg' ? 'jpg' : mimeType.slice('image/'.length);
  return { data: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'), mimeType, filename: `input_reference.${ext}` };
}

/** A request the provider cannot take; failover lets a target that can take it serve the request. */
function unsupported(providerId: string, what: string): InvalidRequestError {
  return new InvalidRequestError(`The upstream provider does not accept ${what} for input_reference; upload the image as a file instead.`, {
    param: 'input_reference',
    code: 'unsupported_value',
    failover: true,
    provider: providerId,
  });
}

/** The create request's parts, in the SDK's order. */
export function buildCreateParts(job: CreateJob, opts: CreateFormOptions): MultipartPart[] {
  const parts: MultipartPart[] = [
    { name: 'model', value: job.model },
    { name: 'prompt', value: job.prompt },
    { name: 'seconds', value: job.seconds },
    { name: 'size', value: job.size },
  ];
  const ref = job.inputReference;
  if (ref?.kind === 'file') {
    parts.push({ name: 'input_reference', data: ref.data, filename: ref.filename || 'input_reference', contentType: ref.mimeType });
  } else if (ref?.kind === 'url') {
    if (opts.imageUrl) parts.push({ name: 'input_reference[image_url]', value: ref.url });
    else {
      const file = decodeDataUrl(ref.url);
      if (!file) throw unsupported(opts.providerId, 'an image URL');
      parts.push({ name: 'input_reference', data: file.data, filename: file.filename, contentType: file.mimeType });
    }
  } else if (ref?.kind === 'file_id') {
    if (!opts.fileId) throw unsupported(opts.providerId, 'a file_id');
    parts.push({ name: 'input_reference[file_id]', value: ref.fileId });
  }
  return parts;
}

/** Header-safe name/filename (the HTML multipart/form-data escaping of `"`, CR and LF). */
const quote = (s: string) => s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** multipart/form-data with values exactly as given (no newline normalisation). */
export function encodeMultipart(parts: readonly MultipartPart[], proposed?: string): RawBody & { body: Buffer } {
  let boundary = proposed ?? `----reelay-${randomBytes(16).toString('hex')}`;
  // 128 random bits practically never collide with the content; check anyway.
  while (parts.some((p) => ('data' in p ? p.data.includes(boundary) : p.value.includes(boundary)))) {
    boundary = `----reelay-${randomBytes(16).toString('hex')}`;
  }
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if ('data' in p) {
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(p.name)}"; filename="${quote(p.filename)}"\r\nContent-Type: ${p.contentType}\r\n\r\n`),
        p.data,
        Buffer.from('\r\n'),
      );
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(p.name)}"\r\n\r\n${p.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

/** buildCreateParts + encodeMultipart: the body an OpenAI-shaped create sends. */
export function buildCreateForm(job: CreateJob, opts: CreateFormOptions): RawBody {
  return encodeMultipart(buildCreateParts(job, opts));
}
