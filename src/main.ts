import { randomBytes } from 'node:crypto';
import pretty from 'pino-pretty';
import { systemClock } from './clock.js';
import { loadConfig } from './config/load.js';
import { ConfigError, StartupError } from './errors.js';
import { createLogger, isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS } from './logger.js';
import { createRuntime } from './runtime.js';
import { EMBEDDED_ADMIN_KEY, insecureDefaultAdminKey, insecureDefaultKey, privateWebhooksBeyondLoopback, startupBanner } from './startup-banner.js';

/** Process entry: load config, create real dependencies, listen, shut down gracefully. */
async function main(): Promise<void> {
  const level = process.env.LOG_LEVEL || 'info';
  if (!isLogLevel(level)) {
    process.stderr.write(`reelay: invalid LOG_LEVEL "${level}"; use one of ${LOG_LEVELS.join(', ')}\n`);
    process.exit(1);
  }
  const format = process.env.LOG_FORMAT || 'json';
  if (!isLogFormat(format)) {
    process.stderr.write(`reelay: invalid LOG_FORMAT "${format}"; use one of ${LOG_FORMATS.join(', ')}\n`);
    process.exit(1);
  }
  // Pretty lines are formatted in this process, synchronously like the JSON default, so the last
  // lines before process.exit are never lost (a transport's worker thread could drop them).
  const destination = format === 'pretty' ? pretty({ destination: 1, sync: true, colorize: process.stdout.isTTY === true }) : undefined;
  // runId: one per process, on every line (requests included), to tell a restart's lines from the last run's.
  const logger = createLogger(level, destination).child({ runId: `run_${randomBytes(6).toString('hex')}` });
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`reelay: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { config, path } = loaded;
  const runtime = await createRuntime({ config, logger, clock: systemClock });
  // Before listening: a signal that arrives once the listening line is out must find its handler,
  // or the kernel's default action ends the process with nothing drained.
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.server.shutdown_timeout_s * 1000);
    force.unref();
    runtime.close().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await runtime.app.listen({ host: config.server.host, port: config.server.port });
  const address = runtime.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const banner = startupBanner(config, port);
  logger.info({ configPath: path, store: config.store.type, url: banner.url, key: banner.keyName }, `Reelay listening on ${banner.url}`);
  // Plain text beside the JSON log, so the curl pastes as it is.
  process.stderr.write(banner.text);
  if (insecureDefaultKey(config)) {
    logger.warn('the default development key sk-reelay-dev is accepted on a non-loopback address; set REELAY_DEV_KEY or your own keys');
  }
  if (insecureDefaultAdminKey(config)) {
    logger.warn(`the admin API is off: its key is the public default ${EMBEDDED_ADMIN_KEY} and the address is not loopback; set REELAY_ADMIN_KEY`);
  }
  if (privateWebhooksBeyondLoopback(config)) {
    logger.warn('webhooks.allow_private is on and the address is not loopback: webhooks may target private and internal addresses; turn it off unless every receiver is internal');
  }

}

main().catch((err: unknown) => {
  // A StartupError says all there is to say; anything else is a bug worth its stack.
  const detail = err instanceof StartupError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`reelay: failed to start: ${detail}\n`);
  process.exit(1);
});
