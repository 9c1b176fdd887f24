/* test_workqueue.c - the controllers' work queue: keys are deduplicated
 * while waiting, a key being processed is not handed out twice, re-adds
 * during processing come back after done, delayed adds wait. */
#include "test.h"
#include "workqueue.h"
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void test_dedup_and_processing(void) {
  workqueue *q = workqueue_new();
  workqueue_add(q, "a");
  workqueue_add(q, "b");
  workqueue_add(q, "a");
  char *k1 = workqueue_get(q);
  CHECK_STR(k1, "a");
  workqueue_add(q, "a"); /* while processing: must wait for done */
  char *k2 = workqueue_get(q);
  CHECK_STR(k2, "b");
  workqueue_done(q, k2);
  free(k2);
  workqueue_done(q, k1);
  free(k1);
  char *k3 = workqueue_get(q);
  CHECK_STR(k3, "a");
  workqueue_done(q, k3);
  free(k3);
  workqueue_shutdown(q);
  CHECK(workqueue_get(q) == NULL);
  workqueue_free(q);
}

static void test_delayed(void) {
  workqueue *q = workqueue_new();
  double t0 = now_ms();
  workqueue_add_after(q, "late", 150);
  workqueue_add_after(q, "early", 20);
  char *k = workqueue_get(q);
  CHECK_STR(k, "early");
  CHECK(now_ms() - t0 >= 15);
  workqueue_done(q, k);
  free(k);
  k = workqueue_get(q);
  CHECK_STR(k, "late");
  CHECK(now_ms() - t0 >= 140);
  workqueue_done(q, k);
  free(k);
  workqueue_shutdown(q);
  workqueue_free(q);
}

/* The scheduler's activeQ: higher priority first, then arrival order. */
static void test_priority_order(void) {
  workqueue *q = workqueue_new();
  workqueue_add(q, "zero-1");
  workqueue_add_priority(q, "high", 1000);
  workqueue_add_priority(q, "negative", -5);
  workqueue_add(q, "zero-2");
  workqueue_add_priority(q, "mid", 10);
  workqueue_add_priority(q, "high", 1); /* already waiting: keeps its place */
  const char *want[] = {"high", "mid", "zero-1", "zero-2", "negative"};
  for (int i = 0; i < 5; i++) {
    char *k = workqueue_get(q);
    CHECK_STR(k, want[i]);
    if (i == 0) workqueue_add_priority(q, k, 1000); /* re-added while processing: after done, first again */
    workqueue_done(q, k);
    if (i == 0) {
      char *again = workqueue_get(q);
      CHECK_STR(again, "high");
      workqueue_done(q, again);
      free(again);
    }
    free(k);
  }
  CHECK(workqueue_len(q) == 0);
  workqueue_shutdown(q);
  workqueue_free(q);
}

TEST_MAIN(TEST(test_priority_order), TEST(test_dedup_and_processing), TEST(test_delayed))
