/* runtime_termination.c - see runtime_termination.h. The log is read line
 * by line into a ring of the last RT_LOG_TAIL_LINES texts (the time, stream
 * and tag words dropped), then joined keeping only the newest
 * RT_LOG_TAIL_BYTES, as kubelet's circular buffer does. */
#include "runtime_termination.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_termination_message(const char *msg_file, const char *log_file, int exit_code, int fallback, char *out,
                            size_t len) {
  FILE *f = fopen(msg_file, "r");
  size_t n = f ? fread(out, 1, len - 1, f) : 0;
  out[n] = 0;
  if (f) fclose(f);
  if (n || !exit_code || !fallback) return;
  f = fopen(log_file, "r");
  char *lines[RT_LOG_TAIL_LINES] = {0}, line[16384 + 128];
  int count = 0;
  while (f && fgets(line, sizeof line, f)) { /* "<time> <stream> <tag> <text>" */
    char *text = line;
    for (int k = 0; k < 3 && text; k++) text = strchr(text, ' ') ? strchr(text, ' ') + 1 : NULL;
    if (!text) continue;
    if (text - line >= 2 && text[-2] == 'P') text[strcspn(text, "\n")] = 0; /* a partial record: no newline */
    free(lines[count % RT_LOG_TAIL_LINES]);
    lines[count++ % RT_LOG_TAIL_LINES] = strdup(text);
  }
  if (f) fclose(f);
  char tail[RT_LOG_TAIL_BYTES + 1]; /* the newest bytes only */
  size_t used = 0;
  for (int k = count > RT_LOG_TAIL_LINES ? count - RT_LOG_TAIL_LINES : 0; k < count; k++) {
    const char *t = lines[k % RT_LOG_TAIL_LINES];
    size_t l = strlen(t);
    if (l >= sizeof tail) t += l - (sizeof tail - 1), l = sizeof tail - 1; /* one huge line: its end */
    if (used + l >= sizeof tail) { /* keep the newest bytes: drop the oldest first */
      size_t drop = used + l - (sizeof tail - 1);
      memmove(tail, tail + drop, used - drop);
      used -= drop;
    }
    memcpy(tail + used, t, l);
    used += l;
  }
  tail[used] = 0;
  for (int k = 0; k < RT_LOG_TAIL_LINES; k++) free(lines[k]);
  snprintf(out, len, "%s", tail);
}
