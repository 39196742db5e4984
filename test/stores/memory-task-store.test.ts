import { createMemoryTaskStore } from '../../src/stores/memory-task-store.js';
import { describeOutboxContract } from './outbox.contract.js';
import { createManualClock, describeTaskStoreContract, type TaskStoreFactory } from './task-store.contract.js';

const memory: TaskStoreFactory = async ({ retentionDays }) => {
  const clock = createManualClock();
  const store = createMemoryTaskStore({ clock, retentionDays });
  return { store, clock, cleanup: () => store.close() };
};

describeTaskStoreContract('memory', memory);
describeOutboxContract('memory', memory);
