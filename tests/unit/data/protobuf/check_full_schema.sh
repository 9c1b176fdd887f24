#!/bin/sh
# check_full_schema.sh [TEST_BINARY] - regenerates the full protobuf schema
# with api-spec/gen_protobuf_schema.py and runs the protobuf unit test against
# it (instead of the committed schema-min.json), proving the schema the
# server embeds decodes every fixture. Without TEST_BINARY the test is built
# with gcc under /tmp/protobuf-check.
set -eu
root=$(cd "$(dirname "$0")/../../../.." && pwd)
out=/tmp/protobuf-check
mkdir -p "$out"
python3 "$root/api-spec/gen_protobuf_schema.py" "$out/protobuf-schema.json"
bin=${1:-}
if [ -z "$bin" ]; then
  bin=$out/test_k8s_protobuf
  gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -g -fsanitize=address,undefined \
    -I"$root/lib" -I"$root/tests/unit" "$root/tests/unit/test_k8s_protobuf.c" \
    "$root/lib/k8s_protobuf.c" "$root/lib/k8s_protobuf_text.c" "$root/lib/quantity.c" \
    $(pkg-config --cflags --libs jansson) -lm -o "$bin"
fi
CKUBE_PROTOBUF_SCHEMA=$out/protobuf-schema.json \
  CKUBE_PROTOBUF_DATA=$root/tests/unit/data/protobuf "$bin"
