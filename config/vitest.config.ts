import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The official Node SDK's contract suite: every file that drives Reelay's
 * /v1 through `openai`. It runs twice, on the two majors users really get:
 * 6.x, what `npm i openai` installs on Node 20 (the `openai` devDependency),
 * and 7.x, what Node 22+ installs (the `openai-v7` npm alias, swapped in for
 * `openai` by the second project).
 */
const SDK_CONTRACT = [
  'test/http/*.test.ts',
  'test/providers/*.e2e.test.ts',
  'test/hostile/*.test.ts',
  'test/webhooks/webhooks.e2e.test.ts',
  'test/storage/custody.e2e.test.ts',
  'test/sdk/*.test.ts',
];

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file starts its own servers (Reelay, fakes, a private redis-server): forks isolate them.
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'openai-6', include: ['test/**/*.test.ts'], provide: { sdkMajor: 6 } } },
      { extends: true, test: { name: 'openai-7', include: SDK_CONTRACT, provide: { sdkMajor: 7 } }, resolve: { alias: { openai: 'openai-v7' } } },
    ],
  },
});

declare module 'vitest' {
  export interface ProvidedContext {
    /** The openai SDK major this project runs the contract suite on. */
    sdkMajor: number;
  }
}
