/* image_table.c - see image_table.h. Matching: the repository exactly, else
 * its last path element ("e2e-test-images/busybox" finds "busybox"). The
 * argv follows Docker's rules: command replaces ENTRYPOINT (and drops CMD),
 * args replace CMD; an applet word of a multi-call PROGRAM runs PROGRAM. A
 * PROGRAM given as a path sits in the container at the image's paths (the
 * ENTRYPOINT and its aliases); a command naming one of them keeps that
 * name as argv[0], as in the image, and only a container without a root of
 * its own runs PROGRAM's host path instead (image_argv_on_host). */
#include "image_table.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *image, *entrypoint, *program;
  char **paths; /* where PROGRAM sits in the image: the ENTRYPOINT and its aliases (NULL-terminated) */
  char **cmd;
  int ncmd;
} image_entry;

/* "/agnhost,/agnhost-2" -> the ENTRYPOINT "/agnhost" (returned) and both paths; "-" -> "-" and none */
static char *split_entrypoint(const char *word, char ***paths) {
  int n = 0;
  *paths = calloc(1, sizeof **paths);
  if (!strcmp(word, "-")) return strdup(word);
  char *copy = strdup(word), *save = NULL;
  for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
    *paths = realloc(*paths, (size_t)(n + 2) * sizeof **paths);
    (*paths)[n++] = strdup(p);
    (*paths)[n] = NULL;
  }
  free(copy);
  return strdup(n ? (*paths)[0] : "-");
}

struct image_table {
  image_entry *e;
  int n;
};

static char **split_words(char *line, int *n) {
  char **w = NULL;
  *n = 0;
  for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
    w = realloc(w, (size_t)(*n + 1) * sizeof *w);
    w[(*n)++] = strdup(tok);
  }
  return w;
}

image_table *image_table_parse(const char *text, const char *origin, char *err, size_t errlen) {
  image_table *t = calloc(1, sizeof *t);
  char *copy = strdup(text), *save = NULL;
  int lineno = 0;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    int n;
    char **w = split_words(line, &n);
    if (!n) {
      free(w);
      continue;
    }
    bool setuid = n >= 3 && !strncmp(w[2], SETUID_BUILTIN, strlen(SETUID_BUILTIN));
    if (n < 3 || (w[2][0] != '/' && strncmp(w[2], "applets:/", 9) && strncmp(w[2], "builtin:", 8) && !setuid) ||
        (setuid && w[1][0] != '/')) {
      snprintf(err, errlen, "%s:%d: want IMAGE ENTRYPOINT PROGRAM [CMD...] with PROGRAM /path, applets:/path, "
               "builtin:NAME or " SETUID_BUILTIN "NAME (with an ENTRYPOINT path)", origin, lineno);
      for (int i = 0; i < n; i++) free(w[i]);
      free(w);
      free(copy);
      image_table_free(t);
      return NULL;
    }
    t->e = realloc(t->e, (size_t)(t->n + 1) * sizeof *t->e);
    image_entry *e = &t->e[t->n++];
    e->image = w[0];
    e->entrypoint = split_entrypoint(w[1], &e->paths);
    free(w[1]);
    e->program = w[2];
    e->ncmd = n - 3;
    e->cmd = calloc((size_t)e->ncmd + 1, sizeof *e->cmd);
    for (int i = 3; i < n; i++) e->cmd[i - 3] = w[i];
    free(w);
  }
  free(copy);
  return t;
}

image_table *image_table_load(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "%s: cannot read", path);
    return NULL;
  }
  size_t cap = 4096, n = 0, r;
  char *buf = malloc(cap);
  while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0)
    if ((n += r) + 1 >= cap) buf = realloc(buf, cap *= 2);
  buf[n] = 0;
  fclose(f);
  image_table *t = image_table_parse(buf, path, err, errlen);
  free(buf);
  return t;
}

void image_table_free(image_table *t) {
  if (!t) return;
  for (int i = 0; i < t->n; i++) {
    free(t->e[i].image);
    free(t->e[i].entrypoint);
    free(t->e[i].program);
    for (char **p = t->e[i].paths; p && *p; p++) free(*p);
    free(t->e[i].paths);
    for (int k = 0; k < t->e[i].ncmd; k++) free(t->e[i].cmd[k]);
    free(t->e[i].cmd);
  }
  free(t->e);
  free(t);
}

