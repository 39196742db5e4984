import type { z } from 'zod';
import { OpenAIVideoWireSchema } from '../http/openai-compatible/wire.js';

/**
 * OpenAI `/v1/videos` response bodies (../shared/reference/openai-videos-api.md §1.5, §2).
 * Parsed leniently: OpenAI adds fields over time (SDK 7.57 already knows more error
 * keys than the spec), and none of them may break a poll.
 */

/** The Video object: create, retrieve and remix all answer with it. */
export const OpenAIVideoSchema = OpenAIVideoWireSchema;
export type OpenAIVideo = z.output<typeof OpenAIVideoSchema>;
