/* runtime_hooks.c - see runtime_hooks.h. An exec handler joins the
 * container's network and mount namespaces (chroot to its root) and runs
 * with its environment and applets, as CRI's ExecSync does; an httpGet
 * handler is the host's curl in the pod's network namespace, since kubelet's
 * GET comes from the node. Both write their output to one file, which a
 * failure's message quotes. */
#include "runtime_hooks.h"
#include "json_path.h"
#include "pod_network.h"
#include "runtime_env.h"
#include "runtime_proc.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOOK_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define HTTP_TIMEOUT "10" /* seconds: kubelet's HTTP getter gives up after 10 s as well */

int rt_hook_present(const json_t *handler) {
  return json_array_size(json_object_get(json_object_get(handler, "exec"), "command")) > 0 ||
         json_is_object(json_object_get(handler, "httpGet"));
}

int rt_hook_succeeded(int wstatus) { return wstatus >= 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0; }

/* The port of an httpGet: a number, a numeric string, or a container port's name (kubelet's resolvePort);
 * an empty name is 80. */
static long http_port(const json_t *sc, const json_t *port) {
  if (json_is_integer(port)) return (long)json_integer_value(port);
  const char *name = json_string_value(port) ?: "";
  if (!*name) return 80;
  char *end;
  long num = strtol(name, &end, 10);
  if (!*end) return num;
  size_t i;
  json_t *cp;
  json_array_foreach(json_object_get(sc, "ports"), i, cp)
    if (!strcmp(json_str(cp, "name") ?: "", name)) return (long)json_integer_value(json_object_get(cp, "containerPort"));
  return -1;
}

/* The URL kubelet's handler GETs: http://host:port/path (kubelet joins them with a slash; one is kept). */
static void http_url(const json_t *get, const json_t *sc, const char *pod_ip, char *url, size_t len) {
  const char *host = json_str(get, "host"), *path = json_str(get, "path") ?: "";
  snprintf(url, len, "http://%s:%ld/%s", host && *host ? host : pod_ip, http_port(sc, json_object_get(get, "port")),
           path[0] == '/' ? path + 1 : path);
}

static char **strv_of(const char *const *words) {
  size_t n = 0;
  while (words[n]) n++;
  char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = strdup(words[i]);
  return v;
}

pid_t rt_hook_spawn(const json_t *handler, const json_t *sc, const rt_hook_target *t, char *err, size_t errlen) {
  const json_t *cmd = json_object_get(json_object_get(handler, "exec"), "command");
  const json_t *get = json_object_get(handler, "httpGet");
  char **argv;
  char url[2048];
  if (json_array_size(cmd)) {
    argv = calloc(json_array_size(cmd) + 1, sizeof *argv);
    size_t i;
    json_t *w;
    json_array_foreach(cmd, i, w) argv[i] = strdup(json_string_value(w) ?: "");
    get = NULL;
  } else {
    http_url(get, sc, t->pod_ip, url, sizeof url);
    const char *words[] = {"curl", "-sS", "-o", "/dev/null", "--max-time", HTTP_TIMEOUT, url, NULL};
    argv = strv_of(words);
  }
  int out = open(t->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    snprintf(err, errlen, "open %s: %m", t->out_path);
    rt_env_free(argv);
    return -1;
  }
  char *default_env[] = {HOOK_PATH, NULL};
  int nsfd = t->netns_ip ? podnet_open(t->netns_ip) : -1;
  int mntfd = !get && t->rootfs && t->rootfs[0] && t->ctr_pid > 0 ? rt_open_mount_ns(t->ctr_pid) : -1;
  rt_spawn_req req = {.argv = argv, .envp = get || !t->env ? default_env : t->env,
                      .applets = get ? NULL : t->applets, .workdir = get ? NULL : t->workdir,
                      .hostname = t->pod_name, .netns_fd = nsfd, .capture_fd = out, .join_mnt_fd = mntfd,
                      .join_root = t->rootfs, .identity = get ? NULL : t->identity,
                      .applets_root = get ? NULL : t->applets_root};
  pid_t pid = rt_spawn(&req, err, errlen);
  if (nsfd >= 0) close(nsfd);
  if (mntfd >= 0) close(mntfd);
  close(out);
  rt_env_free(argv);
  return pid;
}

/* Go's %q of s (the escapes a message needs), into out. */
static void go_quote(const char *s, char *out, size_t len) {
  size_t n = 0;
  if (len < 3) return;
  out[n++] = '"';
  for (; *s && n + 6 < len; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') n += (size_t)snprintf(out + n, len - n, "\\%c", ch);
    else if (ch == '\n') n += (size_t)snprintf(out + n, len - n, "\\n");
    else if (ch == '\t') n += (size_t)snprintf(out + n, len - n, "\\t");
    else if (ch < 0x20 || ch == 0x7f) n += (size_t)snprintf(out + n, len - n, "\\x%02x", ch);
    else out[n++] = (char)ch;
  }
  out[n++] = '"';
  out[n] = 0;
}

static void read_output(const char *path, char *out, size_t len) {
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(out, 1, len - 1, f) : 0;
  out[n] = 0;
  if (f) fclose(f);
}

void rt_hook_failure(const json_t *handler, const char *ctr_name, const char *pod_desc, int wstatus,
                     const char *start_err, const char *out_path, char *msg, size_t len) {
  char output[2048], quoted[4200], error[2400];
  read_output(out_path, output, sizeof output);
  const json_t *cmd = json_object_get(json_object_get(handler, "exec"), "command");
  if (json_array_size(cmd)) { /* CRI ExecSync: command 'a b' exited with N: <stderr> */
    char words[1024] = "";
    size_t n = 0, i;
    json_t *w;
    json_array_foreach(cmd, i, w)
      if (n < sizeof words)
        n += (size_t)snprintf(words + n, sizeof words - n, "%s%s", i ? " " : "", json_string_value(w) ?: "");
    if (wstatus < 0) snprintf(error, sizeof error, "%s", start_err ? start_err : "cannot start");
    else snprintf(error, sizeof error, "command '%s' exited with %d: %s", words,
                  WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus), output);
    go_quote(output, quoted, sizeof quoted);
    snprintf(msg, len, "Exec lifecycle hook ([%s]) for Container \"%s\" in Pod \"%s\" failed - error: %s, message: %s",
             words, ctr_name, pod_desc, error, quoted);
    return;
  }
  const json_t *get = json_object_get(handler, "httpGet");
  output[strcspn(output, "\n")] = 0; /* curl: (7) Failed to connect to ... */
  snprintf(error, sizeof error, "%s", wstatus < 0 ? (start_err ? start_err : "cannot start") : output);
  snprintf(msg, len, "Http lifecycle hook (%s) for Container \"%s\" in Pod \"%s\" failed - error: %s, message: \"\"",
           json_str(get, "path") ?: "", ctr_name, pod_desc, error);
}