void image_repository(const char *image, char *out, size_t len) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", image ? image : "");
  char *at = strchr(buf, '@');
  if (at) *at = 0;
  char *slash = strrchr(buf, '/'), *colon = strrchr(buf, ':');
  if (colon && (!slash || colon > slash)) *colon = 0;
  const char *repo = buf;
  char *first = strchr(buf, '/');
  if (first && (memchr(buf, '.', (size_t)(first - buf)) || memchr(buf, ':', (size_t)(first - buf)) ||
                !strncmp(buf, "localhost/", 10)))
    repo = first + 1;
  if (!strncmp(repo, "library/", 8)) repo += 8;
  snprintf(out, len, "%s", repo);
}

static const image_entry *find(const image_table *t, const char *image) {
  char repo[512];
  image_repository(image, repo, sizeof repo);
  for (int i = 0; t && i < t->n; i++)
    if (!strcmp(t->e[i].image, repo)) return &t->e[i];
  const char *last = strrchr(repo, '/');
  for (int i = 0; last && t && i < t->n; i++)
    if (!strcmp(t->e[i].image, last + 1)) return &t->e[i];
  return NULL;
}

int image_table_knows(const image_table *t, const char *image) { return find(t, image) != NULL; }

static void push(char ***v, int *n, const char *s) {
  *v = realloc(*v, (size_t)(*n + 2) * sizeof **v);
  (*v)[(*n)++] = strdup(s);
  (*v)[*n] = NULL;
}

static int strings(const json_t *a, char ***v, int *n) {
  size_t i;
  json_t *w;
  json_array_foreach(a, i, w) push(v, n, json_string_value(w) ?: "");
  return (int)json_array_size(a);
}

int image_table_argv(const image_table *t, const json_t *container, const char *self, image_argv *out) {
  const image_entry *e = find(t, json_string_value(json_object_get(container, "image")));
  const json_t *command = json_object_get(container, "command"), *args = json_object_get(container, "args");
  char **v = NULL;
  int n = 0;
  out->argv = NULL;
  out->applets = NULL;
  out->program = NULL;
  out->image_paths = NULL;
  out->setuid = 0;
  if (e && !strncmp(e->program, SETUID_BUILTIN, strlen(SETUID_BUILTIN)) && !json_array_size(command)) {
    /* the image's setuid program at its path: ckube-node (a setuid copy) --builtin NAME args */
    push(&v, &n, e->paths[0]);
    push(&v, &n, "--builtin");
    push(&v, &n, e->program + strlen(SETUID_BUILTIN));
    if (json_array_size(args)) strings(args, &v, &n);
    else for (int i = 0; i < e->ncmd; i++) push(&v, &n, e->cmd[i]);
    out->argv = v;
    out->program = self;
    out->image_paths = (const char *const *)e->paths;
    out->setuid = 1;
    return 0;
  }
  if (json_array_size(command)) strings(command, &v, &n);
  else if (e && strcmp(e->entrypoint, "-")) push(&v, &n, e->entrypoint);
  if (json_array_size(args)) strings(args, &v, &n);
  else if (e && !json_array_size(command))
    for (int i = 0; i < e->ncmd; i++) push(&v, &n, e->cmd[i]);
  if (e && !strncmp(e->program, "builtin:", 8) && !json_array_size(command)) {
    /* the image's own program: ckube-node --builtin NAME args */
    char **b = NULL;
    int bn = 0;
    push(&b, &bn, self);
    push(&b, &bn, "--builtin");
    push(&b, &bn, e->program + 8);
    for (int i = strcmp(e->entrypoint, "-") ? 1 : 0; i < n; i++) push(&b, &bn, v[i]);
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
    out->argv = b;
    return 0;
  }
  if (!n) {
    free(v);
    return e ? 0 : -1; /* an image with nothing to run, or unknown */
  }
  if (!e && !json_array_size(command)) { /* unknown image: only its own command could run */
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
    return -1;
  }
  if (!e) {
    out->argv = v;
    return 0;
  }
  if (!strncmp(e->program, "builtin:", 8) || !strncmp(e->program, SETUID_BUILTIN, strlen(SETUID_BUILTIN))) {
    /* a command of its own: runs as given */
  } else if (!strncmp(e->program, "applets:", 8)) {
    out->applets = e->program + 8;
  } else {
    out->program = e->program;
    out->image_paths = (const char *const *)e->paths;
  }
  out->argv = v;
  return 0;
}

void image_argv_on_host(image_argv *a) {
  for (const char *const *p = a->image_paths; a->argv && a->argv[0] && p && *p; p++)
    if (!strcmp(a->argv[0], *p)) {
      free(a->argv[0]);
      a->argv[0] = strdup(a->program);
      return;
    }
}

void image_argv_free(image_argv *a) {
  for (char **p = a->argv; p && *p; p++) free(*p);
  free(a->argv);
  a->argv = NULL;
}
