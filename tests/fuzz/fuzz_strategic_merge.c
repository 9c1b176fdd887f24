/* fuzz_strategic_merge.c - libFuzzer target for the strategic merge patch,
 * its two-way diff and the three-way patch, against a small built-in schema
 * (a pod-like type with merging lists of maps and of primitives, a
 * retainKeys list and an atomic list) so no swagger file is needed.
 * Input: "<document>\n<patch>". */
#include <assert.h>
#include <stdlib.h>

#include "fuzz_split.h"
#include "strategic_merge.h"

static const char schema_text[] =
    "{\"T\":{\"properties\":{"
    "\"spec\":{\"$ref\":\"#/definitions/S\"},"
    "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
    "\"fin\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"x-kubernetes-patch-strategy\":\"merge\"},"
    "\"strategy\":{\"$ref\":\"#/definitions/C\",\"x-kubernetes-patch-strategy\":\"retainKeys\"}}},"
    "\"S\":{\"properties\":{"
    "\"c\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/C\"},"
    "\"x-kubernetes-patch-merge-key\":\"name\",\"x-kubernetes-patch-strategy\":\"merge\"},"
    "\"v\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/C\"},"
    "\"x-kubernetes-patch-merge-key\":\"name\",\"x-kubernetes-patch-strategy\":\"merge,retainKeys\"},"
    "\"t\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/C\"}},"
    "\"r\":{\"$ref\":\"#/definitions/C\",\"x-kubernetes-patch-strategy\":\"replace\"}}},"
    "\"C\":{\"properties\":{"
    "\"p\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/C\"},"
    "\"x-kubernetes-patch-merge-key\":\"n\",\"x-kubernetes-patch-strategy\":\"merge\"},"
    "\"s\":{\"$ref\":\"#/definitions/S\"},"
    "\"loop\":{\"$ref\":\"#/definitions/L\"}}},"
    "\"L\":{\"$ref\":\"#/definitions/L\"}}";

static json_t *defs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!defs)
        defs = json_loads(schema_text, 0, NULL);
    json_t *doc, *patch;
    if (fuzz_split(data, size, &doc, &patch) != 0)
        return 0;
    char err[512] = "";
    json_t *r = strategic_merge_patch(doc, patch, defs, "T", err, sizeof err);
    assert(r || err[0]);
    json_t *d = NULL;
    if (r) {
        /* the diff of the result must apply cleanly */
        d = strategic_merge_diff(json_is_object(doc) ? doc : NULL, r, defs, "T");
        if (d) {
            json_t *again = strategic_merge_patch(json_is_object(doc) ? doc : NULL, d, defs, "T",
                                                  err, sizeof err);
            json_decref(again);
        }
        json_t *p3 = three_way_merge_patch(json_is_object(patch) ? patch : NULL, r,
                                           json_is_object(doc) ? doc : NULL, defs, "T", err, sizeof err);
        if (p3) {
            json_t *applied = strategic_merge_patch(doc, p3, defs, "T", err, sizeof err);
            json_decref(applied);
        }
        json_decref(p3);
    }
    json_t *untyped = strategic_merge_patch(doc, patch, defs, NULL, err, sizeof err);
    json_decref(untyped);
    json_decref(d);
    json_decref(r);
    json_decref(doc);
    json_decref(patch);
    return 0;
}
