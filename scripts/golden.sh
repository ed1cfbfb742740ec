#!/usr/bin/env bash
# Writes the golden outputs (Tests/Fixtures/golden/) that GoldenOutputTests compares icqscope's
# stdout with: `read --packets --flows` in NDJSON and in text, for every bundled sample, every lab
# recording, every generated scenario and every capture in Tests/Fixtures/captures.
#
# Run it only when output changes on purpose, and say why in the same commit.
# Usage: scripts/golden.sh [path/to/icqscope]   (default: a fresh release build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ $# -gt 0 ]; then
    binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    swift build -c release --product icqscope >&2
    binary="$root/.build/release/icqscope"
fi
swift build -c release --product icqscope-samples >&2
golden="$root/Tests/Fixtures/golden"
scenarios="$(mktemp -d)"
trap 'rm -rf "$scenarios"' EXIT
"$root/.build/release/icqscope-samples" --scenarios "$scenarios" >/dev/null

# Each input is read from its working directory by a relative path, as the test does, so the
# source names in the summaries do not depend on where the clone is.
write() {  # group name directory path
    mkdir -p "$golden/$1"
    (cd "$3" && "$binary" read --format ndjson --packets --flows "$4" >"$golden/$1/$2.ndjson" 2>/dev/null || true)
    (cd "$3" && "$binary" read --packets --flows "$4" >"$golden/$1/$2.txt" 2>/dev/null || true)
}
rm -rf "$golden"
for f in samples/*.pcapng; do write samples "$(basename "$f" .pcapng)" "$root" "$f"; done
for f in samples/lab/*/gateway.pcapng; do write lab "$(basename "$(dirname "$f")")" "$root" "$f"; done
for f in "$scenarios"/*.pcapng; do write scenarios "$(basename "$f" .pcapng)" "$scenarios" "$(basename "$f")"; done
# The captures of other software were recorded when they lived in ../shared/captures, and the
# summary names its input by the path it was given: they are read by that path from a folder whose
# shared/captures links to Tests/Fixtures/captures (as GoldenOutputTests does).
stage="$scenarios/stage"
mkdir -p "$stage/work" "$stage/shared"
ln -s "$root/Tests/Fixtures/captures" "$stage/shared/captures"
while IFS= read -r rel; do
    write shared "$(echo "${rel%.*}" | sed 's|/|__|g')" "$stage/work" "../shared/captures/$rel"
done < <(cd Tests/Fixtures/captures && find . -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sed 's|^\./||' | LC_ALL=C sort)
echo "golden: $(find "$golden" -type f | wc -l) files in $golden" >&2
