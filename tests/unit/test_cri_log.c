/* test_cri_log.c - kubelet's reading of CRI log files: full and partial
 * entries, timestamps, since, limitBytes, malformed lines skipped and
 * an unfinished last line left for the next read. */
#include "test.h"
#include "cri_log.h"
#include <stdlib.h>

static char out[4096];
static size_t out_len;

static int collect(void *ctx, int stream, const char *d, size_t n) {
  if (ctx) ((int *)ctx)[stream]++;
  memcpy(out + out_len, d, n);
  out_len += n;
  out[out_len] = 0;
  return 0;
}

static const char LOG[] = "2026-12-06T21:00:00.5Z stdout F first line\n"
                          "garbage\n"
                          "2026-12-06T21:00:01.25Z stderr P part-\n"
                          "2026-12-06T21:00:01.5Z stderr F ial\n"
                          "2026-12-06T21:00:02Z stdout F third\n"
                          "2026-12-06T21:00:03Z stdout F unfinish";

static size_t render(const cri_log_opts *o, size_t start) {
  long long written = 0;
  bool done = false;
  out_len = 0;
  out[0] = 0;
  return cri_log_render(LOG + start, sizeof LOG - 1 - start, o, &written, &done, collect, NULL);
}

static void test_render(void) {
  cri_log_opts o = {false, -1, 0};
  size_t used = render(&o, 0);
  CHECK_STR(out, "first line\npart-ial\nthird\n");
  CHECK(used == (size_t)(strstr(LOG, "2026-12-06T21:00:03Z") - LOG));
  o.timestamps = true;
  render(&o, 0);
  CHECK_STR(out, "2026-12-06T21:00:00.5Z first line\n2026-12-06T21:00:01.25Z part-2026-12-06T21:00:01.5Z ial\n"
                 "2026-12-06T21:00:02Z third\n");
  o.timestamps = false;
  o.since = cri_parse_time("2026-12-06T21:00:01Z", 20);
  render(&o, 0);
  CHECK_STR(out, "part-ial\nthird\n");
  o.since = 0;
  int streams[3] = {0, 0, 0};
  long long written = 0;
  bool done = false;
  cri_log_render(LOG, sizeof LOG - 1, &o, &written, &done, collect, streams);
  CHECK(streams[1] == 4 && streams[2] == 3); /* first line, \n, third, \n / part-, ial, \n */
  o.limit_bytes = 13;
  render(&o, 0);
  CHECK_STR(out, "first line\npa");
}

static void test_time(void) {
  CHECK(cri_parse_time("2026-12-06T21:00:00Z", 20) == 1796590800.0);
  CHECK(cri_parse_time("2026-12-06T22:00:00+01:00", 25) == 1796590800.0);
  CHECK(cri_parse_time("2026-12-06T21:00:00.25Z", 23) == 1796590800.25);
  CHECK(cri_parse_time("yesterday", 9) < 0);
}

TEST_MAIN(TEST(test_render), TEST(test_time))
