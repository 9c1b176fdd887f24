/* runtime_termination.h - a finished container's termination message as
 * kubelet 1.20 reports it (kuberuntime getTerminationMessage and
 * readLastStringFromContainerLogs): the file at terminationMessagePath,
 * else, under terminationMessagePolicy FallbackToLogsOnError and a non-zero
 * exit, the tail of its CRI log (the last 80 lines, of those the last 2048
 * bytes; a partial record adds no newline). */
#ifndef CKUBE_RUNTIME_TERMINATION_H
#define CKUBE_RUNTIME_TERMINATION_H
#include <stddef.h>

/* The message of the run whose message file is msg_file and CRI log log_file (either may be missing), into out
 * (NUL-terminated, at most len - 1 bytes). fallback: the policy is FallbackToLogsOnError. */
void rt_termination_message(const char *msg_file, const char *log_file, int exit_code, int fallback, char *out,
                            size_t len);

#define RT_LOG_TAIL_LINES 80   /* kubelet's MaxContainerTerminationMessageLogLines */
#define RT_LOG_TAIL_BYTES 2048 /* kubelet's MaxContainerTerminationMessageLogLength */

#endif
