/* store_sqlite.c - the embedded SQLite store. One table holds the latest
 * version of every object (key -> revision, value) and one row the last
 * revision; history lives only in the in-memory watch window, so the file
 * stays proportional to the live object set and never needs compaction.
 * WAL mode + synchronous=FULL: a COMMIT returns only after the WAL is synced.
 * Only the cache's committer thread writes, so no busy/locked errors arise. */
#include "store.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  store base;
  sqlite3 *db;
  sqlite3_stmt *put, *del, *setrev;
  char err[256];
} sqlite_store;

static int exec(sqlite_store *s, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    snprintf(s->err, sizeof s->err, "%s: %s", sql, msg ? msg : "?");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static int sq_load(store *st, store_load_fn fn, void *ctx, int64_t *rev) {
  sqlite_store *s = (sqlite_store *)st;
  sqlite3_stmt *q;
  *rev = 0;
  if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k='rev'", -1, &q, NULL) != SQLITE_OK) goto fail;
  if (sqlite3_step(q) == SQLITE_ROW) *rev = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  if (sqlite3_prepare_v2(s->db, "SELECT key, rev, value FROM objects ORDER BY key", -1, &q, NULL) != SQLITE_OK)
    goto fail;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW)
    fn(ctx, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1),
       sqlite3_column_blob(q, 2), (size_t)sqlite3_column_bytes(q, 2));
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) goto fail;
  return 0;
fail:
  snprintf(s->err, sizeof s->err, "load: %s", sqlite3_errmsg(s->db));
  return -1;
}

static int step_reset(sqlite_store *s, sqlite3_stmt *q) {
  int rc = sqlite3_step(q);
  sqlite3_reset(q);
  sqlite3_clear_bindings(q);
  if (rc != SQLITE_DONE) {
    snprintf(s->err, sizeof s->err, "write: %s", sqlite3_errmsg(s->db));
    return -1;
  }
  return 0;
}

static int sq_commit(store *st, const store_op *ops, size_t n) {
  sqlite_store *s = (sqlite_store *)st;
  if (n == 0) return 0;
  if (exec(s, "BEGIN IMMEDIATE") != 0) return -1;
  for (size_t i = 0; i < n; i++) {
    sqlite3_stmt *q = ops[i].value ? s->put : s->del;
    sqlite3_bind_text(q, 1, ops[i].key, -1, SQLITE_STATIC);
    if (ops[i].value) {
      sqlite3_bind_int64(q, 2, ops[i].rev);
      sqlite3_bind_blob(q, 3, ops[i].value, (int)ops[i].len, SQLITE_STATIC);
    }
    if (step_reset(s, q) != 0) goto rollback;
  }
  sqlite3_bind_int64(s->setrev, 1, ops[n - 1].rev);
  if (step_reset(s, s->setrev) != 0) goto rollback;
  if (exec(s, "COMMIT") != 0) goto rollback;
  return 0;
rollback:
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

static void sq_close(store *st) {
  sqlite_store *s = (sqlite_store *)st;
  sqlite3_finalize(s->put);
  sqlite3_finalize(s->del);
  sqlite3_finalize(s->setrev);
  sqlite3_close(s->db);
  free(s);
}

static const char *sq_error(store *st) { return ((sqlite_store *)st)->err; }

store *store_sqlite_open(const char *path, char *err, size_t errlen) {
  sqlite_store *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->base = (store){.load = sq_load, .commit = sq_commit, .close = sq_close, .error = sq_error};
  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    snprintf(err, errlen, "open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(s->db, 30000);
  if (exec(s, "PRAGMA journal_mode=WAL") || exec(s, "PRAGMA synchronous=FULL") ||
      exec(s, "CREATE TABLE IF NOT EXISTS objects(key TEXT PRIMARY KEY, rev INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID") ||
      exec(s, "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL)")) {
    snprintf(err, errlen, "%s", s->err);
    goto fail;
  }
  if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO objects(key, rev, value) VALUES(?1, ?2, ?3)", -1, &s->put, NULL) ||
      sqlite3_prepare_v2(s->db, "DELETE FROM objects WHERE key=?1", -1, &s->del, NULL) ||
      sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(k, v) VALUES('rev', ?1)", -1, &s->setrev, NULL)) {
    snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(s->db));
    goto fail;
  }
  return &s->base;
fail:
  if (s->db) sqlite3_close(s->db);
  free(s);
  return NULL;
}
