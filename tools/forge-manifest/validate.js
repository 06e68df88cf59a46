// Validates each directory's manifest.yml with @forge/manifest's full validation, the checks
// `forge lint` and `forge deploy` run, and exits non-zero if any fails.
// Usage: node validate.js <dir> [<dir> ...]
const path = require('node:path');
const { validate } = require('@forge/manifest');

(async () => {
  let failed = false;
  const dirs = process.argv.slice(2).map((d) => path.resolve(d));
  if (dirs.length === 0) {
    console.error('usage: node validate.js <dir> [<dir> ...]');
    process.exit(2);
  }
  for (const dir of dirs) {
    process.chdir(dir);
    const result = await validate(false, 'manifest.yml');
    const errors = (result.errors || []).filter((e) => e.level === 'error');
    if (result.success && errors.length === 0) {
      console.log(`${dir}: manifest.yml is valid`);
    } else {
      failed = true;
      console.error(`${dir}: manifest.yml is invalid`);
      for (const e of result.errors || []) {
        console.error(`  ${e.level} at line ${e.line}: ${e.message} (${e.reference})`);
      }
    }
  }
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
