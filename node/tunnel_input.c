/* tunnel_input.c - see tunnel_internal.h: the client's input of one
 * request, fetched with long-polling GETs (the server answers at once when
 * something is there, after 10 s otherwise). Once the client closed its
 * input the server answers every GET at once, so the loop then polls only
 * twice a second, to learn when the client leaves. */
#include "tunnel_internal.h"
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLOSED_POLL_US 500000

bool tunnel_fetch_input(answer *a, atomic_bool *done, tunnel_input_fn on_item, void (*on_close)(void *ctx),
                        void *ctx) {
  char err[300], path[500];
  https_client *c = https_client_open(a->o->kubeconfig, err, sizeof err);
  snprintf(path, sizeof path, "/ckube/v1/tunnel/%s/input/%s", a->o->node, jstr(a->req, "id"));
  bool closed = false, gone = false;
  while (c && !atomic_load(done) && !gone) {
    if (closed) usleep(CLOSED_POLL_US);
    json_t *out = NULL;
    int code = https_call(c, "GET", path, NULL, NULL, &out);
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(out, "items"), i, item) {
      const char *b64 = jstr(item, "data");
      size_t n = strlen(b64);
      char *data = malloc(n + 1);
      int len = EVP_DecodeBlock((unsigned char *)data, (const unsigned char *)b64, (int)n);
      while (len > 0 && n > 0 && b64[n - 1] == '=') len--, n--;
      data[len > 0 ? len : 0] = 0;
      if (len > 0) on_item(ctx, (int)json_integer_value(json_object_get(item, "channel")), data, (size_t)len);
      free(data);
    }
    if (json_is_true(json_object_get(out, "closed")) && !closed) {
      closed = true;
      on_close(ctx);
    }
    gone = code != 200 || json_is_true(json_object_get(out, "gone"));
    json_decref(out);
  }
  https_client_close(c);
  return gone && !atomic_load(done);
}
