/* test_strmap.c - the string hash map: put/get/replace/remove across
 * growth, and iteration visiting every entry once. */
#include "test.h"
#include "strmap.h"
#include <stdint.h>
#include <stdio.h>

static void test_put_get_remove(void) {
  strmap *m = strmap_new();
  char key[32];
  for (intptr_t i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "ns/pod-%ld", (long)i);
    CHECK(strmap_put(m, key, (void *)(i + 1)) == NULL);
  }
  CHECK(strmap_count(m) == 5000);
  CHECK(strmap_get(m, "ns/pod-4321") == (void *)4322);
  CHECK(strmap_put(m, "ns/pod-7", (void *)99) == (void *)8);
  CHECK(strmap_get(m, "ns/pod-7") == (void *)99);
  CHECK(strmap_remove(m, "ns/pod-7") == (void *)99);
  CHECK(strmap_get(m, "ns/pod-7") == NULL);
  CHECK(strmap_remove(m, "absent") == NULL);
  CHECK(strmap_count(m) == 4999);
  strmap_iter it = {0};
  long seen = 0, sum = 0;
  while (strmap_next(m, &it)) seen++, sum += (long)(intptr_t)it.value;
  CHECK(seen == 4999);
  CHECK(sum == 5000L * 5001 / 2 - 8);
  strmap_free(m, NULL);
}

TEST_MAIN(TEST(test_put_get_remove))
