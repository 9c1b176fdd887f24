// yaml_docs.js - what create-from-YAML needs to know of a YAML stream
// without parsing it (the server parses and validates): its documents, and
// each document's routing fields read from its top-level lines. Pure
// functions, tested under node (tests/browser/tests.mjs).

// The non-empty documents of a stream separated by --- lines.
export function splitDocuments(text) {
  return text.split(/^---[ \t]*$/m).map((d) => d.trim()).filter((d) => d && !/^(#.*\s*)*$/.test(d));
}

// The fields that route a document (block or flow metadata), from its
// top-level lines; null for a field that is not there.
export function routing(doc) {
  const top = (k) => { const m = new RegExp(`^${k}:[ \\t]*["']?([^"'\\s#]+)`, 'm').exec(doc); return m && m[1]; };
  const meta = /^metadata:[ \t]*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(doc);
  const indent = meta && (/^([ \t]+)\S/m.exec(meta[1]) || [])[1]; // metadata's own fields, not nested ones
  const inner = (k) => { const m = indent && new RegExp(`^${indent}${k}:[ \\t]*["']?([^"'\\s#]+)`, 'm').exec(meta[1]); return m && m[1]; };
  const flow = /^metadata:[ \t]*\{([^}]*)\}/m.exec(doc);
  const inFlow = (k) => { const m = flow && new RegExp(`${k}:\\s*["']?([^"',\\s]+)`).exec(flow[1]); return m && m[1]; };
  return { apiVersion: top('apiVersion'), kind: top('kind'), namespace: inner('namespace') || inFlow('namespace'),
    name: inner('name') || inFlow('name') || inner('generateName') || inFlow('generateName') };
}

