/* fuzz_merge_patch.c - libFuzzer target for lib/json_patch.c's RFC 7386
 * merge patch and merge diff. Input: "<document>\n<patch>". Checks the
 * diff round trip (merge_patch(a, merge_diff(a, b)) == b for objects). */
#include <assert.h>

#include "fuzz_split.h"
#include "json_patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc, *patch;
    if (fuzz_split(data, size, &doc, &patch) != 0)
        return 0;
    json_t *merged = json_merge_patch(doc, patch);
    if (merged && json_is_object(doc) && json_is_object(merged)) {
        json_t *d = json_merge_diff(doc, merged);
        json_t *again = json_merge_patch(doc, d);
        assert(again && json_equal(again, merged));
        json_decref(again);
        json_decref(d);
    }
    json_decref(merged);
    json_decref(doc);
    json_decref(patch);
    return 0;
}
