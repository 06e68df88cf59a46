// The first view's size budget (issue 13): JS and CSS, gzipped, at most 60 KB in each host.
// Connect loads the entry script and stylesheet that index.html names; Forge also loads
// @forge/bridge, which the entry imports on demand, so there every chunk counts. Run after
// `npm run build`; prints each host's total and fails over budget.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 60 * 1024;
const dist = process.argv[2] ?? "dist";
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const index = readFileSync(join(dist, "index.html"), "utf8");
const entry = [...index.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.(?:js|css))"/g)].map(
  (m) => m[1],
);
const all = readdirSync(join(dist, "assets"))
  .filter((f) => f.endsWith(".js") || f.endsWith(".css"))
  .map((f) => `assets/${f}`);
if (entry.length === 0) {
  console.error(`budget: ${dist}/index.html names no script or stylesheet`);
  process.exit(1);
}
let over = false;
for (const [host, files] of [
  ["Connect", entry],
  ["Forge", all],
]) {
  const bytes = files.reduce((sum, f) => sum + gz(f), 0);
  const verdict = bytes <= BUDGET ? "within" : "OVER";
  console.log(
    `${host} first view: ${(bytes / 1024).toFixed(1)} KB gzipped (${files.length} files), ${verdict} the 60 KB budget`,
  );
  over ||= bytes > BUDGET;
}
process.exit(over ? 1 : 0);
