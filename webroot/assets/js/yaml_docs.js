// yaml_docs.js - what create-from-YAML needs to know of a YAML stream
// without parsing it (the server parses and validates): its documents, and
// each document's routing fields read from its top-level lines. Pure
// functions, tested under node (tests/browser/tests.mjs).

// The non-empty documents of a stream separated by --- lines, each with
// the 1-based line of the stream its (trimmed) text starts on.
export function documentStarts(text) {
  const out = [];
  let line = 1;
  for (const part of text.split(/^---[ \t]*$/m)) {
    const doc = part.trim();
    if (doc && !/^(#.*\s*)*$/.test(doc)) out.push({ doc, line: line + (part.slice(0, part.indexOf(doc)).match(/\n/g) || []).length });
    line += (part.match(/\n/g) || []).length; // the last newline of a part ends the --- line after it
  }
  return out;
}

// The non-empty documents of a stream separated by --- lines.
export const splitDocuments = (text) => documentStarts(text).map((d) => d.doc);

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

