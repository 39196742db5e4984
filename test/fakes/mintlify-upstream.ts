import { randomBytes } from 'node:crypto';
import {
  fixtureBody,
  startOpenAIShapedFake,
  type ErrorSpec,
  type FakeOptions,
  type OpenAIShapedDialect,
  type OpenAIShapedFake,
} from './openai-upstream.js';

/**
 * A fake apigo.ai-style upstream (seed 003, providers.md §4) on the OpenAI-shaped core:
 * multipart-only create with `model` required, `size` 720x1280|1280x720, `seconds`
 * "4"|"8"|"12", `input_reference` a file only; status word `pending` for queued;
 * error bodies `{code, message, type}` at the top level (or under `error` with
 * `errorShape: 'enveloped'`, the "assume the OpenAI envelope" reading of §4.2).
 * No remix, no delete. Content before completion: 404 (UNCONFIRMED, §9.7).
 */

export interface MintlifyFakeOptions extends FakeOptions {
  errorShape?: 'flat' | 'enveloped';
}

const SIZES = ['720x1280', '1280x720'];
const SECONDS = ['4', '8', '12'];

const err = (name: string): ErrorSpec => {
  const body = fixtureBody<Record<string, unknown>>('mintlify', name);
  const e = (body.error ?? body) as { code: string; message: string; type: string };
  return { message: e.message, code: e.code, type: e.type, param: null };
};
const bad = (code: string, message: string, param: string) => ({
  status: 400,
  error: { message, code, type: 'invalid_request_error', param },
});

export function mintlifyDialect(errorShape: 'flat' | 'enveloped' = 'flat'): OpenAIShapedDialect {
  const shape = (e: ErrorSpec) => ({ code: e.code, message: e.message, type: e.type });
  return {
    name: 'mintlify',
    prefix: '/v1',
    words: { queued: 'pending', in_progress: 'in_progress', completed: 'completed', failed: 'failed' },
    errorBody: (_status, e) => (errorShape === 'flat' ? shape(e) : { error: shape(e) }),
    remix: false,
    delete: false,
    defaults: { model: 'sora-2', seconds: '4', size: '720x1280' },
    validate(f) {
      if (f.encoding !== 'multipart') return { status: 415, error: { message: 'Content-Type must be multipart/form-data', code: 'unsupported_media_type', type: 'invalid_request_error', param: null } };
      if (!f.model) return { status: 400, error: err('error-missing-model') };
      if (!f.prompt) return bad('missing_required_parameter', 'prompt is required', 'prompt');
      if (f.size !== undefined && !SIZES.includes(f.size)) return { status: 400, error: err('error-invalid-size') };
      if (f.seconds !== undefined && !SECONDS.includes(f.seconds)) return { status: 400, error: err('error-invalid-seconds') };
      if (Object.keys(f.referenceText).length > 0) return bad('invalid_input_reference', 'input_reference must be a file', 'input_reference');
      return undefined;
    },
    newId: () => `video_${randomBytes(12).toString('hex')}`,
    notReady: { status: 404, error: err('error-not-ready') },
    notFound: { status: 404, error: { message: 'video not found', code: 'not_found', type: 'invalid_request_error', param: null } },
    unauthorized: { status: 401, body: errorShape === 'flat' ? fixtureBody('mintlify', 'error-unauthorized') : { error: fixtureBody('mintlify', 'error-unauthorized') } },
    defaultFailure: fixtureBody<{ error: unknown }>('mintlify', 'status-failed').error,
    videoObject(job, step, word) {
      const body: Record<string, unknown> = {
        id: job.id,
        object: 'video',
        created_at: job.createdAt,
        model: job.model,
        status: word,
        progress: step.progress ?? (step.status === 'completed' ? 100 : 0),
        seconds: job.seconds,
        size: job.size,
      };
      if (step.status === 'completed') {
        body.completed_at = job.createdAt + 100;
        body.expires_at = job.createdAt + 100 + 86300;
        body.remixed_from_video_id = null;
        body.error = null;
      }
      if (step.status === 'failed') body.error = step.error ?? this.defaultFailure;
      return body;
    },
  };
}

export function startFakeMintlify(options: MintlifyFakeOptions = {}): Promise<OpenAIShapedFake> {
  return startOpenAIShapedFake(mintlifyDialect(options.errorShape), options);
}
