// certs.js - TLS certificates in the browser: a kubernetes.io/tls Secret's
// tls.crt parsed with @peculiar/asn1-x509 (npm, locked; bundled into
// assets/vendor/x509/x509.js by scripts/deps.sh) into subject, SANs, issuer
// and validity, coloured by expiry (red expired or not yet valid, amber under
// 30 days); and for an Ingress, each spec.tls entry's certificate with which
// of its hosts and rule hosts the certificate covers (SAN DNS names, one-label
// wildcards, as TLS clients check; the CommonName is not used for this).
import { api } from './api.js';
import { h } from './dom.js';

const DAY = 86400000;
const SOON_DAYS = 30;
const NAMES = { '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress' };

let loading = null;
const loadX509 = () => (loading ??= import('/assets/vendor/x509/x509.js').catch((e) => { loading = null; throw e; }));

// The DER bytes of each CERTIFICATE block of a PEM text, in order.
export function pemCertificates(pem) {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)]
    .map((m) => Uint8Array.from(atob(m[1].replace(/\s+/g, '')), (c) => c.charCodeAt(0)));
}

// A distinguished name as text in RFC 4514 order (the last stored part first: "CN=a, O=b, C=c").
const nameText = (name) => name.map((rdn) => rdn.map((a) => `${NAMES[a.type] || a.type}=${a.value.toString()}`).join('+')).reverse().join(', ');

// { subject, issuer, commonName, dnsNames, ipAddresses, notBefore, notAfter, selfSigned } of one DER certificate.
export function certificateInfo(der, x509) {
  const { AsnConvert, Certificate, SubjectAlternativeName, id_ce_subjectAltName } = x509;
  const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
  const ext = (tbs.extensions || []).find((e) => e.extnID === id_ce_subjectAltName);
  const sans = ext ? AsnConvert.parse(ext.extnValue, SubjectAlternativeName) : [];
  const cn = tbs.subject.flat().find((a) => a.type === '2.5.4.3');
  return {
    subject: nameText(tbs.subject), issuer: nameText(tbs.issuer), commonName: cn ? cn.value.toString() : '',
    dnsNames: sans.filter((g) => g.dNSName).map((g) => g.dNSName),
    ipAddresses: sans.filter((g) => g.iPAddress).map((g) => g.iPAddress),
    notBefore: tbs.validity.notBefore.getTime(), notAfter: tbs.validity.notAfter.getTime(),
    selfSigned: nameText(tbs.subject) === nameText(tbs.issuer),
  };
}

// Whether a certificate naming `dnsNames` is valid for `host`: an exact
// (case-insensitive) name, or "*.rest" matching exactly one more label.
export function covers(dnsNames, host) {
  const h0 = host.toLowerCase().replace(/\.$/, '');
  return dnsNames.some((n) => {
    const name = n.toLowerCase().replace(/\.$/, '');
    if (!name.startsWith('*.')) return name === h0;
    const dot = h0.indexOf('.');
    return dot > 0 && h0.slice(dot + 1) === name.slice(2);
  });
}

// The validity at `now`: { cls: s-bad | s-warn | s-ok, text }.
export function expiry(info, now = Date.now()) {
  if (now < info.notBefore) return { cls: 's-bad', text: `not valid until ${new Date(info.notBefore).toISOString()}` };
  const days = Math.floor((info.notAfter - now) / DAY);
  if (now >= info.notAfter) return { cls: 's-bad', text: `expired ${Math.floor((now - info.notAfter) / DAY)} days ago` };
  return { cls: days < SOON_DAYS ? 's-warn' : 's-ok', text: `expires in ${days} days` };
}

// The certificates of a tls.crt (base64 as in Secret.data), parsed, or an Error said in words.
export async function secretCertificates(secret) {
  const b64 = (secret.data || {})['tls.crt'];
  if (!b64) throw new Error('The Secret has no tls.crt.');
  const ders = pemCertificates(atob(b64));
  if (!ders.length) throw new Error('tls.crt holds no PEM certificate.');
  let x509;
  try { x509 = await loadX509(); } catch { throw new Error('the X.509 parser is not installed (scripts/deps.sh installs it from npm)'); }
  return ders.map((der) => certificateInfo(der, x509));
}

