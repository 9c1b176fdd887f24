/* test_strutil.c - lib/strutil.c: strp_cmp sorts C strings bytewise, as
 * Go's sort.Strings does (upper case before lower, a prefix first). */
#include "test.h"
#include "strutil.h"
#include <stdlib.h>

static void test_strp_cmp(void) {
  const char *v[] = {"pods", "Pods", "pod", "", "configmaps", "\xc3\xa9t\xc3\xa9"};
  qsort(v, sizeof v / sizeof *v, sizeof *v, strp_cmp);
  static const char *const want[] = {"", "Pods", "configmaps", "pod", "pods", "\xc3\xa9t\xc3\xa9"};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) CHECK_STR(v[i], want[i]);
  const char *a = "x", *b = "x";
  CHECK(strp_cmp(&a, &b) == 0);
}

TEST_MAIN(TEST(test_strp_cmp))
