// The client's JavaScript budget: everything index.html loads (its entry
// and the modules preloaded with it), gzip-compressed, at most 120 KB.
// GraphiQL and the docs page have their own entries and are not counted.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 120 * 1024;
const dist = new URL("../dist/", import.meta.url);
const html = readFileSync(new URL("index.html", dist), "utf8");
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let js = 0;
for (const file of files) {
  const raw = readFileSync(new URL(file, dist));
  const gz = gzipSync(raw, { level: 9 }).length;
  if (file.endsWith(".js")) js += gz;
  console.log(`${file}: ${(raw.length / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzip`);
}
console.log(`client JavaScript: ${(js / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB)`);
if (js > BUDGET) process.exit(1);
