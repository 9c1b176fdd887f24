/* webroot.c - serves the console's static files from the webroot directory.
 * The console's paths are / (only when a browser asks for HTML, so API
 * clients keep their answers), /index.html, /assets/<file> and /ui/<route>
 * (every /ui/ route is the single page, index.html, which routes itself).
 * Files are read whole per request (the console is a few hundred KiB); each
 * answer carries its content type, an ETag from size and modification time
 * (If-None-Match gets a 304), Cache-Control: no-cache (the file names are not
 * content hashes, so the browser revalidates), and a strict
 * Content-Security-Policy: only this origin's scripts, styles and connections,
 * no inline script, no framing. */
#include "webroot.h"
#include "log.h"
#include <civetweb.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (8 << 20)

static char root[1024]; /* set once at start, read-only afterwards */

/* <style> elements may be inline (style-src-elem): xterm.js writes its
 * measured cell sizes and theme into one; scripts and style attributes stay
 * this origin's files only. */
static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "style-src-elem 'self' 'unsafe-inline'; img-src 'self' data:; "
                          "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

static bool has_index(const char *dir) {
  char p[1100];
  snprintf(p, sizeof p, "%s/index.html", dir);
  return access(p, R_OK) == 0;
}

const char *webroot_init(const char *dir) {
  if (dir) {
    snprintf(root, sizeof root, "%s", dir);
    if (!has_index(root)) LOGW("--webroot %s has no index.html: the console will answer 404", root);
    return root;
  }
  char exe[900];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return NULL;
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  if (slash) *slash = 0;
  const char *tails[] = {"webroot", "../share/ckube/webroot"};
  for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
    snprintf(root, sizeof root, "%s/%s", exe, tails[i]);
    if (has_index(root)) return root;
  }
  root[0] = 0;
  return NULL;
}

static const char *content_type(const char *path) {
  static const struct {
    const char *ext, *type;
  } types[] = {{".html", "text/html; charset=utf-8"},    {".js", "text/javascript; charset=utf-8"},
               {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
               {".svg", "image/svg+xml"},                  {".png", "image/png"},
               {".ico", "image/x-icon"},                   {".json", "application/json"},
               {".woff2", "font/woff2"},                   {".txt", "text/plain; charset=utf-8"}};
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
    if (!strcmp(dot, types[i].ext)) return types[i].type;
  return "application/octet-stream";
}

/* A file path under /assets/ is safe when it has only plain characters and
 * no segment starting with a dot (no "..", no hidden files). */
static bool safe_asset(const char *p) {
  if (strlen(p) > 200) return false;
  for (const char *c = p; *c; c++) {
    bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                 *c == '_' || *c == '.' || *c == '/';
    if (!plain || (*c == '.' && (c == p || c[-1] == '/'))) return false;
  }
  return true;
}

static void send_plain(http_req *rq, int code, const char *text) {
  rq->code = code;
  mg_printf(rq->conn,
            "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
            "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n%s",
            code, mg_get_response_code_text(rq->conn, code), strlen(text), text);
}

static void send_file(http_req *rq, const char *rel) {
  char path[1400];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  int fd = root[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
    if (fd >= 0) close(fd);
    send_plain(rq, 404, root[0] ? "not found\n" : "the console is not installed (no webroot directory)\n");
    return;
  }
  char etag[64];
  snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
           (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec);
  const char *inm = mg_get_header(rq->conn, "If-None-Match");
  if (inm && strstr(inm, etag)) { /* the browser's copy is current: headers only, no body */
    rq->code = 304;
    mg_printf(rq->conn, "HTTP/1.1 304 Not Modified\r\nETag: %s\r\nCache-Control: no-cache\r\n\r\n", etag);
    close(fd);
    return;
  }
  rq->code = 200;
  mg_printf(rq->conn,
            "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\nETag: %s\r\nCache-Control: no-cache\r\n"
            "Content-Security-Policy: %s\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"
            "X-Frame-Options: DENY\r\n\r\n",
            content_type(rel), (long long)st.st_size, etag, CSP);
  if (strcmp(rq->method, "HEAD") != 0) {
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
      if (mg_write(rq->conn, buf, (size_t)n) <= 0) break;
  }
  close(fd);
}

bool webroot_handle(http_req *rq) {
  const char *p = rq->path, *rel;
  if (!strcmp(p, "/")) {
    if (!rq->accept || !strstr(rq->accept, "text/html")) return false;
    rel = "index.html";
  } else if (!strcmp(p, "/index.html") || !strcmp(p, "/ui") || !strncmp(p, "/ui/", 4)) {
    rel = "index.html";
  } else if (!strncmp(p, "/assets/", 8)) {
    rel = p + 1;
    if (!safe_asset(p + 8)) {
      send_plain(rq, 404, "not found\n");
      return true;
    }
  } else {
    return false;
  }
  if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
    send_plain(rq, 405, "the console's files are read-only\n");
    return true;
  }
  send_file(rq, rel);
  return true;
}
