// codemirror.mjs - what the console uses of CodeMirror 6, re-exported so that
// scripts/deps.sh can bundle it with esbuild into one ES module
// (assets/vendor/codemirror/codemirror.js): the editor view and state, the
// YAML language with highlighting, the default key bindings, search and
// lint (the server's dry-run errors are shown as diagnostics).
export { EditorView, ViewPlugin, Decoration, MatchDecorator, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from '@codemirror/view';
export { EditorState } from '@codemirror/state';
export { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
export { syntaxHighlighting, syntaxTree, defaultHighlightStyle, HighlightStyle, indentOnInput, bracketMatching, foldGutter, foldKeymap } from '@codemirror/language';
export { searchKeymap, highlightSelectionMatches } from '@codemirror/search';
export { linter, lintGutter, setDiagnostics } from '@codemirror/lint';
export { yaml } from '@codemirror/lang-yaml';
export { tags } from '@lezer/highlight';
