/* test_quantity.c - resource.Quantity parsing, canonical strings, comparison,
 * arithmetic and Value/MilliValue rounding. Expected values follow the cases
 * in apimachinery 1.20's quantity_test.go (TestQuantityParse, ...String,
 * ...ParseEmit, TestAdd/TestSub, TestQuantityCmp), worked out by hand from
 * the upstream parse/format rules, including its input-echo quirk. */
#include "quantity.h"
#include "test.h"

#include <stdint.h>

static const char *canon(const char *s) {
  static char buf[128];
  if (quantity_canonicalize(s, buf, sizeof buf)) return "(error)";
  return buf;
}

static const char *fmtq(__int128 m, int32_t e, quantity_format f) {
  static char buf[128];
  quantity q = {m, e, f};
  return quantity_format_str(&q, buf, sizeof buf);
}

static void test_parse_emit(void) {
  static const char *const cases[][2] = {
      /* zeros */
      {"0", "0"}, {"0n", "0"}, {"0u", "0"}, {"0m", "0"}, {"0Ki", "0"}, {"0k", "0"}, {"0Mi", "0"}, {"0M", "0"},
      {"0Gi", "0"}, {"0G", "0"}, {"0Ti", "0"}, {"0T", "0"}, {"-0", "0"}, {"+0", "0"}, {"0.0", "0"}, {".", "0"},
      {"-.", "0"}, {"0e5", "0"},
      /* plain and suffixed values already canonical (echoed) */
      {"1", "1"}, {"1Ki", "1Ki"}, {"8Ki", "8Ki"}, {"7Mi", "7Mi"}, {"6Gi", "6Gi"}, {"5Ti", "5Ti"}, {"4Pi", "4Pi"},
      {"3Ei", "3Ei"}, {"10Ti", "10Ti"}, {"100Ti", "100Ti"}, {"5n", "5n"}, {"4u", "4u"}, {"3m", "3m"}, {"9", "9"},
      {"8k", "8k"}, {"50k", "50k"}, {"7M", "7M"}, {"6G", "6G"}, {"5T", "5T"}, {"40T", "40T"}, {"300T", "300T"},
      {"2P", "2P"}, {"1E", "1E"}, {"12E", "12E"}, {"100Mi", "100Mi"}, {"250m", "250m"}, {"1500m", "1500m"},
      /* exponents */
      {"1E-3", "1E-3"}, {"1e3", "1e3"}, {"1E6", "1E6"}, {"1e9", "1e9"}, {"1E12", "1E12"}, {"1e15", "1e15"},
      {"1E18", "1E18"}, {"1e14", "100e12"}, {"1e13", "10e12"}, {"1.2e3", "1200"}, {"1.3E+6", "1300e3"},
      {"1.40e9", "1400e6"}, {"1.53E12", "1530e9"}, {"1.6e15", "1600e12"}, {"1.7E18", "1700e15"},
      {"0.5e0", "500e-3"}, {"0.5e-1", "50e-3"}, {"0.5e-2", "5e-3"}, {"1e0", "1e0"}, {"15e2", "1500"},
      /* normalization */
      {"1000m", "1"}, {"0.5", "500m"}, {"1.5", "1500m"}, {"1.5Gi", "1536Mi"}, {"1024Mi", "1Gi"}, {"1000M", "1G"},
      {"1000k", "1M"}, {"1024Ki", "1Mi"}, {"2048Ki", "2Mi"}, {"1536Ki", "1536Ki"}, {"0.5Mi", "512Ki"},
      {"0.5Ki", "512"}, {".001Ki", "1024m"}, {".000001Ki", "1024u"}, {".000000001Ki", "1024n"},
      {".000000000001Ki", "2n"}, {"0.001", "1m"}, {"0.0005k", "500m"}, {"0.005", "5m"}, {"0.05", "50m"},
      {"0.00050k", "500m"}, {"0.00500", "5m"}, {"0.05000", "50m"}, {"0.50000", "500m"}, {"9.01", "9010m"},
      {"8.1k", "8100"}, {"7.123456M", "7.123456M"}, {"6.987654321G", "6.987654321G"}, {"5.444T", "5.444T"},
      {"40.1T", "40100G"}, {"300.2T", "300200G"}, {"2.5P", "2500T"}, {"1.01E", "1010P"}, {"10.035M", "10.035M"}, {"10.0355M", "10035500"},
      {".001", "1m"}, {".0001k", "100m"}, {"1000000000n", "1"}, {"1000Ki", "1000Ki"},
      /* rounding up to nano and capping binary values */
      {"3.001n", "4n"}, {"1.1E-9", "2e-9"}, {"0.0000000001", "1n"}, {"0.0000000005", "1n"},
      {"0.00000000050", "1n"}, {"0.5e-9", "1e-9"}, {"0.9n", "1n"}, {"0.00000012345", "124n"},
      {"0.00000012354", "124n"}, {"1e-100", "1e-9"}, {"9Ei", "9223372036854775807"},
      {"9223372036854775807Ki", "9223372036854775807"}, {"100.035Ki", "102435840m"}, {"0.05Gi", "53687091200m"},
      {"0.025Ti", "27487790694400m"}, {"0.000000000001Ki", "2n"},
      /* upstream echoes short inputs whose scale is a multiple of 3 */
      {"+1", "+1"}, {"007", "007"}, {"100.035k", "100.035k"}, {"1.", "1."}, {"1.G", "1.G"}, {"+1Ki", "+1Ki"},
      /* negatives */
      {"-1", "-1"}, {"-1.5", "-1500m"}, {"-1024Mi", "-1Gi"}, {"-.001Ki", "-1024m"}, {"-1.5Gi", "-1536Mi"},
      {"-3.001n", "-4n"}, {"-9Ei", "-9223372036854775807"}, {"-0.5", "-500m"}, {"-1000m", "-1"},
      /* upstream has no suffix name beyond E and prints the bare number */
      {"1000E", "1"}, {"1e21", "1e21"}, {"1000e18", "1e21"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *got = canon(cases[i][0]);
    if (strcmp(got, cases[i][1])) fprintf(stderr, "  input %s\n", cases[i][0]);
    CHECK_STR(got, cases[i][1]);
  }
}

static void test_invalid(void) {
  const char *bad[] = {"", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-",
                       " 1", "1 ", "1e", "1Ki1", "1kb", "--1", "1e1.5", "1ee3", "1e99999999999999999999", "1K"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    quantity q;
    int rc = quantity_parse(bad[i], &q);
    if (rc == 0) fprintf(stderr, "  parsed unexpectedly: '%s'\n", bad[i]);
    CHECK(rc == -1);
  }
  char buf[64];
  CHECK(quantity_canonicalize("x", buf, sizeof buf) == -1);
}

static void test_format(void) {
  CHECK_STR(fmtq(1024 * 1024 * 1024, 0, QTY_BINARY_SI), "1Gi");
  CHECK_STR(fmtq(300 * 1024 * 1024, 0, QTY_BINARY_SI), "300Mi");
  CHECK_STR(fmtq(6 * 1024, 0, QTY_BINARY_SI), "6Ki");
  CHECK_STR(fmtq((__int128)1001 * 1024 * 1024 * 1024, 0, QTY_BINARY_SI), "1001Gi");
  CHECK_STR(fmtq((__int128)1 << 40, 0, QTY_BINARY_SI), "1Ti");
  CHECK_STR(fmtq(5, 0, QTY_BINARY_SI), "5");
  CHECK_STR(fmtq(500, -3, QTY_BINARY_SI), "500m");
  CHECK_STR(fmtq(1, 9, QTY_DECIMAL_SI), "1G");
  CHECK_STR(fmtq(1000, 6, QTY_DECIMAL_SI), "1G");
  CHECK_STR(fmtq(1000000, 3, QTY_DECIMAL_SI), "1G");
  CHECK_STR(fmtq(1000000000, 0, QTY_DECIMAL_SI), "1G");
  CHECK_STR(fmtq(1, -3, QTY_DECIMAL_SI), "1m");
  CHECK_STR(fmtq(80, -3, QTY_DECIMAL_SI), "80m");
  CHECK_STR(fmtq(1080, -3, QTY_DECIMAL_SI), "1080m");
  CHECK_STR(fmtq(108, -2, QTY_DECIMAL_SI), "1080m");
  CHECK_STR(fmtq(10800, -4, QTY_DECIMAL_SI), "1080m");
  CHECK_STR(fmtq(300, 6, QTY_DECIMAL_SI), "300M");
  CHECK_STR(fmtq(1, 12, QTY_DECIMAL_SI), "1T");
  CHECK_STR(fmtq(1234567, 6, QTY_DECIMAL_SI), "1234567M");
  CHECK_STR(fmtq(1234567, -3, QTY_BINARY_SI), "1234567m");
  CHECK_STR(fmtq(3, 3, QTY_DECIMAL_SI), "3k");
  CHECK_STR(fmtq(1025, 0, QTY_BINARY_SI), "1025");
  CHECK_STR(fmtq(0, 0, QTY_DECIMAL_SI), "0");
  CHECK_STR(fmtq(0, 0, QTY_BINARY_SI), "0");
  CHECK_STR(fmtq(1, 9, QTY_DECIMAL_EXPONENT), "1e9");
  CHECK_STR(fmtq(1, -3, QTY_DECIMAL_EXPONENT), "1e-3");
  CHECK_STR(fmtq(1, -9, QTY_DECIMAL_EXPONENT), "1e-9");
  CHECK_STR(fmtq(80, -3, QTY_DECIMAL_EXPONENT), "80e-3");
  CHECK_STR(fmtq(300, 6, QTY_DECIMAL_EXPONENT), "300e6");
  CHECK_STR(fmtq(1, 12, QTY_DECIMAL_EXPONENT), "1e12");
  CHECK_STR(fmtq(1, 3, QTY_DECIMAL_EXPONENT), "1e3");
  CHECK_STR(fmtq(3, 3, QTY_DECIMAL_EXPONENT), "3e3");
  CHECK_STR(fmtq(0, 0, QTY_DECIMAL_EXPONENT), "0");
  CHECK_STR(fmtq(1, -9, QTY_DECIMAL_SI), "1n");
  CHECK_STR(fmtq(80, -9, QTY_DECIMAL_SI), "80n");
  CHECK_STR(fmtq(1080, -9, QTY_DECIMAL_SI), "1080n");
  CHECK_STR(fmtq(108, -8, QTY_DECIMAL_SI), "1080n");
  CHECK_STR(fmtq(1, -6, QTY_DECIMAL_SI), "1u");
  CHECK_STR(fmtq(1080, -6, QTY_DECIMAL_SI), "1080u");
  /* negation keeps the form (TestQuantityString's negative pass) */
  CHECK_STR(fmtq(-(1024 * 1024 * 1024), 0, QTY_BINARY_SI), "-1Gi");
  CHECK_STR(fmtq(-901, -2, QTY_DECIMAL_SI), "-9010m");
  CHECK_STR(fmtq(-80, -3, QTY_DECIMAL_EXPONENT), "-80e-3");
  CHECK_STR(fmtq(-5, 0, QTY_BINARY_SI), "-5");
  CHECK_STR(fmtq(-1025, 0, QTY_BINARY_SI), "-1025");
  /* parsed (not echoed) values print the same as the canonical text */
  quantity q;
  char buf[64];
  CHECK(quantity_parse("1.5Gi", &q) == 0);
  CHECK_STR(quantity_format_str(&q, buf, sizeof buf), "1536Mi");
  CHECK(quantity_parse("+1Ki", &q) == 0);
  CHECK_STR(quantity_format_str(&q, buf, sizeof buf), "1Ki");
}

static quantity P(const char *s) {
  quantity q = {0, 0, QTY_DECIMAL_SI};
  if (quantity_parse(s, &q)) fprintf(stderr, "cannot parse %s\n", s);
  return q;
}

static void test_cmp(void) {
  static const struct { const char *a, *b; int want; } cases[] = {
      {"0", "0", 0}, {"100m", "50m", 1}, {"50m", "100m", -1}, {"10000T", "100Gi", 1}, {"1", "1000m", 0},
      {"1Ki", "1024", 0}, {"1k", "1Ki", -1}, {"-1", "1", -1}, {"-2", "-1", -1}, {"1e3", "1k", 0},
      {"1n", "0", 1}, {"-1n", "0", -1}, {"1e30", "1e29", 1}, {"999999999999", "1T", -1}, {"1.5Gi", "1536Mi", 0},
      {"9Ei", "9223372036854775807", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    quantity a = P(cases[i].a), b = P(cases[i].b);
    int got = quantity_cmp(&a, &b);
    if (got != cases[i].want) fprintf(stderr, "  cmp %s %s = %d\n", cases[i].a, cases[i].b, got);
    CHECK(got == cases[i].want);
    CHECK(quantity_cmp(&b, &a) == -cases[i].want);
  }
}

static const char *fq(quantity q) {
  static char buf[64];
  return quantity_format_str(&q, buf, sizeof buf);
}

static void test_arith(void) {
  quantity a = {10, 0, QTY_DECIMAL_SI}, b = {1, 1, QTY_DECIMAL_SI};
  CHECK_STR(fq(quantity_add(&a, &b)), "20");
  CHECK_STR(fq(quantity_sub(&a, &b)), "0");
  quantity c = {1, 0, QTY_BINARY_SI};
  quantity r = quantity_add(&a, &c);
  CHECK_STR(fq(r), "11");
  CHECK(r.format == QTY_DECIMAL_SI);
  quantity d = {10, 0, QTY_BINARY_SI}, e = {1, 0, QTY_DECIMAL_SI};
  r = quantity_sub(&d, &e);
  CHECK(r.format == QTY_BINARY_SI);
  CHECK_STR(fq(r), "9");
  quantity zero = {0, 0, QTY_DECIMAL_SI};
  quantity m100 = P("100m"), g1 = P("1Gi");
  CHECK_STR(fq(quantity_add(&m100, &zero)), "100m");
  CHECK_STR(fq(quantity_add(&zero, &m100)), "100m");
  CHECK_STR(fq(quantity_add(&g1, &zero)), "1Gi");
  CHECK_STR(fq(quantity_add(&zero, &g1)), "1Gi");
  CHECK_STR(fq(quantity_sub(&zero, &g1)), "-1Gi");
  CHECK_STR(fq(quantity_sub(&zero, &m100)), "-100m");
  quantity x = P("1.5"), y = P("500m");
  CHECK_STR(fq(quantity_add(&x, &y)), "2");
  quantity mi = P("512Mi");
  r = quantity_add(&mi, &mi);
  CHECK_STR(fq(r), "1Gi");
  quantity big = P("1e30"), one = P("1");
  r = quantity_sub(&big, &one);
  CHECK(quantity_cmp(&r, &big) < 0);
  quantity huge = P("1e900000000");
  r = quantity_add(&huge, &one); /* far beyond precision: no crash, no hang */
  CHECK(quantity_cmp(&r, &huge) == 0);
  /* round trips across scales, like TestAddSubRoundTripAcrossScales */
  quantity acc = zero, n = P("3n"), k = P("7k");
  for (int i = 0; i < 100; i++) { acc = quantity_add(&acc, &n); acc = quantity_add(&acc, &k); }
  for (int i = 0; i < 100; i++) { acc = quantity_sub(&acc, &k); acc = quantity_sub(&acc, &n); }
  CHECK_STR(fq(acc), "0");
}

static void test_values(void) {
  quantity q = P("1");
  CHECK(quantity_milli(&q) == 1000 && quantity_value(&q) == 1);
  q = P("1.5");
  CHECK(quantity_value(&q) == 2 && quantity_milli(&q) == 1500);
  q = P("-1.5");
  CHECK(quantity_value(&q) == -2 && quantity_milli(&q) == -1500);
  q = P("1m");
  CHECK(quantity_value(&q) == 1 && quantity_milli(&q) == 1);
  q = P("1n");
  CHECK(quantity_value(&q) == 1 && quantity_milli(&q) == 1);
  q = P("1001n");
  CHECK(quantity_milli(&q) == 1);
  q = P("1000001n");
  CHECK(quantity_milli(&q) == 2);
  q = P("1Ki");
  CHECK(quantity_value(&q) == 1024 && quantity_milli(&q) == 1024000);
  q = P("100Mi");
  CHECK(quantity_value(&q) == 104857600);
  q = P("250m");
  CHECK(quantity_milli(&q) == 250 && quantity_value(&q) == 1);
  q = P("10E");
  CHECK(quantity_value(&q) == INT64_MAX);
  q = P("-10E");
  CHECK(quantity_value(&q) == INT64_MIN);
  q = P("9223372036854775807");
  CHECK(quantity_value(&q) == INT64_MAX && quantity_milli(&q) == INT64_MAX);
  q = P("1e100");
  CHECK(quantity_value(&q) == INT64_MAX);
  q = P("0");
  CHECK(quantity_value(&q) == 0 && quantity_milli(&q) == 0);
  /* TestScaledValue with NewScaledQuantity(1, s) */
  quantity s = {1, -9, QTY_DECIMAL_SI};
  CHECK(quantity_value(&s) == 1 && quantity_milli(&s) == 1);
  s = (quantity){1, -6, QTY_DECIMAL_SI};
  CHECK(quantity_value(&s) == 1 && quantity_milli(&s) == 1);
  s = (quantity){1, 2, QTY_DECIMAL_SI};
  CHECK(quantity_milli(&s) == 100000);
}

TEST_MAIN(TEST(test_parse_emit), TEST(test_invalid), TEST(test_format), TEST(test_cmp), TEST(test_arith),
          TEST(test_values))
