#!/bin/sh
# promtool check metrics (Prometheus' own parser and linter: names, HELP, TYPE, escaping) on
# the metrics of every STATS sample in DATA_DIR and its edge cases (edge/).
#   test_promtool.sh CONVERTER DATA_DIR
# Exit 77 (CTest: SKIPPED) without promtool, so a machine without it never reports a pass.
converter=$1
data=$2
if ! command -v promtool >/dev/null 2>&1; then
    echo "SKIPPED: promtool not found (Debian package prometheus; scripts/setup.sh installs it)"
    exit 77
fi
checked=0
for sample in "$data"/*.json "$data"/edge/*.json; do
    [ -e "$sample" ] || continue
    metrics=$("$converter" <"$sample") || { echo "FAIL: cannot convert $sample"; exit 1; }
    if ! printf '%s\n' "$metrics" | promtool check metrics; then
        echo "FAIL: promtool check metrics refused the metrics of $sample:"
        printf '%s\n' "$metrics"
        exit 1
    fi
    checked=$((checked + 1))
done
if [ "$checked" -lt 9 ]; then
    echo "FAIL: only $checked samples in $data (expected the 9 captured ones and edge/)"
    exit 1
fi
echo "PASS: promtool accepts the metrics of $checked samples"
