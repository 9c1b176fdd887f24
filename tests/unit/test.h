/* test.h - the unit tests' tiny harness: CHECK records a failure and goes on,
 * TEST_MAIN runs the listed test functions and prints ctest-friendly totals
 * ("N passed, N failed"); the process exits non-zero on any failure. */
#ifndef CKUBE_TEST_H
#define CKUBE_TEST_H
#include <stdio.h>
#include <string.h>

static int test_failures, test_checks;

#define CHECK(cond)                                                          \
  do {                                                                       \
    test_checks++;                                                           \
    if (!(cond)) {                                                           \
      test_failures++;                                                       \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

#define CHECK_STR(got, want)                                                 \
  do {                                                                       \
    const char *g_ = (got), *w_ = (want);                                    \
    test_checks++;                                                           \
    if (!g_ || !w_ || strcmp(g_, w_) != 0) {                                 \
      test_failures++;                                                       \
      fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                       \
    }                                                                        \
  } while (0)

typedef void (*test_fn)(void);
struct test_case { const char *name; test_fn fn; };
#define TEST(fn) { #fn, fn }

#define TEST_MAIN(...)                                                       \
  int main(void) {                                                           \
    struct test_case cases[] = {__VA_ARGS__};                                \
    int passed = 0, failed = 0;                                              \
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {            \
      int before = test_failures;                                            \
      cases[i].fn();                                                         \
      if (test_failures == before) passed++;                                 \
      else { failed++; fprintf(stderr, "FAIL %s\n", cases[i].name); }       \
    }                                                                        \
    printf("%d passed, %d failed\n", passed, failed);                        \
    return failed ? 1 : 0;                                                   \
  }

#endif
