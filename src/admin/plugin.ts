import type { FastifyInstance } from 'fastify';
import type { BudgetLedger } from '../budgets/ledger.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { KeyAdmin } from '../keys/key-admin.js';
import type { KeyStore } from '../keys/key-store.js';
import type { TaskStore } from '../stores/task-store.js';
import type { WebhookAdmin } from '../webhooks/admin.js';
import { auditRoutes } from './audit-routes.js';
import { registerAdminAuth } from './auth.js';
import { createFailureLimiter, type FailureLimiter } from './failure-limiter.js';
import { keysRoutes } from './keys-routes.js';
import { usageRoutes } from './usage-routes.js';
import { adminVideosRoutes } from './videos-routes.js';
import { webhooksRoutes } from './webhooks-routes.js';

/** What every admin route module receives. */
export interface AdminDeps {
  config: Config;
  keys: KeyAdmin;
  /** The key registry: audit log included. */
  store: KeyStore;
  /** Video records, for the operator's view of any key's jobs. */
  tasks: TaskStore;
  /** Spend per key, for the usage report. */
  ledger: BudgetLedger;
  /** Webhook deliveries: the recent ones, and redelivery. */
  webhooks: WebhookAdmin;
  clock: Clock;
}

export interface AdminPluginOptions extends AdminDeps {
  /** Defaults to 10 failures per minute per address, counted in this process. */
  limiter?: FailureLimiter;
}

/** A route module of the admin API: registered after auth, so `request.admin` is always set. */
export type AdminRoutes = (app: FastifyInstance, deps: AdminDeps) => Promise<void>;

/** Every route module of the admin API, in registration order. */
const ADMIN_ROUTES: readonly AdminRoutes[] = [keysRoutes, auditRoutes, usageRoutes, adminVideosRoutes, webhooksRoutes];

/**
 * The admin API, mounted at `/admin/v1` (register with that prefix). An
 * encapsulated scope: its auth hook never runs for /v1 and /v1's never here.
 */
export async function adminPlugin(app: FastifyInstance, opts: AdminPluginOptions): Promise<void> {
  const { limiter = createFailureLimiter({ clock: opts.clock }), ...deps } = opts;
  registerAdminAuth(app, deps.config.admin.keys, limiter);
  for (const routes of ADMIN_ROUTES) await routes(app, deps);
}
