/* request_opts.h - the options of one API write as the core and admission
 * both see them: dry run, field validation, the field manager, the
 * requester (for admission webhooks and RBAC checks) and where warnings go. */
#ifndef CKUBE_REQUEST_OPTS_H
#define CKUBE_REQUEST_OPTS_H
#include <stdbool.h>
#include <jansson.h>

typedef enum { FV_IGNORE, FV_WARN, FV_STRICT } field_validation;

typedef struct {
  bool dry_run;
  field_validation validation;
  const char *field_manager;
  bool force;
  json_t *warnings; /* optional array (borrowed): warning texts are appended */
  const json_t *user; /* the requester's authentication/v1 UserInfo (borrowed) for admission webhooks;
                         NULL: the server itself */
  bool patch;         /* set by api_patch: the update is a PATCH (webhooks see PatchOptions) */
} api_opts;

#endif
