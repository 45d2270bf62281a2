// Runs graphql-http's server audits (GraphQL over HTTP conformance) against
// one URL and prints every audit and the counts per requirement level.
// Exit status 1 when any MUST or SHOULD audit does not pass, 2 when the
// audits could not run at all.
//
// Usage: node .ci/graphql-http-audit.mjs TOOLS_DIR URL
// TOOLS_DIR is the `npm install --prefix` directory holding graphql-http.

import { createRequire } from 'node:module';
import { join } from 'node:path';

const [toolsDir, url] = process.argv.slice(2);
if (!toolsDir || !url) {
  console.error('usage: graphql-http-audit.mjs TOOLS_DIR URL');
  process.exit(2);
}
// Resolved from the tools directory, not from the repository.
const require = createRequire(join(toolsDir, 'package.json'));
const { serverAudits } = require('graphql-http');

const results = [];
for (const audit of serverAudits({ url })) {
  // One at a time: the output reads in the package's order.
  results.push(await audit.fn());
}

const levels = ['MUST', 'SHOULD', 'MAY'];
const counts = Object.fromEntries(levels.map((l) => [l, { ok: 0, warn: 0, error: 0, notice: 0 }]));
let failing = 0;
for (const result of results) {
  const level = levels.find((l) => result.name.startsWith(`${l} `)) ?? 'MAY';
  counts[level][result.status] += 1;
  const mark = result.status.padEnd(6);
  console.log(`${mark} ${result.id} ${result.name}`);
  if (result.status !== 'ok') {
    console.log(`       ${result.reason}`);
  }
  if (result.status !== 'ok' && level !== 'MAY') {
    failing += 1;
  }
}

console.log('');
for (const level of levels) {
  const c = counts[level];
  const total = c.ok + c.warn + c.error + c.notice;
  console.log(
    `${level.padEnd(6)} ${total} audits: ${c.ok} ok, ${c.warn} warn, ${c.error} error, ${c.notice} notice`,
  );
}
if (failing > 0) {
  console.log(`${failing} MUST or SHOULD audit(s) do not pass`);
  process.exit(1);
}
console.log('every MUST and SHOULD audit passes');
