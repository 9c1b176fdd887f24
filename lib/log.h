/* log.h - the one way ckube logs: one line per message on stderr,
 * "I1123 07:35:00.123456 server.c:42] message" like klog, so operators used to
 * Kubernetes components read it the same way. Thread-safe. */
#ifndef CKUBE_LOG_H
#define CKUBE_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Messages below this level are dropped (default LOG_INFO; CKUBE_LOG=debug). */
void log_set_level(log_level l);

void log_msg(log_level l, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define LOGD(...) log_msg(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define LOGI(...) log_msg(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define LOGW(...) log_msg(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define LOGE(...) log_msg(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
