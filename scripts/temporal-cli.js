// `npm run temporal-cli`: obtains the Temporal CLI the tests and the dev stack
// run (npm ci and a build first when needed), the same way `npm test` does,
// and prints where it is. The search order is in README.md ("The Temporal CLI").
const { ensureInstalled, build, ensureTemporalCli } = require('./bootstrap');

ensureInstalled();
build();
const found = ensureTemporalCli();
if (found === 'sdk-download') {
  process.stdout.write('no local Temporal CLI: the dev server will use the Temporal SDK download (needs internet access to temporal.download)\n');
} else {
  process.stdout.write(`${found}\n`);
}
