import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from './bench.js';
import { PRESETS } from './lib/presets.js';
import { renderProfile } from './lib/profile.js';
import { renderDetails, renderMachine, renderSummary } from './lib/report.js';
import { ROOT } from './lib/spawn.js';
import { SCENARIOS, type ScenarioName } from './lib/types.js';

/**
 * `npm run bench [-- options]`: every scenario after a warm-up, three times
 * with the A/B order alternating; prints the table of medians and writes
 * bench-results.json. See test/bench/README.md.
 */

const USAGE = `usage: npm run bench -- [--only ${SCENARIOS.join(',')}] [--profile] [--quick] [--no-pin] [--src | --no-build] [--reelay-entry FILE] [--compare-entry FILE] [--out FILE]
  --only      run only these scenarios
  --profile   also run Reelay under node --cpu-prof for the cached-status and create loads and name the top frames
  --quick     one short iteration of each scenario (what the smoke test runs; numbers are not meaningful)
  --no-pin    do not pin processes to CPUs with taskset
  --src       run Reelay from src/ through tsx instead of building dist/
  --no-build  run the dist/ already built (skip npm run build)
  --reelay-entry FILE   run this Reelay entry (e.g. another checkout's dist/main.js) instead
  --compare-entry FILE  also measure this second build as an extra arm of cached-status and create (A/B a change)
  --out FILE  where to write the JSON results (default bench-results.json)`;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    src: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'reelay-entry': { type: 'string' },
    'compare-entry': { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench-results.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean) as ScenarioName[] | undefined;
for (const name of only ?? []) {
  if (!SCENARIOS.includes(name)) {
    process.stderr.write(`unknown scenario "${name}"\n${USAGE}\n`);
    process.exit(2);
  }
}

// Ctrl-C or a kill must still stop every server the run started (their reapers run on exit).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const preset = values.quick ? PRESETS.smoke : PRESETS.full;
const log = (line: string) => process.stdout.write(`${line}\n`);

const results = await runBench({
  preset,
  ...(only ? { scenarios: only } : {}),
  reelay: values.src ? 'src' : 'dist',
  noBuild: values['no-build'],
  reelayEntry: values['reelay-entry'],
  compareEntry: values['compare-entry'],
  pin: !values['no-pin'],
  profile: values.profile,
  log,
});

writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);

log(`\n## Reelay benchmark (${results.preset} run, ${Math.round(results.elapsedS)} s)\n`);
log(renderMachine(results.machine));
log('');
log(renderSummary(results.summary, results.iterations));
log('');
log(renderDetails(results.scenarios));
if (results.notes.length > 0) log(`Notes:\n${results.notes.map((n) => `- ${n}`).join('\n')}\n`);
for (const p of results.profiles) log(`${renderProfile(`CPU profile of Reelay, ${p.scenario} (${p.file})`, p)}\n`);
log(`Results written to ${values.out}`);
