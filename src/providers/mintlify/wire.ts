import type { z } from 'zod';
import { OpenAIVideoWireSchema } from '../http/openai-compatible/wire.js';

/**
 * apigo.ai (Mintlify-hosted docs) `/v1/videos` bodies, providers.md §4 and seed 003.
 * The video object copies OpenAI's, with `pending` for queued and an error object
 * of `{code, message, type}`. Only `id`, `object` and `status` are documented as
 * required, so everything else is optional; unknown keys pass.
 */

export const MintlifyVideoSchema = OpenAIVideoWireSchema;
export type MintlifyVideo = z.output<typeof MintlifyVideoSchema>;
