/* yaml_emit.c - JSON to YAML shaped like sigs.k8s.io/yaml.JSONToYAML (go-yaml
 * v2's encoder, which `kubectl get -o yaml` and the API server's YAML output
 * use). go-yaml's emitter is a port of libyaml's, so we feed libyaml the
 * same events go-yaml's encoder would: block collections (empty ones come
 * out as {} and []), strings plain unless they would read back as another
 * type (then double-quoted; the emitter itself falls back to single quotes
 * for text plain style cannot carry), multi-line strings as literal blocks,
 * Go's float and integer spellings. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yaml_json.h"
#include "yaml_resolve.h"

typedef struct {
  char *p;
  size_t len, cap;
  bool oom;
} outbuf;

static int write_cb(void *data, unsigned char *buf, size_t size) {
  outbuf *o = data;
  if (o->len + size + 1 > o->cap) {
    size_t nc = o->cap ? o->cap * 2 : 256;
    while (nc < o->len + size + 1) nc *= 2;
    char *np = realloc(o->p, nc);
    if (!np) { o->oom = true; return 0; }
    o->p = np;
    o->cap = nc;
  }
  memcpy(o->p + o->len, buf, size);
  o->len += size;
  o->p[o->len] = 0;
  return 1;
}

static bool valid_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t l = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!l || i + l > n) return false;
    for (size_t k = 1; k < l; k++)
      if ((s[i + k] & 0xC0) != 0x80) return false;
    i += l;
  }
  return true;
}

/* go-yaml's encodeBase64: standard base64 in 70-column lines (one line
 * without a newline when it fits). */
static char *base64_lines(const unsigned char *s, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t enc = (n + 2) / 3 * 4, lines = enc / 70 + 1;
  char *e = malloc(enc + 1), *out = malloc(enc + lines + 1);
  if (!e || !out) { free(e); free(out); return NULL; }
  size_t k = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
    e[k++] = tab[v >> 18 & 63];
    e[k++] = tab[v >> 12 & 63];
    e[k++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
    e[k++] = i + 2 < n ? tab[v & 63] : '=';
  }
  size_t o = 0;
  for (size_t i = 0; i < enc; i += 70) {
    size_t j = i + 70 < enc ? i + 70 : enc;
    memcpy(out + o, e + i, j - i);
    o += j - i;
    if (lines > 1) out[o++] = '\n';
  }
  out[o] = 0;
  free(e);
  return out;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev) { return yaml_emitter_emit(em, ev) ? 0 : -1; }

static int emit_scalar(yaml_emitter_t *em, const char *s, size_t n, const char *tag, yaml_scalar_style_t style) {
  yaml_event_t ev;
  int implicit = tag == NULL;
  if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)s, (int)n, implicit, implicit,
                                    style))
    return -1;
  return emit(em, &ev);
}

static int emit_string(yaml_emitter_t *em, const char *s, size_t n) {
  if (!valid_utf8((const unsigned char *)s, n)) {
    char *b = base64_lines((const unsigned char *)s, n);
    if (!b) return -1;
    int rc = emit_scalar(em, b, strlen(b), "tag:yaml.org,2002:binary", YAML_LITERAL_SCALAR_STYLE);
    free(b);
    return rc;
  }
  yaml_scalar_style_t style;
  if (memchr(s, '\n', n)) style = YAML_LITERAL_SCALAR_STYLE;
  else if (yaml_resolve_plain(s, n, NULL) == YR_STR && !yaml_is_base60_float(s, n)) style = YAML_PLAIN_SCALAR_STYLE;
  else style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  return emit_scalar(em, s, n, NULL, style);
}

static int cmp_rune_keys(const char *a, const char *b);

typedef struct {
  const char *key;
  json_t *value;
} kv;

static int kv_cmp(const void *x, const void *y) {
  return cmp_rune_keys(((const kv *)x)->key, ((const kv *)y)->key);
}

