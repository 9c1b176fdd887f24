// dom.js - small DOM helpers: h() builds elements (text is always set as
// text, never parsed as HTML), toasts, dialogs, ages and status colours.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElementNS(tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml',
    tag.replace(/^svg:/, ''));
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the CSP, style attributes are not
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function toast(message, kind = '') {
  const box = document.getElementById('toast');
  const item = h('div', { class: kind }, message);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

// Shows a modal dialog built by body(form); resolves with the form's data on
// submit, or null when cancelled (Escape or the Cancel button).
export function dialog(title, body, submitLabel = 'OK', danger = false) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog' });
    const dlg = h('dialog', { 'aria-labelledby': 'dlg-title' }, h('h2', { id: 'dlg-title', text: title }), form);
    form.append(...[body(form)].flat(),
      h('menu', {}, h('button', { class: 'btn', type: 'button', value: 'cancel', onclick: () => dlg.close('cancel') }, 'Cancel'),
        h('button', { class: danger ? 'btn danger' : 'btn primary', value: 'ok' }, submitLabel)));
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue === 'ok' ? new FormData(form) : null);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

export function age(ts, now = Date.now()) {
  if (!ts) return '';
  let s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? (s % 60) + 's' : ''}`;
  if (m < 180) return `${m}m`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h`;
  return `${Math.floor(hr / 24)}d`;
}

// When an event last happened, and events newest first (in place).
export const eventTime = (e) => e.lastTimestamp || e.eventTime || e.metadata.creationTimestamp;
export function newestFirst(events) {
  return events.sort((a, b) => Date.parse(eventTime(b)) - Date.parse(eventTime(a)));
}

// A status word's colour class: green for healthy, amber for in between, red for failures.
export function statusClass(word) {
  const w = String(word || '');
  if (/^(Running|Ready|Succeeded|Completed|Active|Bound|True|Available|Complete)$/.test(w)) return 's-ok';
  if (/(Err|Fail|BackOff|NotReady|Unknown|Evicted|Lost|OOM|False)/.test(w)) return 's-bad';
  if (/^(Pending|ContainerCreating|Terminating|Init|SchedulingDisabled|Progressing)/.test(w)) return 's-warn';
  return 's-idle';
}
