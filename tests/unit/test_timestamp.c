/* test_timestamp.c - lib/timestamp.c: RFC 3339 with offsets and fractions
 * parses to the same instant, anything else is refused; formatting is the
 * whole-second UTC form metav1.Time serializes; the clocks move forward;
 * timed-wait deadlines are normalized. */
#include "test.h"
#include "timestamp.h"

static const time_t NEW_YEAR_2021 = 1609459200;

static void test_parse(void) {
  time_t t;
  double f;
  CHECK(rfc3339_parse("2021-01-01T00:00:00Z", &t, &f) == 0 && t == NEW_YEAR_2021 && f == 0);
  CHECK(rfc3339_parse("2021-01-01T01:00:00+01:00", &t, &f) == 0 && t == NEW_YEAR_2021);
  CHECK(rfc3339_parse("2020-12-31T23:59:59.500000Z", &t, &f) == 0 && t == NEW_YEAR_2021 - 1 && f == 0.5);
  CHECK(rfc3339_parse("yesterday", &t, &f) != 0);
  CHECK(rfc3339_parse("", &t, &f) != 0);
  CHECK(rfc3339_parse(NULL, &t, &f) != 0);
  CHECK(rfc3339_parse("2021-01-01T00:00:00", &t, &f) != 0);  /* no zone */
  CHECK(rfc3339_parse("2021-01-01T00:00:00Zx", &t, &f) != 0); /* trailing text */
  CHECK(rfc3339_parse("2021-01-01T00:00:00.Z", &t, &f) != 0); /* empty fraction */
}

static void test_seconds_and_ms(void) {
  CHECK(rfc3339_seconds("2021-01-01T00:00:00Z") == NEW_YEAR_2021);
  CHECK(rfc3339_seconds("nope") == -1);
  CHECK(rfc3339_seconds(NULL) == -1);
  CHECK(rfc3339_ms("2021-01-01T00:00:01.250Z") == (NEW_YEAR_2021 + 1) * 1000LL + 250);
  CHECK(rfc3339_ms("2021-01-01T00:00:01.123999Z") == (NEW_YEAR_2021 + 1) * 1000LL + 123);
  CHECK(rfc3339_ms("2021-01-01T00:00:01Z") == (NEW_YEAR_2021 + 1) * 1000LL);
  CHECK(rfc3339_ms("x") == -1);
}

static void test_format_and_clocks(void) {
  char b[32];
  rfc3339_format(NEW_YEAR_2021 + 61, b, sizeof b);
  CHECK_STR(b, "2021-01-01T00:01:01Z");
  rfc3339_now(b, sizeof b);
  CHECK(rfc3339_seconds(b) >= NEW_YEAR_2021);
  CHECK(wall_ms() / 1000 >= NEW_YEAR_2021);
  long long a = mono_ms(), z = mono_ms();
  CHECK(z >= a);
  long long ua = mono_us(), uz = mono_us();
  CHECK(uz >= ua && ua / 1000 >= a && ua / 1000 <= mono_ms());
  char m[32];
  rfc3339_now_micro(m, sizeof m);
  CHECK(strlen(m) == 27 && m[19] == '.' && m[26] == 'Z');
  long long t = rfc3339_seconds(m);
  CHECK(t >= NEW_YEAR_2021 && t <= wall_ms() / 1000);
}

/* Deadlines land ms ahead with tv_nsec kept in [0, 1e9), carries included. */
static void test_deadline(void) {
  static const long long ms[] = {0, 1, 999, 1000, 1500, 86400001, -1, -999, -1500};
  for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) {
    long long before = mono_us();
    struct timespec d = deadline_in_ms(CLOCK_MONOTONIC, ms[i]);
    long long after = mono_us(), at = (long long)d.tv_sec * 1000000 + d.tv_nsec / 1000;
    CHECK(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    CHECK(at >= before + ms[i] * 1000 && at <= after + ms[i] * 1000);
  }
  struct timespec w = deadline_in_ms(CLOCK_REALTIME, 2000);
  CHECK(w.tv_sec >= NEW_YEAR_2021 && w.tv_sec - wall_ms() / 1000 >= 1);
}

TEST_MAIN(TEST(test_parse), TEST(test_seconds_and_ms), TEST(test_format_and_clocks), TEST(test_deadline))
