// Run xlcompute's core and catalog inside a real Pyodide (the Python of xlwings Lite), offline.
//
//   node tests/pyodide_check.mjs PYODIDE_DIR [REPO_ROOT]
//
// PYODIDE_DIR holds pyodide.mjs, pyodide.asm.wasm and python_stdlib.zip (the npm package
// `pyodide`, e.g. build/pyodide/node_modules/pyodide). Only xlcompute/__init__.py,
// xlcompute/core and xlcompute/catalog are copied into Pyodide's file system, so an import of
// anything else (numpy, another xlcompute layer) fails the check. Prints one line
// `XLCOMPUTE_PYODIDE_RESULT {json}` with the Pyodide and Python versions, whether numpy is
// loadable without the network, and tests/pyodide_probe.py's probe().
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const pyodideDir = resolve(process.argv[2] ?? "");
const repoRoot = resolve(process.argv[3] ?? join(fileURLToPath(import.meta.url), "..", ".."));
const SITE = "/xlcompute-site"; // where the package lands inside Pyodide
const COPIED = ["xlcompute/core", "xlcompute/catalog"];
const KEEP = /\.(py|csv|json)$/;

if (!existsSync(join(pyodideDir, "pyodide.mjs"))) {
  console.error(`pyodide_check: no pyodide.mjs in ${pyodideDir}`);
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
// Python's own prints go to stderr so that stdout carries only the result line.
const pyodide = await loadPyodide({
  indexURL: pyodideDir + "/",
  stdout: (line) => console.error(line),
  stderr: (line) => console.error(line),
});

function copyFile(relative) {
  pyodide.FS.writeFile(`${SITE}/${relative}`, readFileSync(join(repoRoot, relative)));
}

function copyTree(relative) {
  pyodide.FS.mkdirTree(`${SITE}/${relative}`);
  for (const name of readdirSync(join(repoRoot, relative)).sort()) {
    const child = `${relative}/${name}`;
    if (statSync(join(repoRoot, child)).isDirectory()) {
      if (name !== "__pycache__") copyTree(child);
    } else if (KEEP.test(name)) {
      copyFile(child);
    }
  }
}

pyodide.FS.mkdirTree(`${SITE}/xlcompute`);
copyFile("xlcompute/__init__.py");
COPIED.forEach(copyTree);
pyodide.FS.writeFile(`${SITE}/pyodide_probe.py`, readFileSync(join(repoRoot, "tests", "pyodide_probe.py")));

// numpy (needed by xlcompute/udfs.py) only when its wheel lies in PYODIDE_DIR: loadPackage
// would otherwise fetch it from the CDN, and this check must not touch the network.
let numpy = "not shipped in " + pyodideDir;
const lock = JSON.parse(readFileSync(join(pyodideDir, "pyodide-lock.json"), "utf8"));
const numpyWheel = lock.packages?.numpy?.file_name;
if (numpyWheel && existsSync(join(pyodideDir, numpyWheel))) {
  await pyodide.loadPackage("numpy", { messageCallback: (m) => console.error(m) });
  numpy = pyodide.runPython("import numpy; numpy.__version__");
}

let probe;
try {
  probe = pyodide.runPython(`
import json, sys
sys.path.insert(0, ${JSON.stringify(SITE)})
import pyodide_probe
json.dumps(pyodide_probe.probe())
`);
} catch (error) {
  console.error(`pyodide_check: the probe failed in Pyodide ${pyodide.version}:\n${error.message}`);
  process.exit(1);
}
// The probe's JSON goes out as Python wrote it: a JS round trip would round integers above 2**53.
const header = JSON.stringify({
  pyodide: pyodide.version,
  python: pyodide.runPython("import sys; sys.version.split()[0]"),
  numpy,
});
console.log(`XLCOMPUTE_PYODIDE_RESULT ${header.slice(0, -1)},"probe":${probe}}`);
