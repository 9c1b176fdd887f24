// list.js - the list page of any kind: kubectl's columns from the Table API,
// pages of 500 (limit/continue) until the whole list is in, then a watch of
// Table rows from the list's resourceVersion so rows appear, change and go
// live. Namespace switcher, server-side label selector, client-side text
// search, sortable columns, and a virtual scroller that draws only the rows
// in view, so 10,000 rows scroll as smoothly as 10.
import { api, collectionPath, findResource, query, watch, TABLE } from './api.js';
import { h, clear, age, statusClass } from './dom.js';
import { state, onLeave, detailUrl, navigate, showError } from './main.js';

const ROW = 32;
const PAGE = 500;
const OVERSCAN = 4; // rows drawn beyond each edge of the view

export async function listPage(main, [group, version, plural]) {
  const r = findResource(state.resources, group === 'core' ? '' : group, version, plural);
  if (!r) throw new Error(`The API serves no resource ${plural} in ${group}/${version}.`);
  const ns = r.namespaced ? state.ns : '';
  const params = new URLSearchParams(location.search);
  const v = { rows: new Map(), view: [], columns: [], sortCol: -1, sortDir: 1, text: params.get('q') || '',
    selector: params.get('labelSelector') || '', wide: false, selected: 0, watcher: null };

  const search = h('input', { type: 'search', placeholder: 'Search (press /)', 'aria-label': 'Search rows', value: v.text });
  const selector = h('input', { type: 'text', placeholder: 'Label selector, e.g. app=web', 'aria-label': 'Label selector',
    value: v.selector, size: 28 });
  const wide = h('input', { type: 'checkbox' });
  const count = h('span', { class: 'count', 'aria-live': 'polite' });
  const live = h('span', { class: 'pill s-idle', title: 'Watch state' }, 'loading');
  const head = h('div', { class: 'head', role: 'row' });
  const spacer = h('div', { style: 'height:0' });
  const scroller = h('div', { class: 'scroller', tabindex: '0', role: 'rowgroup', 'aria-label': `${r.kind} rows` }, spacer);
  const grid = h('div', { class: 'grid', role: 'table', 'aria-label': `${r.kind} list`, 'aria-rowcount': '0' },
    h('div', { role: 'rowgroup' }, head), scroller);
  const err = h('div');

  clear(main,
    h('h1', {}, r.kind, h('span', { class: 'muted', style: 'font-weight:400;font-size:14px' },
      `  ${r.gv}${r.namespaced ? ` · ${ns || 'all namespaces'}` : ''}`)),
    h('div', { class: 'toolbar' }, search,
      h('form', { onsubmit: (e) => { e.preventDefault(); v.selector = selector.value.trim(); keepUrl(); load(); } },
        selector, ' ', h('button', { class: 'btn', type: 'submit' }, 'Filter')),
      h('label', {}, wide, 'Wide'), count, live,
      h('a', { class: 'btn', href: '/ui/create' }, 'Create')),
    err, grid);

  function keepUrl() {
    const q = query({ q: v.text, labelSelector: v.selector });
    history.replaceState(null, '', location.pathname + q);
  }
  search.addEventListener('input', () => { v.text = search.value; keepUrl(); refresh(); });
  wide.addEventListener('change', () => { v.wide = wide.checked; drawHead(); refresh(); });

  const key = (row) => {
    const m = row.object && row.object.metadata;
    return m ? `${m.namespace || ''}/${m.name}` : row.cells[0];
  };
  // Column list: kubectl's (priority 0, or all with Wide), plus Namespace first when listing all namespaces.
  function shown() {
    const cols = v.columns.map((c, i) => ({ ...c, i })).filter((c) => v.wide || !c.priority);
    if (r.namespaced && !ns) cols.unshift({ name: 'Namespace', type: 'string', i: -1 });
    return cols;
  }
  function cellValue(row, c) {
    if (c.i === -1) return row.object.metadata.namespace || '';
    if (c.name === 'Age' && row.object && row.object.metadata.creationTimestamp) return age(row.object.metadata.creationTimestamp);
    const x = row.cells[c.i];
    return x === null || x === undefined ? '<none>' : typeof x === 'object' ? JSON.stringify(x) : String(x);
  }
  function sortValue(row, c) {
    if (c.name === 'Age' && row.object) return -Date.parse(row.object.metadata.creationTimestamp || 0);
    if (c.i === -1) return row.object.metadata.namespace || '';
    const x = row.cells[c.i];
    if (c.type === 'integer' || c.type === 'number') return Number(x);
    if (typeof x === 'string' && /^\d+\/\d+$/.test(x)) return Number(x.split('/')[0]) / (Number(x.split('/')[1]) || 1);
    return x === null || x === undefined ? '' : String(x);
  }
  function template() {
    return shown().map((c) => (c.name === 'Name' ? 'minmax(180px,2fr)' : c.i === -1 ? 'minmax(120px,1fr)' : 'minmax(70px,1fr)')).join(' ');
  }
  function drawHead() {
    const cols = shown();
    head.style.gridTemplateColumns = template();
    clear(head, cols.map((c, n) => h('div', { role: 'columnheader', 'aria-sort': v.sortCol === n ? (v.sortDir > 0 ? 'ascending' : 'descending') : 'none' },
      h('button', { type: 'button', title: c.description || c.name, onclick: () => {
        v.sortDir = v.sortCol === n ? -v.sortDir : 1;
        v.sortCol = n;
        drawHead();
        refresh();
      } }, c.name.toUpperCase(), v.sortCol === n ? (v.sortDir > 0 ? ' ▲' : ' ▼') : ''))));
  }

  // Recomputes the filtered, sorted view (once per frame at most) and redraws.
  let pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const cols = shown();
      const t = v.text.toLowerCase();
      let rows = [...v.rows.values()];
      if (t) rows = rows.filter((row) => cols.some((c) => cellValue(row, c).toLowerCase().includes(t)));
      if (v.sortCol >= 0 && cols[v.sortCol]) {
        const c = cols[v.sortCol];
        rows.sort((a, b) => {
          const x = sortValue(a, c), y = sortValue(b, c);
          return (x < y ? -1 : x > y ? 1 : 0) * v.sortDir;
        });
      } else {
        rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
      }
      v.view = rows;
      v.selected = Math.min(v.selected, Math.max(0, rows.length - 1));
      count.textContent = `${rows.length}${rows.length !== v.rows.size ? ` of ${v.rows.size}` : ''} ${r.plural}`;
      grid.setAttribute('aria-rowcount', String(rows.length));
      spacer.style.height = `${rows.length * ROW}px`;
      draw(true);
    });
  }

  // Draws the rows in view plus a few either side into a pool of row
  // elements that is reused as the list scrolls: a frame only moves rows
  // (transform) and changes the texts that differ, so 10,000 rows scroll
  // like 10. The pool is rebuilt when the columns change.
  let pool = [], poolCols = '', drawn = [-1, -1];
  function makeRow(cols) {
    const el = h('div', { class: 'row', role: 'row' }, cols.map((c) => h('div', { class: 'cell', role: 'cell' },
      c.name === 'Name' ? h('a', { tabindex: '-1' }) : c.name === 'Status' ? h('span', { class: 'pill' }) : null)));
    scroller.append(el);
    return el;
  }
  function fill(el, n, cols, force) {
    const row = v.view[n];
    const selected = n === v.selected ? 'true' : 'false';
    if (!force && el.rowIndex === n && el.row === row) { // still in view, unchanged: at most the selection moved
      if (el.getAttribute('aria-selected') !== selected) el.setAttribute('aria-selected', selected);
      return;
    }
    el.row = row;
    const m = row.object.metadata;
    el.hidden = false;
    el.rowIndex = n;
    el.style.transform = `translateY(${n * ROW}px)`;
    el.dataset.key = key(row);
    el.setAttribute('aria-rowindex', n + 1);
    el.setAttribute('aria-selected', selected);
    cols.forEach((c, i) => {
      const cell = el.children[i], text = cellValue(row, c);
      if (c.name === 'Name') {
        const a = cell.firstChild;
        if (a.textContent !== text) { a.textContent = text; a.href = detailUrl(r, m.namespace, m.name); }
      } else if (c.name === 'Status') {
        const pill = cell.firstChild;
        if (pill.textContent !== text) { pill.textContent = text; pill.className = `pill ${statusClass(text)}`; }
      } else if (cell.textContent !== text) {
        cell.textContent = text;
        cell.title = text;
      }
    });
    if (row.flash) {
      row.flash = false;
      el.classList.remove('flash');
      void el.offsetWidth; // restarts the animation
      el.classList.add('flash');
    }
  }
  function draw(force = false) {
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(v.view.length, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW) + OVERSCAN);
    if (!force && first === drawn[0] && last === drawn[1]) return;
    drawn = [first, last];
    const cols = shown();
    const sig = cols.map((c) => c.name).join('|');
    if (sig !== poolCols) {
      pool.forEach((el) => el.remove());
      pool = [];
      poolCols = sig;
      scroller.style.setProperty('--cols', template());
    }
    // Row n lives in pool[n % size]: a row that stays in view keeps its element.
    const size = Math.max(pool.length, last - first);
    if (size !== pool.length) {
      while (pool.length < size) pool.push(makeRow(cols));
      force = true; // the slots moved
    }
    const used = new Set();
    for (let n = first; n < last; n++) {
      const el = pool[n % size];
      used.add(el);
      fill(el, n, cols, force);
    }
    for (const el of pool) if (!used.has(el) && !el.hidden) { el.hidden = true; el.rowIndex = -1; delete el.dataset.key; }
  }
  scroller.addEventListener('scroll', () => draw());
  scroller.addEventListener('click', (e) => {
    const el = e.target.closest('.row');
    if (el && !e.target.closest('a')) open(v.view[el.rowIndex]); // links navigate by themselves
  });
  const ageTimer = setInterval(() => draw(true), 5000);
  onLeave(() => clearInterval(ageTimer));

  function open(row) { navigate(detailUrl(r, row.object.metadata.namespace, row.object.metadata.name)); }
  scroller.addEventListener('keydown', (e) => {
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: 20, PageUp: -20, Home: -1e9, End: 1e9 };
    if (e.key in moves) {
      e.preventDefault();
      v.selected = Math.max(0, Math.min(v.view.length - 1, v.selected + moves[e.key]));
      const top = v.selected * ROW;
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (top + ROW > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + ROW - scroller.clientHeight;
      draw(true);
    } else if (e.key === 'Enter' && v.view[v.selected]) open(v.view[v.selected]);
  });

  // Lists every page; returns the list's resourceVersion for the watch. A
  // first load shows each page as it comes; a relist (after 410) swaps the
  // rows once complete, so the table never shows half a list as the truth.
  async function list(first = false) {
    const path = collectionPath(r, ns);
    const rows = new Map();
    if (first) v.rows = rows;
    let cont = '', rv = '';
    do {
      const t = await api(path + query({ limit: PAGE, continue: cont, labelSelector: v.selector }), { accept: TABLE });
      if (!cont) { v.columns = t.columnDefinitions || v.columns; drawHead(); }
      for (const row of t.rows || []) rows.set(key(row), row);
      cont = t.metadata && t.metadata.continue;
      rv = (t.metadata && t.metadata.resourceVersion) || rv;
      if (first) refresh();
      if (cont) live.textContent = `loading ${rows.size}…`;
    } while (cont);
    v.rows = rows;
    refresh();
    return rv;
  }

  async function load() {
    if (v.watcher) v.watcher.stop();
    clear(err);
    try {
      const rv = await list(true);
      if (!r.verbs.includes('watch')) { live.textContent = 'no watch'; return; }
      v.watcher = watch(collectionPath(r, ns), { labelSelector: v.selector }, rv, {
        accept: TABLE,
        relist: list,
        onState: (s, e) => {
          live.textContent = s === 'live' ? 'live' : s;
          live.className = `pill ${s === 'live' ? 's-ok' : s === 'error' ? 's-bad' : 's-warn'}`;
          if (e) showError(e, err);
        },
        onEvent: (type, table) => {
          for (const row of table.rows || []) {
            if (type === 'DELETED') v.rows.delete(key(row));
            else { row.flash = type === 'MODIFIED'; v.rows.set(key(row), row); }
          }
          refresh();
        },
      });
    } catch (e) {
      showError(e, err);
    }
  }
  onLeave(() => v.watcher && v.watcher.stop());
  await load();
}
