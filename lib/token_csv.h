/* token_csv.h - kube-apiserver's static token file (--token-auth-file):
 * CSV records token,user,uid[,"group1,group2"] read as Go's encoding/csv
 * reads them (quoted fields with "" escapes, blank lines skipped, any
 * number of fields per record), with kube-apiserver's rules: fewer than 3
 * columns is an error, an empty token is skipped, a later duplicate wins. */
#ifndef CKUBE_TOKEN_CSV_H
#define CKUBE_TOKEN_CSV_H
#include <jansson.h>
#include <stddef.h>

/* Parses text (len bytes) read from path (for messages): an object token ->
 * {"user","uid","groups":[...]} (new reference), or NULL with err. */
json_t *token_csv_parse(const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
