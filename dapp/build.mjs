#!/usr/bin/env node
// Bundles the reference dApp: dapp/src/main.ts (+ viem, + @cidhub/contracts from packages/contracts/src) into
// <outdir>/app.js with esbuild, and copies index.html and style.css next to it. No network access, no CDN.
//
//   node dapp/build.mjs [--outdir dapp/dist]
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { build } from "esbuild";

const DAPP = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { outdir: { type: "string", default: join(DAPP, "dist") } } });
const outdir = resolve(values.outdir);
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: [join(DAPP, "src", "main.ts")],
  outfile: join(outdir, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  legalComments: "none",
  // The package as an integrator gets it, compiled from its sources here (no separate build step needed).
  alias: { "@cidhub/contracts": resolve(DAPP, "..", "packages", "contracts", "src", "index.ts") },
  logLevel: "warning",
});
copyFileSync(join(DAPP, "index.html"), join(outdir, "index.html"));
copyFileSync(join(DAPP, "src", "style.css"), join(outdir, "style.css"));
console.log(`dApp bundled into ${outdir}`);
