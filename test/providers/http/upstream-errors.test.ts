import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Agent, errors as undiciErrors, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InvalidRequestError,
  type GatewayError,
  NotFoundError,
  RangeNotSatisfiableError,
  RateLimitError,
  UpstreamError,
  UpstreamTimeoutError,
} from '../../../src/errors.js';
import { CredentialPool, credentialFingerprint } from '../../../src/providers/http/credential-pool.js';
import {
  parseUpstreamErrorBody,
  retryAfterSeconds,
  scrubSecrets,
  translateTransportError,
  translateUpstreamError,
  type UpstreamVerb,
} from '../../../src/providers/http/upstream-errors.js';
import { captureLogger, manualClock } from './log-capture.js';

const json = (v: unknown) => JSON.stringify(v);

/** Every error dialect of providers.md §1.4, §2.6, §3.2, §4.2, §5.4 and §8.4, as the wire carries it. */
const DIALECTS: Array<[string, number, string, { message: string; param: string | null; code: string | null; type: string | null }]> = [
  [
    'OpenAI envelope (§1.4 bad key)',
    401,
    json({ error: { message: 'Incorrect API key provided: sk-abc***xyz', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }),
    { message: 'Incorrect API key provided: sk-abc***xyz', param: null, code: 'invalid_api_key', type: 'invalid_request_error' },
  ],
  [
    'OpenAI envelope with param (§1.3 input_reference)',
    400,
    json({ error: { message: "Invalid type for 'input_reference': expected a file, but got a string instead.", type: 'invalid_request_error', param: 'input_reference', code: 'invalid_type' } }),
    { message: "Invalid type for 'input_reference': expected a file, but got a string instead.", param: 'input_reference', code: 'invalid_type', type: 'invalid_request_error' },
  ],
  [
    'OpenAI rate limit, type "requests" (§1.4)',
    429,
    json({ error: { message: 'Rate limit reached for sora-2', type: 'requests', param: null, code: 'rate_limit_exceeded' } }),
    { message: 'Rate limit reached for sora-2', param: null, code: 'rate_limit_exceeded', type: 'requests' },
  ],
  [
    'new-api (a) middleware, empty code (§2.6)',
    401,
    json({ error: { message: 'Invalid token (request id: 2025101605)', type: 'new_api_error', code: '' } }),
    { message: 'Invalid token (request id: 2025101605)', param: null, code: null, type: 'new_api_error' },
  ],
  [
    'new-api (a) 503 model_not_found (§2.6)',
    503,
    json({ error: { message: 'No available channel for model sora-3 under group default (distributor)', type: 'new_api_error', code: 'model_not_found' } }),
    { message: 'No available channel for model sora-3 under group default (distributor)', param: null, code: 'model_not_found', type: 'new_api_error' },
  ],
  [
    'new-api (b) flat (§2.6 invalid_size)',
    400,
    json({ code: 'invalid_size', message: 'sora-2 size is invalid', data: null }),
    { message: 'sora-2 size is invalid', param: null, code: 'invalid_size', type: null },
  ],
  [
    'new-api (b) fail_to_fetch_task embedding an OpenAI error (§2.6)',
    400,
    json({
      code: 'fail_to_fetch_task',
      message: json({ error: { message: 'Inpaint image must match the requested width and height', type: 'invalid_request_error', param: null, code: null } }),
      data: null,
    }),
    { message: 'Inpaint image must match the requested width and height', param: null, code: 'fail_to_fetch_task', type: 'invalid_request_error' },
  ],
  [
    'new-api (b) embedding an OpenAI error with param and code (§2.8 step 6)',
    400,
    json({
      code: 'fail_to_fetch_task',
      message: json({ error: { message: "Invalid value: '5'. Supported values are: '4', '8', and '12'.", type: 'invalid_request_error', param: 'seconds', code: 'invalid_value' } }),
      data: null,
    }),
    { message: "Invalid value: '5'. Supported values are: '4', '8', and '12'.", param: 'seconds', code: 'invalid_value', type: 'invalid_request_error' },
  ],
  [
    'new-api (b) 403 insufficient_user_quota (§2.6)',
    403,
    json({ code: 'insufficient_user_quota', message: '用户额度不足, 剩余额度: ＄0.01', data: null }),
    { message: '用户额度不足, 剩余额度: ＄0.01', param: null, code: 'insufficient_user_quota', type: null },
  ],
  [
    'new-api (b) 429 with the Chinese saturation message (§2.6)',
    429,
    json({ code: 'fail_to_fetch_task', message: '当前分组上游负载已饱和，请稍后再试', data: null }),
    { message: '当前分组上游负载已饱和，请稍后再试', param: null, code: 'fail_to_fetch_task', type: null },
  ],
  [
    'new-api /content error {error:{message,type}} (§2.5)',
    400,
    json({ error: { message: 'Task is not completed yet, current status: IN_PROGRESS', type: 'invalid_request_error' } }),
    { message: 'Task is not completed yet, current status: IN_PROGRESS', param: null, code: null, type: 'invalid_request_error' },
  ],
  [
    'new-api task_not_exist (§2.4)',
    400,
    json({ code: 'task_not_exist', message: 'task_not_exist', data: null }),
    { message: 'task_not_exist', param: null, code: 'task_not_exist', type: null },
  ],
  [
    'storyboard reseller envelope (§3.2)',
    400,
    json({ error: { message: 'Invalid request parameters', type: 'invalid_request_error', code: 'invalid_parameter' } }),
    { message: 'Invalid request parameters', param: null, code: 'invalid_parameter', type: 'invalid_request_error' },
  ],
  [
    'apigo flat {code,message,type} (§4.2)',
    400,
    json({ code: 'invalid_size', message: 'size must be one of 720x1280, 1280x720', type: 'invalid_request_error' }),
    { message: 'size must be one of 720x1280, 1280x720', param: null, code: 'invalid_size', type: 'invalid_request_error' },
  ],
  [
    'apigo {code,message,type} under error (§4.2)',
    400,
    json({ error: { code: 'content_policy_violation', message: 'Prompt was rejected by the safety system.', type: 'invalid_request_error' } }),
    { message: 'Prompt was rejected by the safety system.', param: null, code: 'content_policy_violation', type: 'invalid_request_error' },
  ],
  [
    'NestJS string message, numeric statusCode (§5.4)',
    401,
    json({
      message: 'This request requires a valid API key. You can create a new API key on the Billing page: https://aimlapi.com/app/keys',
      path: '/v2/video/generations',
      requestId: '798b860e-98c2-4e8e-8c50-550bcfc2eccc',
      statusCode: 401,
      timestamp: '2026-03-11T07:13:27.813Z',
    }),
    { message: 'This request requires a valid API key. You can create a new API key on the Billing page: https://aimlapi.com/app/keys', param: null, code: null, type: null },
  ],
  [
    'NestJS string statusCode (§5.4)',
    429,
    json({ message: 'Too Many Requests', statusCode: '429' }),
    { message: 'Too Many Requests', param: null, code: null, type: null },
  ],
  [
    'NestJS message array with error phrase (§5.4)',
    400,
    json({ message: ['image_url must be a URL address or a base64 image', 'duration must be one of 4, 8, 12'], error: 'Bad Request', statusCode: 400 }),
    { message: 'image_url must be a URL address or a base64 image; duration must be one of 4, 8, 12', param: null, code: null, type: null },
  ],
  ['plain text', 502, '  Bad Gateway\n', { message: 'Bad Gateway', param: null, code: null, type: null }],
  [
    'HTML error page',
    503,
    '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503</h1></center><hr><center>nginx</center></body></html>',
    { message: '503 Service Temporarily Unavailable', param: null, code: null, type: null },
  ],
  ['empty body', 429, '', { message: 'The upstream provider answered HTTP 429 with no body.', param: null, code: null, type: null }],
  ['JSON without any message', 500, json({ ok: false }), { message: '{"ok":false}', param: null, code: null, type: null }],
];

describe('parseUpstreamErrorBody', () => {
  it.each(DIALECTS)('%s', (_name, status, text, expected) => {
    expect(parseUpstreamErrorBody(status, text)).toEqual(expected);
  });

  it('truncates long plain text to about 500 characters', () => {
    const parsed = parseUpstreamErrorBody(500, 'x'.repeat(5000));
    expect(parsed.message.length).toBeLessThanOrEqual(500);
    expect(parsed.message.endsWith('…')).toBe(true);
  });
});

const KEY_A = 'upstream-key-aaaa-1111';
const KEY_B = 'sk-proj-upstreamKeyBbbb2222';
/** A provider id no message could contain by chance ("up" is in "upstream"). */
const PROVIDER = 'vendor-q7';

function setup() {
  const clock = manualClock();
  const log = captureLogger();
  const pool = new CredentialPool(PROVIDER, [KEY_A, KEY_B], { clock, logger: log.logger });
  const credential = pool.byFingerprint(credentialFingerprint(PROVIDER, KEY_A));
  const ctx = (verb: UpstreamVerb) => ({ pool, credential, providerId: PROVIDER, log: log.logger, verb });
  return { clock, log, pool, credential, ctx };
}

/** The id goes to the operator's log line (`provider`), never into what the client reads. */
function expectProviderForLogOnly(err: GatewayError): void {
  expect(err.provider).toBe(PROVIDER);
  expect(err.message).not.toContain(PROVIDER);
  expect(JSON.stringify(err.headers)).not.toContain(PROVIDER);
}

interface Expect {
  cls: new (...args: never[]) => GatewayError;
  status: number;
  code: string | null;
  param?: string | null;
  failover: boolean;
  message?: string | RegExp;
}

/** (dialect body, upstream status, verb) → what the client gets. */
const MAPPING: Array<[string, number, string, UpstreamVerb, Expect]> = [
  ['400 OpenAI param kept', 400, DIALECTS[1]![2], 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_type', param: 'input_reference', failover: false, message: /input_reference/ }],
  ['400 new-api embedded param kept', 400, DIALECTS[7]![2], 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_value', param: 'seconds', failover: false, message: "Invalid value: '5'. Supported values are: '4', '8', and '12'." }],
  ['400 new-api flat code kept', 400, DIALECTS[5]![2], 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_size', param: null, failover: false, message: 'sora-2 size is invalid' }],
  ['400 apigo', 400, DIALECTS[13]![2], 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_size', failover: false, message: 'size must be one of 720x1280, 1280x720' }],
  ['400 NestJS array', 400, DIALECTS[17]![2], 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_value', failover: false, message: /^image_url must be/ }],
  ['409', 409, json({ error: { message: 'Video is still processing', type: 'invalid_request_error', param: null, code: 'conflict' } }), 'delete', { cls: InvalidRequestError, status: 400, code: 'conflict', failover: false }],
  ['413', 413, 'Request Entity Too Large', 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_value', failover: false, message: 'Request Entity Too Large' }],
  ['415', 415, json({ message: 'Unsupported Media Type', statusCode: 415 }), 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_value', failover: false }],
  ['422', 422, json({ error: { message: 'prompt too long', type: 'invalid_request_error', param: 'prompt', code: null } }), 'create', { cls: InvalidRequestError, status: 400, code: 'invalid_value', param: 'prompt', failover: false }],
  ['404 on create', 404, json({ error: { message: 'The model `sora-9` does not exist', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }), 'create', { cls: InvalidRequestError, status: 400, code: 'model_not_found', param: 'model', failover: false }],
  ['404 on status', 404, json({ error: { message: 'Video not found', type: 'invalid_request_error', param: null, code: null } }), 'status', { cls: NotFoundError, status: 404, code: 'not_found', failover: false, message: 'Video not found' }],
  ['404 on content (not ready)', 404, json({ error: { message: 'Video is not ready yet, use GET /v1/videos/{video_id} to check status.', type: 'invalid_request_error', param: null, code: null } }), 'content', { cls: NotFoundError, status: 404, code: 'not_found', failover: false, message: /^Video is not ready yet/ }],
  ['404 on remix', 404, json({ message: 'Not Found', statusCode: 404 }), 'remix', { cls: NotFoundError, status: 404, code: 'not_found', failover: false }],
  ['404 on delete', 404, '', 'delete', { cls: NotFoundError, status: 404, code: 'not_found', failover: false }],
  ['new-api 400 task_not_exist on status', 400, DIALECTS[11]![2], 'status', { cls: NotFoundError, status: 404, code: 'not_found', failover: false }],
  ['new-api 400 not completed on content', 400, DIALECTS[10]![2], 'content', { cls: InvalidRequestError, status: 400, code: 'invalid_value', failover: false, message: 'Task is not completed yet, current status: IN_PROGRESS' }],
  ['401 OpenAI', 401, DIALECTS[0]![2], 'create', { cls: UpstreamError, status: 502, code: 'upstream_auth_failed', failover: true, message: "The upstream provider refused Reelay's credential (HTTP 401)." }],
  ['401 new-api (a)', 401, DIALECTS[3]![2], 'status', { cls: UpstreamError, status: 502, code: 'upstream_auth_failed', failover: true }],
  ['401 NestJS', 401, DIALECTS[15]![2], 'create', { cls: UpstreamError, status: 502, code: 'upstream_auth_failed', failover: true }],
  ['403 token not allowed the model', 403, json({ error: { message: 'This token has no access to model sora-2', type: 'new_api_error', code: '' } }), 'create', { cls: UpstreamError, status: 502, code: 'upstream_auth_failed', failover: true }],
  ['403 insufficient_user_quota', 403, DIALECTS[8]![2], 'create', { cls: UpstreamError, status: 502, code: 'upstream_quota_exhausted', failover: true, message: 'The upstream provider refused the request for lack of quota or balance: 用户额度不足, 剩余额度: ＄0.01' }],
  ['403 aimlapi out of credits', 403, json({ message: "You've run out of credits. Please top up your balance or update your payment method to continue: https://aimlapi.com/app/billing/", statusCode: 403 }), 'create', { cls: UpstreamError, status: 502, code: 'upstream_quota_exhausted', failover: true }],
  ['408', 408, '', 'status', { cls: UpstreamTimeoutError, status: 504, code: 'upstream_timeout', failover: true, message: /^The upstream provider timed out: / }],
  ['416', 416, '', 'content', { cls: RangeNotSatisfiableError, status: 416, code: 'range_not_satisfiable', failover: false }],
  ['429 OpenAI', 429, DIALECTS[2]![2], 'create', { cls: RateLimitError, status: 429, code: 'rate_limit_exceeded', failover: true, message: 'Rate limit reached for sora-2' }],
  ['429 new-api Chinese', 429, DIALECTS[9]![2], 'create', { cls: RateLimitError, status: 429, code: 'rate_limit_exceeded', failover: true, message: '当前分组上游负载已饱和，请稍后再试' }],
  ['429 empty body (new-api global limiter)', 429, '', 'create', { cls: RateLimitError, status: 429, code: 'rate_limit_exceeded', failover: true }],
  ['500 plain', 500, 'Internal Server Error', 'create', { cls: UpstreamError, status: 502, code: 'upstream_error', failover: true, message: 'The upstream provider failed (HTTP 500): Internal Server Error' }],
  ['502 HTML', 502, DIALECTS[19]![2], 'status', { cls: UpstreamError, status: 502, code: 'upstream_error', failover: true }],
  ['503 NestJS maintenance', 503, json({ message: 'The model is under maintenance, please contact us at help@aimlapi.com.', statusCode: 503 }), 'create', { cls: UpstreamError, status: 502, code: 'upstream_error', failover: true, message: /under maintenance/ }],
  ['503 new-api model_not_found', 503, DIALECTS[4]![2], 'create', { cls: InvalidRequestError, status: 400, code: 'model_not_found', param: 'model', failover: true, message: /No available channel for model sora-3/ }],
  ['504', 504, json({ message: 'Generation timeout', statusCode: 504 }), 'create', { cls: UpstreamError, status: 502, code: 'upstream_error', failover: true }],
  ['418 (anything else)', 418, "I'm a teapot", 'create', { cls: UpstreamError, status: 502, code: 'upstream_error', failover: false, message: "The upstream provider answered HTTP 418: I'm a teapot" }],
];

describe('translateUpstreamError', () => {
  it.each(MAPPING)('%s', (_name, status, text, verb, want) => {
    const { ctx } = setup();
    const err = translateUpstreamError({ status, headers: {}, text }, ctx(verb));
    expect(err).toBeInstanceOf(want.cls);
    expect(err.status).toBe(want.status);
    expect(err.code).toBe(want.code);
    expect(err.failover).toBe(want.failover);
    if (want.param !== undefined) expect(err.param).toBe(want.param);
    if (typeof want.message === 'string') expect(err.message).toBe(want.message);
    else if (want.message) expect(err.message).toMatch(want.message);
    expectProviderForLogOnly(err);
  });

  it('logs the provider id that no message carries', () => {
    const { ctx, log } = setup();
    translateUpstreamError({ status: 500, headers: {}, text: 'Internal Server Error' }, ctx('create'));
    expect(log.entries().find((e) => e.msg === 'upstream error')).toMatchObject({ provider: PROVIDER, upstreamStatus: 500 });
  });

  it.each<[string, Record<string, string>, Record<string, string>]>([
    ['bytes */4096', { 'content-range': 'bytes */4096' }, { 'content-range': 'bytes */4096' }],
    ['bytes */0', { 'content-range': 'bytes */0' }, { 'content-range': 'bytes */0' }],
    ['no Content-Range', {}, {}],
    ['a malformed one', { 'content-range': 'bytes 0-1/*' }, {}],
  ])('answers a 416 carrying %s with Content-Range: bytes */N only when N is known', (_label, headers, want) => {
    const { ctx } = setup();
    const err = translateUpstreamError({ status: 416, headers, text: 'Requested Range Not Satisfiable' }, ctx('content'));
    expect(err).toBeInstanceOf(RangeNotSatisfiableError);
    expect(err.headers).toEqual(want);
    expect(err.message).toBe('Requested Range Not Satisfiable');
  });

  it('disables the credential after a 401 and logs why, without the key', () => {
    const { ctx, pool, credential, log } = setup();
    translateUpstreamError({ status: 401, headers: {}, text: DIALECTS[0]![2] }, ctx('create'));
    expect(pool.health().find((h) => h.fingerprint === credential.fingerprint)).toMatchObject({ state: 'disabled', reason: expect.stringMatching(/^HTTP 401 invalid_api_key/) });
    expect(pool.next().key).toBe(KEY_B);
    expect(pool.next().key).toBe(KEY_B);
    expect(log.lines.join('\n')).not.toContain(KEY_A);
  });

  it('does not disable the credential on a quota 403', () => {
    const { ctx, pool } = setup();
    translateUpstreamError({ status: 403, headers: {}, text: DIALECTS[8]![2] }, ctx('create'));
    expect(pool.health().every((h) => h.state === 'active')).toBe(true);
  });

  it('cools the credential down for the upstream Retry-After on 429 and echoes it', () => {
    const { ctx, pool, credential, clock } = setup();
    const err = translateUpstreamError({ status: 429, headers: { 'retry-after': '7' }, text: DIALECTS[2]![2] }, ctx('create'));
    expect(err.headers['retry-after']).toBe('7');
    expect(pool.health().find((h) => h.fingerprint === credential.fingerprint)!.state).toBe('cooling_down');
    clock.advance(7_000);
    expect(pool.health().every((h) => h.state === 'active')).toBe(true);
  });

  it('defaults the 429 wait to 30 s', () => {
    const { ctx, pool, credential, clock } = setup();
    const err = translateUpstreamError({ status: 429, headers: {}, text: '' }, ctx('create'));
    expect(err.headers['retry-after']).toBe('30');
    clock.advance(29_000);
    expect(pool.health().find((h) => h.fingerprint === credential.fingerprint)!.state).toBe('cooling_down');
  });

  it('never lets a provider key into a message: pool keys, the credential and sk- tokens', () => {
    const { ctx } = setup();
    const texts = [
      json({ error: { message: `Incorrect API key provided: ${KEY_A}`, type: 'invalid_request_error', param: null, code: 'bad' } }),
      json({ code: 'fail_to_fetch_task', message: json({ error: { message: `key ${KEY_B} is not allowed`, type: 'x' } }), data: null }),
      `upstream said Authorization: Bearer ${KEY_A} was wrong and sk-live-ABCDEFGHIJKLMNOP too`,
    ];
    for (const status of [400, 404, 429, 500]) {
      for (const text of texts) {
        const err = translateUpstreamError({ status, headers: {}, text }, ctx('status'));
        expect(err.message).not.toContain(KEY_A);
        expect(err.message).not.toContain(KEY_B);
        expect(err.message).not.toContain('sk-live-ABCDEFGHIJKLMNOP');
      }
    }
  });

  it('scrubs a key that straddles the cut of a long message, leaving no piece of it', () => {
    const { ctx } = setup();
    const plain = `${'x'.repeat(485)} ${KEY_A} trailing`; // the 500-character cut leaves 13 characters of the key
    const enveloped = json({ error: { message: `${'y'.repeat(1985)} ${KEY_A}`, type: 'x', param: null, code: null } });
    for (const text of [plain, enveloped]) {
      const err = translateUpstreamError({ status: 500, headers: {}, text }, ctx('status'));
      expect(err.message).not.toContain(KEY_A.slice(0, 12));
    }
  });

  it('scrubSecrets keeps the rest of the text', () => {
    expect(scrubSecrets('use Bearer abcdefghijkl1234 or sk-proj-12345678 please')).toBe('use Bearer [redacted] or [redacted] please');
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    [{ 'retry-after': '12' }, 12],
    [{ 'retry-after': ['5', '9'] }, 5],
    [{ 'retry-after-ms': '1500', 'retry-after': '9' }, 1.5],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:20 GMT' }, 20],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after': '0' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, want) => {
    expect(retryAfterSeconds(headers, Date.parse('2026-01-01T00:00:00Z'))).toBe(want);
  });
});

describe('translateTransportError', () => {
  const ctx = () => ({ providerId: PROVIDER, log: captureLogger().logger, verb: 'create' as const });

  it.each([
    ['connect timeout', new undiciErrors.ConnectTimeoutError(), UpstreamTimeoutError, 504, 'The upstream provider did not answer in time (UND_ERR_CONNECT_TIMEOUT).'],
    ['headers timeout', new undiciErrors.HeadersTimeoutError(), UpstreamTimeoutError, 504, 'The upstream provider did not answer in time (UND_ERR_HEADERS_TIMEOUT).'],
    ['body timeout', new undiciErrors.BodyTimeoutError(), UpstreamTimeoutError, 504, 'The upstream provider did not answer in time (UND_ERR_BODY_TIMEOUT).'],
    ['socket error', new undiciErrors.SocketError('other side closed'), UpstreamError, 502, 'Could not reach the upstream provider (UND_ERR_SOCKET).'],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), UpstreamError, 502, 'Could not reach the upstream provider (ECONNREFUSED).'],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), UpstreamError, 502, 'Could not reach the upstream provider (ECONNRESET).'],
    ['wrapped in a TypeError cause (fetch style)', new TypeError('fetch failed', { cause: new undiciErrors.HeadersTimeoutError() }), UpstreamTimeoutError, 504, 'The upstream provider did not answer in time (UND_ERR_HEADERS_TIMEOUT).'],
    ['retries exhausted', Object.assign(new Error('Request failed'), { code: 'UND_ERR_REQ_RETRY', statusCode: 503 }), UpstreamError, 502, 'The upstream provider failed (HTTP 503) after retries.'],
  ] as const)('%s', (_name, err, cls, status, message) => {
    const out = translateTransportError(err, ctx());
    expect(out).toBeInstanceOf(cls);
    expect(out.status).toBe(status);
    expect(out.failover).toBe(true);
    expect(out.message).toBe(message);
    expectProviderForLogOnly(out);
  });

  it('answers an aborted request without failover, naming no provider', () => {
    const out = translateTransportError(new undiciErrors.RequestAbortedError(), ctx());
    expect(out).toMatchObject({ status: 502, code: 'upstream_aborted', failover: false, message: 'The request to the upstream provider was aborted.' });
    expectProviderForLogOnly(out);
  });

  it('passes a GatewayError through unchanged', () => {
    const original = new InvalidRequestError('nope');
    expect(translateTransportError(original, ctx())).toBe(original);
  });

  const sockets = new Set<Socket>();
  const silent = createServer((s) => {
    sockets.add(s); // accepts and never answers
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('maps a real refused connection and a real headers timeout', async () => {
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));

    const agent = new Agent({ headersTimeout: 100 });
    const refused = await request(`http://127.0.0.1:${closedPort}/`, { dispatcher: agent }).catch((e: unknown) => e);
    expect(translateTransportError(refused, ctx())).toMatchObject({ status: 502, code: 'upstream_unreachable', failover: true });
    const hung = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent }).catch((e: unknown) => e);
    expect(translateTransportError(hung, ctx())).toMatchObject({ status: 504, code: 'upstream_timeout', failover: true });
    await agent.close();
  });
});