static int emit_value(yaml_emitter_t *em, const json_t *v, bool sorted, int depth) {
  yaml_event_t ev;
  char buf[64];
  if (depth > 10000) return -1;
  switch (json_typeof(v)) {
    case JSON_OBJECT: {
      if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) || emit(em, &ev))
        return -1;
      size_t n = json_object_size(v), i = 0;
      kv *items = malloc((n ? n : 1) * sizeof *items);
      if (!items) return -1;
      const char *k;
      json_t *x;
      json_object_foreach((json_t *)v, k, x) items[i++] = (kv){k, x};
      if (sorted && n > 1) qsort(items, n, sizeof *items, kv_cmp);
      int rc = 0;
      for (i = 0; i < n && !rc; i++) {
        rc = emit_string(em, items[i].key, strlen(items[i].key));
        if (!rc) rc = emit_value(em, items[i].value, sorted, depth + 1);
      }
      free(items);
      if (rc) return -1;
      if (!yaml_mapping_end_event_initialize(&ev)) return -1;
      return emit(em, &ev);
    }
    case JSON_ARRAY: {
      if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) || emit(em, &ev))
        return -1;
      size_t i;
      json_t *x;
      json_array_foreach(v, i, x) if (emit_value(em, x, sorted, depth + 1)) return -1;
      if (!yaml_sequence_end_event_initialize(&ev)) return -1;
      return emit(em, &ev);
    }
    case JSON_STRING: return emit_string(em, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
      snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
      return emit_scalar(em, buf, strlen(buf), NULL, YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
      yaml_go_format_float(json_real_value(v), 64, buf, sizeof buf);
      return emit_scalar(em, buf, strlen(buf), NULL, YAML_PLAIN_SCALAR_STYLE);
    case JSON_TRUE: return emit_scalar(em, "true", 4, NULL, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE: return emit_scalar(em, "false", 5, NULL, YAML_PLAIN_SCALAR_STYLE);
    default: return emit_scalar(em, "null", 4, NULL, YAML_PLAIN_SCALAR_STYLE);
  }
}

static char *to_yaml(const json_t *v, size_t *len_out, bool sorted) {
  yaml_emitter_t em;
  yaml_event_t ev;
  outbuf o = {0};
  if (!yaml_emitter_initialize(&em)) return NULL;
  yaml_emitter_set_output(&em, write_cb, &o);
  yaml_emitter_set_unicode(&em, 1);
  int rc = -1;
  if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && !emit(&em, &ev) &&
      yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && !emit(&em, &ev) &&
      !emit_value(&em, v ? v : json_null(), sorted, 0) && yaml_document_end_event_initialize(&ev, 1) &&
      !emit(&em, &ev) && yaml_stream_end_event_initialize(&ev) && !emit(&em, &ev) && yaml_emitter_flush(&em))
    rc = 0;
  yaml_emitter_delete(&em);
  if (rc || o.oom) {
    free(o.p);
    return NULL;
  }
  if (!o.p && !(o.p = calloc(1, 1))) return NULL;
  if (len_out) *len_out = o.len;
  return o.p;
}

char *json_to_yaml(const json_t *v, size_t *len_out) { return to_yaml(v, len_out, false); }

char *json_to_yaml_sorted(const json_t *v, size_t *len_out) { return to_yaml(v, len_out, true); }

/* ---- go-yaml v2 map key order (keyList.Less on string keys) ---- */

/* Decodes one UTF-8 rune (invalid bytes as U+FFFD, one byte). */
static unsigned next_rune(const char **p) {
  const unsigned char *s = (const unsigned char *)*p;
  unsigned c = s[0];
  size_t l = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (!l) { (*p)++; return 0xFFFD; }
  unsigned r = l == 1 ? c : l == 2 ? (c & 0x1F) : l == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < l; k++) {
    if ((s[k] & 0xC0) != 0x80) { (*p)++; return 0xFFFD; }
    r = r << 6 | (s[k] & 0x3F);
  }
  *p += l;
  return r;
}

/* unicode.IsLetter approximated: ASCII letters plus every non-ASCII rune
 * outside common punctuation blocks; keys in Kubernetes objects are ASCII. */
static bool rune_is_letter(unsigned r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  return r >= 0xC0 && !(r >= 0x2000 && r <= 0x2BFF) && r != 0xD7 && r != 0xF7;
}

static bool rune_is_digit(unsigned r) { return r >= '0' && r <= '9'; }

static int cmp_rune_keys(const char *as, const char *bs) {
  /* Decode both to rune arrays, then compare as go-yaml does: letters by
   * code point, letters before non-letters, digit runs numerically. */
  size_t la = strlen(as), lb = strlen(bs);
  unsigned *ar = malloc((la + 1) * sizeof *ar), *br = malloc((lb + 1) * sizeof *br);
  int result = 0;
  if (!ar || !br) { free(ar); free(br); return strcmp(as, bs); }
  size_t na = 0, nb = 0;
  for (const char *p = as; *p;) ar[na++] = next_rune(&p);
  for (const char *p = bs; *p;) br[nb++] = next_rune(&p);
  for (size_t i = 0; i < na && i < nb; i++) {
    if (ar[i] == br[i]) continue;
    bool al = rune_is_letter(ar[i]), bl = rune_is_letter(br[i]);
    if (al && bl) { result = ar[i] < br[i] ? -1 : 1; goto done; }
    if (al || bl) { result = bl ? -1 : 1; goto done; }
    long long an = 0, bn = 0;
    size_t ai, bi;
    if (ar[i] == '0' || br[i] == '0') {
      for (size_t j = i; j-- > 0 && rune_is_digit(ar[j]);) {
        if (ar[j] != '0') { an = 1; bn = 1; break; }
      }
    }
    for (ai = i; ai < na && rune_is_digit(ar[ai]); ai++) an = (long long)((unsigned long long)an * 10 + (ar[ai] - '0'));
    for (bi = i; bi < nb && rune_is_digit(br[bi]); bi++) bn = (long long)((unsigned long long)bn * 10 + (br[bi] - '0'));
    if (an != bn) { result = an < bn ? -1 : 1; goto done; }
    if (ai != bi) { result = ai < bi ? -1 : 1; goto done; }
    result = ar[i] < br[i] ? -1 : 1;
    goto done;
  }
  result = na < nb ? -1 : na > nb;
done:
  free(ar);
  free(br);
  return result;
}
