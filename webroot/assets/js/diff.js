// diff.js - line diff of two texts (longest common subsequence, fine for
// objects of a few thousand lines) rendered as a unified diff with three
// lines of context, additions and removals marked for screen readers too.
import { h } from './dom.js';

export function diffLines(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  let s = 0;
  while (s < x.length && s < y.length && x[s] === y[s]) s++;
  let ex = x.length, ey = y.length;
  while (ex > s && ey > s && x[ex - 1] === y[ey - 1]) { ex--; ey--; }
  const n = ex - s, m = ey - s;
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i][j] = x[s + i] === y[s + j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = x.slice(0, s).map((t) => [' ', t]);
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[s + i] === y[s + j]) { out.push([' ', x[s + i]]); i++; j++; }
    else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) { out.push(['+', y[s + j]]); j++; }
    else { out.push(['-', x[s + i]]); i++; }
  }
  return out.concat(x.slice(ex).map((t) => [' ', t]));
}

// A unified view: changed lines with 3 lines of context, "…" between hunks.
export function diffView(a, b) {
  const d = diffLines(a, b);
  const keep = d.map(() => false);
  d.forEach(([op], n) => { if (op !== ' ') for (let k = Math.max(0, n - 3); k <= Math.min(d.length - 1, n + 3); k++) keep[k] = true; });
  const changes = d.filter(([op]) => op !== ' ').length;
  const lines = [];
  let gap = false;
  d.forEach(([op, t], n) => {
    if (!keep[n]) { gap = true; return; }
    if (gap) lines.push(h('div', { class: 'ctx' }, '…'));
    gap = false;
    const cls = op === '+' ? 'add' : op === '-' ? 'del' : 'ctx';
    lines.push(h('div', { class: cls, 'aria-label': op === '+' ? `added: ${t}` : op === '-' ? `removed: ${t}` : null }, `${op} ${t}`));
  });
  return { changes, el: h('div', { class: 'diff', role: 'region', 'aria-label': `Changes: ${changes} lines` },
    changes ? lines : h('div', { class: 'ctx' }, 'No changes.')) };
}
