// Validates Kubernetes objects (YAML streams on the command line, e.g. `kubectl kustomize`
// output) against the API schemas bundled in kubernetes-models: every type, required field, enum
// and format through the package's own validators, and, since the Kubernetes OpenAPI allows
// unknown fields (the API server drops them silently), a strict walk that refuses any field the
// schema does not name, resolved through the packages' type declarations. Exit 1 on any problem.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as yaml from "js-yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "node_modules");

// apiVersion -> package folder holding one <Kind>.js / <Kind>.d.ts per kind.
function packageDir(apiVersion) {
  if (apiVersion.startsWith("monitoring.coreos.com/"))
    return path.join(modules, "@kubernetes-models/prometheus-operator", apiVersion);
  return path.join(modules, "kubernetes-models", apiVersion.includes("/") ? apiVersion : "v1");
}

// The fields of the interface declared in a .d.ts file: name -> declaration file of its type
// (null for scalars and free-form maps). Cached per file.
const cache = new Map();
function fieldsOf(dts) {
  if (cache.has(dts)) return cache.get(dts);
  const text = fs.readFileSync(dts, "utf8");
  const start = text.search(/^export interface I\w+ (extends [\w, ]+ )?\{$/m);
  if (start < 0) {
    cache.set(dts, null); // a type alias (IntOrString, Quantity, ...): a leaf
    return null;
  }
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) imports.set(m[1], m[2]);
  const body = text.slice(start, text.indexOf("\n}", start));
  const fields = new Map();
  for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
    const t = m[2].match(/^(?:Array<)?(I\w+)>?;$/);
    let target = null;
    if (t && imports.has(t[1])) {
      const spec = imports.get(t[1]);
      target = spec.startsWith(".")
        ? path.resolve(path.dirname(dts), spec.replace(/\.js$/, ".d.ts"))
        : path.join(modules, spec + ".d.ts");
    }
    fields.set(m[1], target);
  }
  cache.set(dts, fields);
  return fields;
}

function strict(value, dts, where, problems) {
  if (value === null || typeof value !== "object" || !dts) return;
  const fields = fieldsOf(dts);
  if (!fields) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => strict(v, dts, `${where}[${i}]`, problems));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) problems.push(`${where}.${k}: not a field of ${path.basename(dts, ".d.ts")}`);
    else strict(v, fields.get(k), `${where}.${k}`, problems);
  }
}

let problems = [];
let count = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (!doc) continue;
    const name = `${file}: ${doc.kind}/${doc.metadata?.name}`;
    const dir = packageDir(doc.apiVersion ?? "");
    const js = path.join(dir, `${doc.kind}.js`);
    if (!fs.existsSync(js)) {
      problems.push(`${name}: no schema for apiVersion ${doc.apiVersion} kind ${doc.kind}`);
      continue;
    }
    const mod = await import(js);
    try {
      new mod[doc.kind](doc).validate();
    } catch (e) {
      problems.push(`${name}: ${e.message}`);
    }
    const before = problems.length;
    strict(doc, path.join(dir, `${doc.kind}.d.ts`), name, problems);
    if (problems.length === before) count++;
  }
}
for (const p of problems) console.error(p);
console.log(`${count} objects valid, ${problems.length} problems`);
process.exit(problems.length || count === 0 ? 1 : 0);
