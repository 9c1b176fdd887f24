/* test_cron.c - CronJob schedule parsing (robfig/cron v1.1.0's standard
 * parser, with its error texts) and next activation times (SpecSchedule.Next),
 * computed in UTC (TZ is set to UTC for the test). Expected times worked out
 * by hand. */
#include "cron.h"
#include "test.h"
#include <stdlib.h>
#include <time.h>

__attribute__((constructor)) static void use_utc(void) {
  setenv("TZ", "UTC", 1);
  tzset();
}

static long long at(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
  return (long long)timegm(&tm);
}

static const char *fmt(long long t) {
  static char buf[40];
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a", &tm);
  return buf;
}

static const char *next_of(const char *spec, long long from) {
  cron_schedule s;
  static char err[256];
  if (cron_parse(spec, &s, err, sizeof err)) return err;
  return fmt(cron_next(&s, from));
}

static const char *error_of(const char *spec) {
  static char err[256];
  if (!cron_parse(spec, NULL, err, sizeof err)) return "(ok)";
  return err;
}

static void test_next(void) {
  long long t = at(2021, 1, 15, 10, 30, 20); /* a Friday */
  CHECK_STR(next_of("*/5 * * * *", t), "2021-01-15 10:35:00 Fri");
  CHECK_STR(next_of("* * * * *", t), "2021-01-15 10:31:00 Fri");
  CHECK_STR(next_of("* * * * *", at(2021, 1, 15, 10, 31, 0)), "2021-01-15 10:32:00 Fri");
  CHECK_STR(next_of("0 * * * *", t), "2021-01-15 11:00:00 Fri");
  CHECK_STR(next_of("@hourly", t), "2021-01-15 11:00:00 Fri");
  CHECK_STR(next_of("@daily", t), "2021-01-16 00:00:00 Sat");
  CHECK_STR(next_of("@weekly", t), "2021-01-17 00:00:00 Sun");
  CHECK_STR(next_of("@monthly", t), "2021-02-01 00:00:00 Mon");
  CHECK_STR(next_of("@yearly", t), "2022-01-01 00:00:00 Sat");
  CHECK_STR(next_of("30 8 * * mon-fri", t), "2021-01-18 08:30:00 Mon");
  CHECK_STR(next_of("0 0 29 feb *", t), "2024-02-29 00:00:00 Thu");
  CHECK_STR(next_of("15,45 9-17/4 * * *", t), "2021-01-15 13:15:00 Fri");
  CHECK_STR(next_of("0 12 1 JAN,Jul ?", t), "2021-07-01 12:00:00 Thu");
  /* day of month and day of week both restricted: either matches */
  CHECK_STR(next_of("0 0 20 * sun", t), "2021-01-17 00:00:00 Sun");
  /* 31st only in months that have one */
  CHECK_STR(next_of("0 0 31 * *", at(2021, 4, 1, 0, 0, 0)), "2021-05-31 00:00:00 Mon");
  CHECK_STR(next_of("59 23 31 12 *", t), "2021-12-31 23:59:00 Fri");
  CHECK(cron_next(&(cron_schedule){0}, t) == 0); /* nothing ever matches */
  CHECK_STR(next_of("@every 90s", t), "2021-01-15 10:31:50 Fri");
  CHECK_STR(next_of("@every 1h30m", t), "2021-01-15 12:00:20 Fri");
}

static void test_errors(void) {
  CHECK_STR(error_of("*/5 * * * *"), "(ok)");
  CHECK_STR(error_of("@every 10m"), "(ok)");
  CHECK_STR(error_of(""), "Empty spec string");
  CHECK_STR(error_of("* * * *"), "Expected exactly 5 fields, found 4: * * * *");
  CHECK_STR(error_of("60 * * * *"), "End of range (60) above maximum (59): 60");
  CHECK_STR(error_of("* * 0 * *"), "Beginning of range (0) below minimum (1): 0");
  CHECK_STR(error_of("5-2 * * * *"), "Beginning of range (5) beyond end of range (2): 5-2");
  CHECK_STR(error_of("*/0 * * * *"), "Step of range should be a positive number: */0");
  CHECK_STR(error_of("a * * * *"), "Failed to parse int from a: strconv.Atoi: parsing \"a\": invalid syntax");
  CHECK_STR(error_of("@fortnightly"), "Unrecognized descriptor: @fortnightly");
  CHECK_STR(error_of("@every x"), "Failed to parse duration @every x: time: invalid duration x");
}

TEST_MAIN(TEST(test_next), TEST(test_errors))
