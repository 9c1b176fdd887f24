/* builtin_http.c - see builtin_http.h. One connection at a time, HTTP/1.0
 * style (Connection: close): enough for curl, probes and load balancing
 * tests. The hostname comes from the pod's UTS namespace (gethostname),
 * which the runtime sets to the pod's name. */
#include "builtin_http.h"
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
#include <unistd.h>

static const char NGINX_PAGE[] =
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n"
    "<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is "
    "required.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";
static const char HTTPD_PAGE[] = "<html><body><h1>It works!</h1></body></html>\n";

static void respond(int fd, int code, const char *type, const char *body, size_t len) {
  char head[512];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", code,
                   code == 200 ? "OK" : "Not Found", type, len);
  (void)!write(fd, head, (size_t)n);
  (void)!write(fd, body, len);
}

/* A file under root for the request path, or the default page for "/". */
static void serve_file(int fd, const char *root, const char *path, const char *page) {
  char file[4096];
  if (strstr(path, "..")) {
    respond(fd, 404, "text/plain", "not found\n", 10);
    return;
  }
  snprintf(file, sizeof file, "%s%s%s", root, path, path[strlen(path) - 1] == '/' ? "index.html" : "");
  FILE *f = fopen(file, "rb");
  if (!f) {
    if (!strcmp(path, "/") || !strcmp(path, "/index.html")) respond(fd, 200, "text/html", page, strlen(page));
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

int builtin_main(int argc, char **argv) {
  const char *name = argc > 0 ? argv[0] : "", *ip = "0.0.0.0", *root = NULL;
  int port = 80;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--pod-ip")) ip = argv[++i];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--root")) root = argv[++i];
  }
  bool echo = !strcmp(name, "echo-hname");
  if (!echo && strcmp(name, "nginx") && strcmp(name, "httpd")) {
    fprintf(stderr, "unknown builtin program %s\n", name);
    return 2;
  }
  if (!root) root = !strcmp(name, "httpd") ? "/usr/local/apache2/htdocs" : "/usr/share/nginx/html";
  signal(SIGPIPE, SIG_IGN);
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
    int fd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
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
    if (echo) {
      char host[256] = "";
      gethostname(host, sizeof host);
      char body[300];
      int len = snprintf(body, sizeof body, "%s\n", host);
      respond(fd, 200, "text/plain", body, (size_t)len);
    } else {
      serve_file(fd, root, path, !strcmp(name, "httpd") ? HTTPD_PAGE : NGINX_PAGE);
    }
    close(fd);
  }
}