const iso = (t) => new Date(t).toISOString().replace('.000Z', 'Z');

// One certificate as a definition list, its expiry coloured.
export function certificateView(info, label) {
  const e = expiry(info);
  return h('dl', { class: 'summary cert', 'aria-label': label },
    h('dt', {}, 'Subject'), h('dd', {}, info.subject || '(empty)'),
    h('dt', {}, 'Names (SAN)'), h('dd', {}, [...info.dnsNames, ...info.ipAddresses].length
      ? [...info.dnsNames, ...info.ipAddresses].map((n) => h('span', { class: 'chip' }, n)) : h('span', { class: 'muted' }, 'none')),
    h('dt', {}, 'Issuer'), h('dd', {}, info.selfSigned ? `${info.issuer} (self-signed)` : info.issuer),
    h('dt', {}, 'Valid'), h('dd', {}, `${iso(info.notBefore)} to ${iso(info.notAfter)} `,
      h('span', { class: `pill ${e.cls}`, 'data-testid': 'cert-expiry' }, e.text)));
}

// The Certificate section of a kubernetes.io/tls Secret's summary.
export async function secretCertificateSection(secret) {
  const out = [h('h2', {}, 'Certificate')];
  try {
    const certs = await secretCertificates(secret);
    out.push(certificateView(certs[0], 'Certificate'));
    if (certs.length > 1) out.push(h('details', {}, h('summary', {}, `Chain: ${certs.length - 1} more`),
      certs.slice(1).map((c, i) => certificateView(c, `Chain certificate ${i + 1}`))));
  } catch (e) { out.push(h('p', { class: 'error' }, e.message)); }
  return out;
}

// The TLS section of an Ingress's summary: per spec.tls entry its Secret's
// certificate and which hosts it covers; rule hosts no entry lists.
export async function ingressTlsSection(ing) {
  const tls = ing.spec.tls || [];
  const ruleHosts = [...new Set((ing.spec.rules || []).map((r) => r.host).filter(Boolean))];
  if (!tls.length) return [h('h2', {}, 'TLS'), h('p', { class: 'muted' }, 'No TLS: this Ingress is served over plain HTTP.')];
  const ns = ing.metadata.namespace;
  const out = [h('h2', {}, 'TLS')];
  for (const [i, entry] of tls.entries()) {
    const hosts = entry.hosts || [];
    const box = h('section', { class: 'card tls-entry', 'aria-label': `TLS entry ${i + 1}` },
      h('h3', {}, entry.secretName ? `Secret ${entry.secretName}` : 'No secretName (the proxy\'s default certificate)'));
    out.push(box);
    let info = null;
    if (entry.secretName) {
      try {
        const s = await api(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(entry.secretName)}`);
        info = (await secretCertificates(s))[0];
        box.append(certificateView(info, `Certificate of ${entry.secretName}`));
      } catch (e) {
        box.append(h('p', { class: 'error' }, e.code === 404 ? `The Secret ${entry.secretName} does not exist.` : e.message));
      }
    }
    const rows = [...new Set([...hosts, ...ruleHosts.filter((rh) => hosts.some((x) => x.toLowerCase() === rh.toLowerCase()))])];
    box.append(h('table', { class: 'plain' }, h('thead', {}, h('tr', {}, ['Host', 'In rules', 'Certificate'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((host) => {
        const ok = info && covers(info.dnsNames, host);
        return h('tr', {}, h('td', {}, host), h('td', {}, ruleHosts.includes(host) ? 'yes' : 'no'),
          h('td', {}, !info ? h('span', { class: 'muted' }, 'unknown') : h('span', { class: `pill ${ok ? 's-ok' : 's-bad'}` }, ok ? 'covers it' : 'does not cover it')));
      }))));
  }
  const listed = (host) => tls.some((t) => (t.hosts || []).some((x) => x.toLowerCase() === host.toLowerCase()));
  const plain = ruleHosts.filter((x) => !listed(x));
  if (plain.length) out.push(h('p', { class: 'notice' }, `Rule hosts in no TLS entry (no certificate of this Ingress): ${plain.join(', ')}.`));
  return out;
}
