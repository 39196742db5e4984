// tsc copies no non-TypeScript files; the sandbox provider serves committed media
// next to its module, so the build mirrors them into dist/.
import { cpSync } from 'node:fs';

cpSync('src/providers/sandbox/media', 'dist/providers/sandbox/media', {
  recursive: true,
  filter: (src) => !src.endsWith('.sh') && !src.endsWith('.md'),
});
