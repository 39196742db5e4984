import { createMemoryTaskStore } from '../../src/stores/memory-task-store.js';
import { createManualClock, describeTaskStoreContract } from './task-store.contract.js';

describeTaskStoreContract('memory', async ({ retentionDays }) => {
  const clock = createManualClock();
  const store = createMemoryTaskStore({ clock, retentionDays });
  return { store, clock, cleanup: () => store.close() };
});
