#!/usr/bin/env bash
# The built-in scorer against itself before a change, in one process (BeforeAfter.swift): the ResumeModel
# sources at BEFORE (default 1950584, the commit before the word index) and at AFTER (default: the working
# tree) are compiled as two modules and score the same parsed candidates for the same jobs, alternating.
#
# Usage: Benchmarks/scoring/before-after.sh DUMP_FOLDER [REPEAT...]
#   DUMP_FOLDER: `resume-ingest score-rules MANIFEST --dump DUMP_FOLDER` output (text + parsed resume per file);
#   REPEAT: also score each text repeated that many times (default: 1 2 4).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH
DUMP=${1:?usage: before-after.sh DUMP_FOLDER [REPEAT...]}
shift
REPEATS=("${@:-1 2 4}")
BEFORE=${BEFORE:-1950584}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/before" "$WORK/after"
git -C "$REPO" archive "$BEFORE" Sources/ResumeModel | tar -x -C "$WORK/before"
if [[ -n "${AFTER:-}" ]]; then
    git -C "$REPO" archive "$AFTER" Sources/ResumeModel | tar -x -C "$WORK/after"
else
    mkdir -p "$WORK/after/Sources" && cp -r "$REPO/Sources/ResumeModel" "$WORK/after/Sources/"
fi
for side in before after; do
    module=$([[ $side == before ]] && echo Before || echo After)
    (cd "$WORK" && swiftc -O -wmo -parse-as-library -module-name "$module" -package-name resume-ingest \
        -emit-library -static -emit-module $(find "$side/Sources/ResumeModel" -name '*.swift') \
        -o "lib$module.a" 2>&1 | grep -E "error" || true)
done
swiftc -O -I "$WORK" -L "$WORK" -lBefore -lAfter "$HERE/BeforeAfter.swift" -o "$WORK/before-after"
echo "before: $BEFORE ($(git -C "$REPO" log -1 --format=%s "$BEFORE" | cut -c1-60)…), after: ${AFTER:-working tree}"
for repeat in ${REPEATS[*]}; do
    "$WORK/before-after" "$DUMP" "$repeat"
done
