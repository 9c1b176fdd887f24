/* object_meta.c - see object_meta.h. */
#include "object_meta.h"
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void meta_new_uid(char *buf, size_t len) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) memset(b, 0, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* The alphabet and length Kubernetes' SimpleNameGenerator uses. */
void meta_random_suffix(char *buf, size_t n) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char r[16];
  if (n > sizeof r) n = sizeof r;
  RAND_bytes(r, sizeof r);
  for (size_t i = 0; i < n; i++) buf[i] = alphabet[r[i] % (sizeof alphabet - 1)];
  buf[n] = 0;
}

json_t *meta_of(json_t *obj) {
  json_t *md = json_object_get(obj, "metadata");
  if (!json_is_object(md)) {
    md = json_object();
    json_object_set_new(obj, "metadata", md);
  }
  return md;
}

const char *meta_str(const json_t *obj, const char *field) {
  return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

int64_t meta_rv(const json_t *obj) {
  const char *s = meta_str(obj, "resourceVersion");
  if (!s || !*s) return 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  return *end || v <= 0 ? -1 : v;
}

void meta_event_name(const char *involved, char *buf, size_t len) {
  struct timespec tp;
  clock_gettime(CLOCK_REALTIME, &tp);
  snprintf(buf, len, "%.240s.%llx", involved,
           (unsigned long long)tp.tv_sec * 1000000000ULL + (unsigned long long)tp.tv_nsec);
}
