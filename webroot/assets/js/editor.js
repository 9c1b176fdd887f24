// editor.js - the YAML editor of the edit and create pages: CodeMirror 6
// (npm, locked; bundled into assets/vendor/codemirror/codemirror.js by
// scripts/deps.sh) with YAML highlighting, line numbers, undo history,
// search, bracket matching and folding, and the server's validation errors
// (strict dry run: unknown fields, 422 causes) marked on the lines they name,
// both on "Review" and live: a pause in typing lints the text (YAML syntax
// errors from the parser at once, then the caller's check, a server dry run).
// Without the bundle (deps.sh not run) it falls back to a textarea over a
// coloured copy of its text. Either way the editor's element carries
// `value` like a form control.
import { h, clear } from './dom.js';

// YAML coloured line by line: keys, comments, quoted strings, and plain
// scalars that are numbers, booleans or null (the read-only view and the
// fallback editor).
export function highlight(text) {
  return text.split('\n').map((line) => {
    if (/^\s*#/.test(line)) return [h('span', { class: 'yaml-comment' }, line), '\n'];
    const m = /^(\s*(?:- )*)([^:#\s'"][^:]*?|"[^"]*"|'[^']*')(:)(\s+.*|)$/.exec(line);
    if (!m) return [line, '\n'];
    const v = m[4].trim();
    const cls = /^['"]/.test(v) ? 'yaml-string' : /^(-?[0-9.]+|true|false|null|~)$/.test(v) ? 'yaml-literal' : null;
    const value = cls ? [m[4].slice(0, m[4].indexOf(v)), h('span', { class: cls }, v)] : m[4];
    return [m[1], h('span', { class: 'yaml-key' }, m[2]), m[3], value, '\n'];
  });
}

// The field paths an API error names, with the words said about each:
// strict decoding's `unknown field "spec.x"` / `duplicate field "x"` and
// validation's `spec.replicas: Invalid value: ...` causes.
export function fieldErrors(message) {
  const out = [];
  for (const m of message.matchAll(/(unknown|duplicate) field "([^"]+)"/g)) out.push({ field: m[2], message: `${m[1]} field` });
  const causes = /(?:^|: \[?|, )([a-zA-Z][\w.[\]-]*): ((?:Invalid value|Required value|Unsupported value|Duplicate value|Forbidden|Too long|Too many|Not found)[^,\]]*)/g;
  for (const m of message.matchAll(causes)) out.push({ field: m[1], message: m[2] });
  return out;
}

// The 1-based line of YAML block-style `text` that holds the key at `field`
// (dot path; list indices `[n]` count items), or the line of its nearest
// ancestor that is there (a required field that is missing); 0 if none.
export function fieldLine(text, field) {
  const want = field.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  const stack = []; // { indent, key } from the document's root down to the current line
  let best = 0, bestDepth = 0;
  text.split('\n').forEach((line, i) => {
    const m = /^(\s*)((?:- +)*)("[^"]*"|'[^']*'|[^\s#'"][^:#]*?)\s*:(?:\s|$)/.exec(line);
    const item = /^(\s*)-(?:\s|$)/.exec(line);
    if (!m && !item) return;
    const indent = (m || item)[1].length;
    const dashes = m ? (m[2].match(/-/g) || []).length : 1;
    // a key closes what is as deep or deeper; a list item may sit at its list key's own indent
    // ("containers:" then "- name: web"), so it closes only deeper entries and earlier items
    const closes = (top) => top.indent > indent || (top.indent === indent && (!dashes || top.list));
    while (stack.length && closes(stack[stack.length - 1])) stack.pop();
    // each "- " opens a list item: it takes the next index of the list whose key sits above it
    let at = indent;
    for (let d = 0; d < dashes; d++) {
      const parent = stack[stack.length - 1];
      const index = parent ? (parent.items = (parent.items ?? -1) + 1) : 0;
      stack.push({ indent: at, key: String(index), list: true });
      at += 2;
    }
    if (m) stack.push({ indent: indent + (m[2] ? m[2].length : 0), key: m[3].replace(/^["']|["']$/g, '') });
    const path = stack.map((s) => s.key);
    let same = 0;
    while (same < path.length && same < want.length && path[same] === want[same]) same++;
    if (same === path.length && same > bestDepth) { best = i + 1; bestDepth = same; }
  });
  return best;
}

let loading = null;
const loadCodeMirror = () => (loading ??= import('/assets/vendor/codemirror/codemirror.js').catch((e) => { loading = null; throw e; }));

// The plain editor: a textarea over a coloured copy of its text (the
// textarea's own text is transparent, its caret and selection are not).
function plainEditor(text, label, onChange) {
  const area = h('textarea', { 'aria-label': label, spellcheck: 'false', wrap: 'off', autocapitalize: 'off' });
  const shade = h('pre', { 'aria-hidden': 'true' });
  const errors = h('ul', { class: 'field-errors' });
  area.value = text;
  let queued = false;
  const paint = () => {
    queued = false;
    clear(shade, highlight(area.value + '\n'));
    shade.scrollTop = area.scrollTop;
    shade.scrollLeft = area.scrollLeft;
  };
  area.addEventListener('input', () => { onChange(); if (!queued) { queued = true; requestAnimationFrame(paint); } });
  area.addEventListener('scroll', () => { shade.scrollTop = area.scrollTop; shade.scrollLeft = area.scrollLeft; });
  paint();
  const el = h('div', {}, h('div', { class: 'editor plain' }, shade, area), errors);
  return { el, focus: () => area.focus(), get value() { return area.value; },
    set value(v) { area.value = v; paint(); onChange(); },
    mark(list) { clear(errors, list.map((x) => h('li', { class: 'error' }, `line ${x.line}: ${x.message}`))); } };
}

// Server errors as line marks: [{ line, field, message }] for the fields
// `message` names that are in `text`.
export const fieldMarks = (text, message) => (message ? fieldErrors(message).map((x) => ({ ...x, line: fieldLine(text, x.field) })).filter((x) => x.line) : []);

function codeMirrorEditor(cm, text, label, check, onChange) {
  const { EditorView, ViewPlugin, Decoration, MatchDecorator, EditorState, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
    defaultKeymap, history, historyKeymap, indentWithTab, syntaxHighlighting, syntaxTree, HighlightStyle, indentOnInput,
    bracketMatching, foldGutter, foldKeymap, searchKeymap, highlightSelectionMatches, linter, lintGutter, setDiagnostics, yaml, tags } = cm;
  const lineMark = (doc, line, message) => {
    const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
    return { from: l.from, to: l.to, severity: 'error', message };
  };
  // marks given by mark() hold until the text changes: a lint running later keeps them
  let marked = { text: null, list: [] };
  // the live lint: the parser's syntax errors, else what the check (the server's dry run) says of the fields
  const live = linter(async (view) => {
    const doc = view.state.doc, out = [];
    // the first syntax error only: after it the parser's recovery flags much that is fine
    syntaxTree(view.state).iterate({ enter: (n) => {
      if (out.length) return false;
      if (n.type.isError) out.push({ from: n.from, to: Math.min(Math.max(n.to, n.from + 1), doc.length), severity: 'error', message: 'YAML syntax error' });
      return undefined;
    } });
    const text = doc.toString();
    if (marked.text === text) return [...out, ...marked.list];
    if (out.length || !check) return out;
    const message = await check(text).catch(() => null);
    if (view.state.doc.toString() !== text) return []; // edited meanwhile: the next pause lints again
    return fieldMarks(text, message).map((x) => lineMark(doc, x.line, `${x.field}: ${x.message}`));
  }, { delay: 1000 });
  // the console's own colours (app.css classes, so both themes apply)
  const colours = HighlightStyle.define([
    { tag: [tags.propertyName, tags.definition(tags.propertyName)], class: 'yaml-key' },
    { tag: [tags.string, tags.special(tags.string)], class: 'yaml-string' },
    { tag: [tags.keyword, tags.attributeValue], class: 'yaml-literal' },
    { tag: [tags.comment, tags.meta], class: 'yaml-comment' },
    { tag: [tags.labelName, tags.typeName, tags.separator, tags.punctuation], class: 'yaml-punct' },
  ]);
  // YAML's plain scalars are all "content" to the parser: numbers, booleans and null get their colour here
  const literals = new MatchDecorator({ regexp: /(?<=(?:^|\s)(?:[^\s#][^#]*?:|-)\s+)(?:-?\d+(?:\.\d+)?|true|false|null|~)(?=\s*$)/g,
    decoration: Decoration.mark({ class: 'yaml-literal' }) });
  const literalMarks = ViewPlugin.define((v) => ({ decorations: literals.createDeco(v),
    update(u) { this.decorations = literals.updateDeco(u, this.decorations); } }), { decorations: (p) => p.decorations });
  const view = new EditorView({
    parent: h('div', { class: 'editor cm' }),
    state: EditorState.create({ doc: text, extensions: [
      lineNumbers(), highlightActiveLineGutter(), foldGutter(), lintGutter(), history(), drawSelection(),
      indentOnInput(), bracketMatching(), highlightActiveLine(), highlightSelectionMatches(),
      syntaxHighlighting(colours), literalMarks, yaml(), live, EditorState.tabSize.of(2),
      EditorView.updateListener.of((u) => { if (u.docChanged) onChange(); }),
      keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, ...foldKeymap, indentWithTab]),
      EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true', spellcheck: 'false', autocapitalize: 'off' }),
    ] }),
  });
  const el = view.dom.parentElement;
  const ed = {
    el, view, focus: () => view.focus(),
    get value() { return view.state.doc.toString(); },
    set value(v) { view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: v } }); },
    mark(list) {
      marked = { text: view.state.doc.toString(), list: list.map((x) => lineMark(view.state.doc, x.line, x.message)) };
      view.dispatch(setDiagnostics(view.state, marked.list));
    },
  };
  return ed;
}

// An editor holding `text`, its content labelled `label`: resolves with
// { el, value (get/set), focus(), showErrors(message), mark(list) }; showErrors
// marks the lines of the fields a server error names (clears them when no
// message), mark([{ line, message }]) marks lines given.
// check(text) -> Promise of an error message or null: the live lint's
// verdict on the text after a pause in typing (CodeMirror only); onChange()
// is called whenever the text changes (typed or set).
export async function yamlEditor(text, label, { check, onChange = () => {} } = {}) {
  let ed;
  try { ed = codeMirrorEditor(await loadCodeMirror(), text, label, check, onChange); } catch { ed = plainEditor(text, label, onChange); }
  ed.el.dataset.editor = ed.view ? 'codemirror' : 'plain';
  Object.defineProperty(ed.el, 'value', { get: () => ed.value, set: (v) => { ed.value = v; } });
  ed.showErrors = (message) => {
    const list = fieldMarks(ed.value, message);
    ed.mark(list.map((x) => ({ line: x.line, message: `${x.field}: ${x.message}` })));
    return list;
  };
  return ed;
}
