/* token_identity.h - what a bearer-token authenticator says about a token:
 * the user (name, uid, groups, extras), the audiences it is good for, or
 * why it was refused (the text TokenReview shows). */
#ifndef CKUBE_TOKEN_IDENTITY_H
#define CKUBE_TOKEN_IDENTITY_H
#include <jansson.h>

typedef struct {
  char user[600], uid[128];
  json_t *groups;    /* array of strings (owned) */
  json_t *extra;     /* object of string arrays (owned) */
  json_t *audiences; /* the audiences asked for that the token is good for (owned) */
  char why[512];     /* the authenticator's error when refused */
} token_identity;

#endif
