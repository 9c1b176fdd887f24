/* fuzz_json_patch.c - libFuzzer target for lib/json_patch.c's RFC 6902
 * JSON patch. Input: "<document>\n<operations>". Failures must report a
 * message and leave the document untouched. */
#include <assert.h>

#include "fuzz_split.h"
#include "json_patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc, *ops;
    if (fuzz_split(data, size, &doc, &ops) != 0)
        return 0;
    json_t *before = json_deep_copy(doc);
    char err[256] = "";
    json_t *r = json_patch_apply(doc, ops, err, sizeof err);
    assert(r || err[0]);
    assert(json_equal(before, doc));
    json_decref(r);
    json_decref(before);
    json_decref(doc);
    json_decref(ops);
    return 0;
}
