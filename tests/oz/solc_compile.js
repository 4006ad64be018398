// Compiles a Solidity standard-JSON input (stdin) with the npm `solc` package (solcjs) and
// writes the standard-JSON output (stdout). Imports such as "@openzeppelin/contracts/..." are
// read from the repository's node_modules; nothing is downloaded. Used by tests/oz/solc.py.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = path.resolve(__dirname, "..", "..");
const nodeModules = path.join(root, "node_modules");

function findImports(importPath) {
  const file = path.resolve(nodeModules, importPath);
  if (!file.startsWith(nodeModules + path.sep)) {
    return { error: `import outside node_modules: ${importPath}` };
  }
  try {
    return { contents: fs.readFileSync(file, "utf8") };
  } catch (e) {
    return { error: `not found in node_modules: ${importPath}` };
  }
}

if (process.argv[2] === "--version") {
  process.stdout.write(solc.version());
} else {
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: findImports }));
}
