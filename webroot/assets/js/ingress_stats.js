// ingress_stats.js - request rate and latency quantiles per Ingress from
// the Ingress proxy's Prometheus text (the API's /metrics): the
// nginx_ingress_controller_request_duration_seconds histogram, ingress-nginx's
// name and labels, summed over an Ingress's series (hosts, paths, services);
// rates and quantiles come from the difference of two readings, as
// Prometheus' rate() and histogram_quantile() do. Pure: no DOM, no fetch.

export const FAMILY = 'nginx_ingress_controller_request_duration_seconds';

const labelsOf = (text) => {
  const out = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2];
  return out;
};

// Map "namespace/ingress" -> { buckets: Map(le -> cumulative count), count, sum }.
export function parseHistograms(text) {
  const out = new Map();
  const get = (l) => {
    const key = `${l.namespace}/${l.ingress}`;
    if (!out.has(key)) out.set(key, { buckets: new Map(), count: 0, sum: 0 });
    return out.get(key);
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith(FAMILY)) continue;
    const open = line.indexOf('{'), close = line.lastIndexOf('}');
    if (open < 0 || close < open) continue;
    const suffix = line.slice(FAMILY.length, open);
    const l = labelsOf(line.slice(open + 1, close));
    const v = Number(line.slice(close + 1).trim());
    if (!Number.isFinite(v)) continue;
    const hg = get(l);
    if (suffix === '_bucket') {
      const le = l.le === '+Inf' ? Infinity : Number(l.le);
      hg.buckets.set(le, (hg.buckets.get(le) || 0) + v);
    } else if (suffix === '_count') hg.count += v;
    else if (suffix === '_sum') hg.sum += v;
  }
  return out;
}

// The q-quantile (0..1) of cumulative buckets [[le, count]] sorted by le,
// interpolated linearly inside its bucket (the first bucket starts at 0);
// NaN without observations; in the +Inf bucket, the largest finite bound.
export function quantile(q, buckets) {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (!total) return NaN;
  const rank = q * total;
  let prevLe = 0, prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      if (count === prevCount) return le;
      return prevLe + (le - prevLe) * ((rank - prevCount) / (count - prevCount));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

// { rate (requests/s), p50, p99 (seconds), mean } between readings a and b
// of one Ingress (b later, dt seconds apart); a missing a counts as empty.
export function between(a, b, dt) {
  const empty = { buckets: new Map(), count: 0, sum: 0 };
  a = a || empty;
  if (!b || dt <= 0) return { rate: 0, p50: NaN, p99: NaN, mean: NaN };
  const les = [...b.buckets.keys()].sort((x, y) => x - y);
  // a counter that went down was reset (the server restarted): count from zero
  const reset = b.count < a.count;
  const delta = les.map((le) => [le, b.buckets.get(le) - (reset ? 0 : a.buckets.get(le) || 0)]);
  const n = b.count - (reset ? 0 : a.count);
  const s = b.sum - (reset ? 0 : a.sum);
  return { rate: n / dt, p50: quantile(0.5, delta), p99: quantile(0.99, delta), mean: n ? s / n : NaN };
}
