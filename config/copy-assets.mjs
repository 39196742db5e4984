// What tsc does not do: it copies no non-TypeScript files, and it emits no file
// executable. The sandbox provider serves committed media next to its module,
// so the build mirrors them into dist/; the `reelay` bin is made executable so
// ./dist/cli/main.js runs as it is (its shebang survives compilation).
import { chmodSync, cpSync } from 'node:fs';

cpSync('src/providers/sandbox/media', 'dist/providers/sandbox/media', {
  recursive: true,
  filter: (src) => !src.endsWith('.sh') && !src.endsWith('.md'),
});
chmodSync('dist/cli/main.js', 0o755);
