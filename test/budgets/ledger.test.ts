import type { Cluster, Redis } from 'ioredis';
import { describe } from 'vitest';
import { createMemoryBudgetLedger } from '../../src/budgets/memory-ledger.js';
import { createRedisBudgetLedger } from '../../src/budgets/redis-ledger.js';
import { createMemoryInflightStore } from '../../src/stores/memory-inflight-store.js';
import { createRedisInflightStore } from '../../src/stores/redis-inflight-store.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, useRedisCluster, useRedisServer } from '../helpers/redis-suite.js';
import { describeLedgerContract } from './ledger.contract.js';

describeLedgerContract('memory', async () => {
  const inflight = createMemoryInflightStore();
  return { ledger: createMemoryBudgetLedger(inflight), inflight, cleanup: async () => {} };
});

describe('on one Redis', () => {
  let redis: Redis;
  useRedisServer((r) => (redis = r));
  describeLedgerContract('redis', async () => {
    const prefix = uniquePrefix('budget');
    return {
      ledger: createRedisBudgetLedger({ redis, prefix }),
      inflight: createRedisInflightStore({ redis, prefix }),
      cleanup: () => deleteUnder([redis], prefix),
    };
  });
});

describe('on Redis Cluster', () => {
  let cluster: Cluster;
  useRedisCluster((c) => (cluster = c));
  describeLedgerContract('redis cluster', async () => {
    const prefix = uniquePrefix('budget');
    return {
      ledger: createRedisBudgetLedger({ redis: cluster, prefix }),
      inflight: createRedisInflightStore({ redis: cluster, prefix }),
      cleanup: () => deleteUnder(cluster.nodes('master'), prefix),
    };
  });
});
