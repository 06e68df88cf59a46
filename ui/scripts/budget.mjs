// The first view's size budget (issue 13): JS and CSS, gzipped, at most 60 KB in each host, for
// every page. A frame shows one page, and each page is a chunk loaded once the host has said
// which (src/App.tsx), so a page's first view is the entry and that page's chunk, with what
// each imports; under Forge also the host adapter and @forge/bridge, which the entry imports on
// demand. Read from Vite's manifest. Run after `npm run build`; fails over budget.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 60 * 1024;
const dist = process.argv[2] ?? "dist";
const manifest = JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8"));
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;

/** A chunk's files and those of everything it imports statically. */
function closure(key, files = new Set()) {
  const chunk = manifest[key];
  if (!chunk) {
    throw new Error(`budget: the manifest has no chunk ${key}`);
  }
  if (files.has(chunk.file)) {
    return files;
  }
  files.add(chunk.file);
  for (const css of chunk.css ?? []) {
    files.add(css);
  }
  for (const imported of chunk.imports ?? []) {
    closure(imported, files);
  }
  return files;
}

const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
if (!entry) {
  console.error(`budget: ${dist}'s manifest names no entry`);
  process.exit(1);
}
const dynamic = manifest[entry].dynamicImports ?? [];
const pages = dynamic.filter((k) => k.startsWith("src/pages/"));
const forgeOnly = dynamic.filter((k) => !k.startsWith("src/pages/"));
if (pages.length === 0) {
  console.error("budget: the entry loads no page chunk; is src/App.tsx still splitting pages?");
  process.exit(1);
}
let over = false;
for (const page of pages) {
  const name = page.replace(/^src\/pages\/|\.tsx?$/g, "");
  for (const [host, extra] of [
    ["Connect", []],
    ["Forge", forgeOnly],
  ]) {
    const files = closure(entry);
    closure(page, files);
    for (const key of extra) {
      closure(key, files);
    }
    const bytes = [...files].reduce((sum, f) => sum + gz(f), 0);
    const verdict = bytes <= BUDGET ? "within" : "OVER";
    console.log(
      `${host} ${name}: ${(bytes / 1024).toFixed(1)} KB gzipped (${files.size} files), ${verdict} the 60 KB budget`,
    );
    over ||= bytes > BUDGET;
  }
}
process.exit(over ? 1 : 0);
