import { defineCommand } from '../command.js';
import { diagnose } from '../doctor/diagnose.js';

export const doctor = defineCommand({
  help: 'Check the configuration, the key repositories, the database and the cache; print each problem found and exit non-zero when there is any.',
  flags: {},
  async run({ config, out }) {
    const problems = await diagnose(config);
    for (const p of problems) out(p);
    if (problems.length === 0) {
      out('No problems found.');
      return 0;
    }
    return 1;
  },
});
