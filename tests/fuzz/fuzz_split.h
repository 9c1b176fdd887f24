/* fuzz_split.h - shared by the patch fuzz targets: splits the fuzzer's
 * input at the first newline into a document and a patch, each parsed as
 * JSON (either may fail to parse; targets then return early). */
#ifndef CKUBE_FUZZ_SPLIT_H
#define CKUBE_FUZZ_SPLIT_H
#include <stdint.h>
#include <string.h>
#include <jansson.h>

static int fuzz_split(const uint8_t *data, size_t size, json_t **doc, json_t **patch)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t n1 = nl ? (size_t)(nl - data) : size;
    *doc = json_loadb((const char *)data, n1, JSON_DECODE_ANY, NULL);
    *patch = nl ? json_loadb((const char *)nl + 1, size - n1 - 1, JSON_DECODE_ANY, NULL) : NULL;
    if (!*doc || !*patch) {
        json_decref(*doc);
        json_decref(*patch);
        return -1;
    }
    return 0;
}

#endif
