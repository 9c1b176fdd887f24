/* builtin_http.c - see builtin_http.h. One connection at a time, HTTP/1.0
 * style (Connection: close): enough for curl, probes and load balancing
 * tests. The hostname comes from the pod's UTS namespace (gethostname),
 * which the runtime sets to the pod's name. SIGTERM ends them at once, as
 * it ends nginx (a container's pid 1 would otherwise ignore it). */
#include "builtin_http.h"
#include "builtin_docroot.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LIVENESS_HEALTHY_SECONDS 10 /* k8s.gcr.io/liveness: /healthz fails after this long */

static const char NGINX_PAGE[] =
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n"
    "<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is "
    "required.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";
static const char HTTPD_PAGE[] = "<html><body><h1>It works!</h1></body></html>\n";

static void respond(int fd, int code, const char *type, const char *body, size_t len) {
  char head[512];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", code,
                   code == 200 ? "OK" : code == 500 ? "Internal Server Error" : "Not Found", type, len);
  (void)!write(fd, head, (size_t)n);
  (void)!write(fd, body, len);
}

/* A file under root for the request path; without a document root (it could not be made) the default page for
 * "/". */
static void serve_file(int fd, const char *root, const char *path, const char *page) {
  char file[4096];
  if (strstr(path, "..")) {
    respond(fd, 404, "text/plain", "not found\n", 10);
    return;
  }
  snprintf(file, sizeof file, "%s%s%s", root, path, path[strlen(path) - 1] == '/' ? "index.html" : "");
  FILE *f = fopen(file, "rb");
  if (!f) {
    if (page && (!strcmp(path, "/") || !strcmp(path, "/index.html"))) respond(fd, 200, "text/html", page, strlen(page));
    else respond(fd, 404, "text/html", "<html><body><h1>404 Not Found</h1></body></html>\n", 49);
    return;
  }
  char *buf = NULL;
  size_t cap = 0, n = 0, r;
  do {
    if (n == cap) buf = realloc(buf, cap = cap ? cap * 2 : 65536);
    r = fread(buf + n, 1, cap - n, f);
    n += r;
  } while (r > 0);
  fclose(f);
  respond(fd, 200, strstr(file, ".html") ? "text/html" : "text/plain", buf, n);
  free(buf);
}

static void on_term(int sig) { _exit(0); }

/* k8s.gcr.io/liveness's /server: /healthz answers 200 "ok" for its first ten seconds, then 500 "error: <seconds>". */
static void liveness(int fd, const char *path, const struct timespec *started) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double up = (double)(now.tv_sec - started->tv_sec) + (double)(now.tv_nsec - started->tv_nsec) / 1e9;
  char body[64];
  int len = up > LIVENESS_HEALTHY_SECONDS ? snprintf(body, sizeof body, "error: %.6f", up) : snprintf(body, sizeof body, "ok");
  if (strcmp(path, "/healthz")) respond(fd, 404, "text/plain", "404 page not found\n", 19);
  else respond(fd, up > LIVENESS_HEALTHY_SECONDS ? 500 : 200, "text/plain", body, (size_t)len);
}

/* sysnet4admin/audit-trail: answers the pod's name and address and appends
 * "<time>  <client>  <method>" to /audit/audit_<pod>.log (the volume every replica shares). */
static void audit(int fd, const char *method, const char *pod_ip, const struct sockaddr_in *peer) {
  char host[256] = "", client[INET_ADDRSTRLEN] = "", when[64], file[400];
  gethostname(host, sizeof host);
  inet_ntop(AF_INET, &peer->sin_addr, client, sizeof client);
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S %z", &tm);
  snprintf(file, sizeof file, "/audit/audit_%s.log", host);
  FILE *f = fopen(file, "a");
  if (f) {
    fprintf(f, "%s  %s  %s\n", when, client, method);
    fclose(f);
  }
  char body[400];
  int len = snprintf(body, sizeof body, "pod_name : %s\npod_ip   : %s\n", host, pod_ip);
  respond(fd, 200, "text/plain", body, (size_t)len);
}

bool builtin_http_docroot(const char *name, const char **root, const char **page) {
  bool httpd = !strcmp(name, "httpd");
  if (!httpd && strcmp(name, "nginx")) return false;
  *root = httpd ? "/usr/local/apache2/htdocs" : "/usr/share/nginx/html";
  *page = httpd ? HTTPD_PAGE : NGINX_PAGE;
  return true;
}

int builtin_main(int argc, char **argv) {
  const char *name = argc > 0 ? argv[0] : "", *ip = "0.0.0.0", *root = NULL;
  int port = 80;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--pod-ip")) ip = argv[++i];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--root")) root = argv[++i];
  }
  bool echo = !strcmp(name, "echo-hname"), live = !strcmp(name, "liveness"), trail = !strcmp(name, "audit-trail");
  bool demo = !strcmp(name, "update-demo");
  const char *picture = "nautilus"; /* update-demo: the image's picture, its last word (nautilus, kitten) */
  if (argc > 1 && strncmp(argv[argc - 1], "--", 2) && (argc < 3 || strncmp(argv[argc - 2], "--", 2)))
    picture = argv[argc - 1];
  if (!echo && !live && !trail && !demo && strcmp(name, "nginx") && strcmp(name, "httpd")) {
    fprintf(stderr, "unknown builtin program %s\n", name);
    return 2;
  }
  if (live && port == 80) port = 8080;
  const char *page = NULL, *default_root = NULL;
  builtin_http_docroot(name, &default_root, &page);
  if (!root) root = default_root;
  if (!echo && !live && !trail && !demo && docroot_prepare(root, page)) page = NULL; /* served from its file */
  struct timespec started;
  clock_gettime(CLOCK_MONOTONIC, &started);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_term);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 128)) {
    fprintf(stderr, "%s: cannot listen on %s:%d: %m\n", name, ip, port);
    return 1;
  }
  printf("%s listening on %s:%d\n", name, ip, port);
  fflush(stdout);
  for (;;) {
    struct sockaddr_in peer = {0};
    socklen_t plen = sizeof peer;
    int fd = accept4(s, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
    if (fd < 0) continue;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char req[8192];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof req - 1 && (r = read(fd, req + n, sizeof req - 1 - n)) > 0) {
      n += (size_t)r;
      req[n] = 0;
      if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    req[n] = 0;
    char method[16] = "", path[2048] = "/";
    sscanf(req, "%15s %2047s", method, path);
    if (live) {
      liveness(fd, path, &started);
    } else if (trail) {
      audit(fd, method, ip, &peer);
    } else if (demo) { /* the kubectl Update Demo's images: /data.json names their picture */
      char body[300];
      int len = snprintf(body, sizeof body, "{\"image\": \"%s.jpg\"}\n", picture);
      if (!strcmp(path, "/data.json")) respond(fd, 200, "application/json", body, (size_t)len);
      else respond(fd, 404, "text/plain", "404 page not found\n", 19);
    } else if (echo) {
      char host[256] = "";
      gethostname(host, sizeof host);
      char body[300];
      int len = snprintf(body, sizeof body, "%s\n", host);
      respond(fd, 200, "text/plain", body, (size_t)len);
    } else {
      serve_file(fd, root, path, page);
    }
    close(fd);
  }
}
