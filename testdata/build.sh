#!/usr/bin/env bash
# Rebuild the test objects from testdata/src with Debian's clang and write
# obj/manifest.json (sha256 of every source and header, and the clang version),
# so that a test can tell when a committed object is stale against its source.
#   apt-get update && apt-get install -y clang llvm libbpf-dev linux-libc-dev
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang}
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# Source paths in BTF line info are made relative, so the objects do not depend on where the tree is.
CFLAGS=(-O2 -g -Wall -Werror -Wno-unused-variable -I "$PWD/src" -I "/usr/include/$MULTIARCH" -fdebug-prefix-map="$PWD"=testdata)

# name of object : source : target (bpfel = little-endian, bpfeb = big-endian)
OBJECTS=(
  programs:programs.c:bpfel
  maps:maps.c:bpfel
  legacy:legacy.c:bpfel
  globals:globals.c:bpfel
  subprogs:subprogs.c:bpfel
  subprogs.eb:subprogs.c:bpfeb
  globals.eb:globals.c:bpfeb
  core:core.c:bpfel
  core_target:core_target.c:bpfel
  behaviour:behaviour.c:bpfel
  kconfig:kconfig.c:bpfel
  bench:bench.c:bpfel
  sockets:sockets.c:bpfel
  helpers:helpers.c:bpfel
  pkt_changes:pkt_changes.c:bpfel
)

mkdir -p obj
for entry in "${OBJECTS[@]}"; do
  IFS=: read -r name src target <<<"$entry"
  "$CLANG" -target "$target" "${CFLAGS[@]}" -c "src/$src" -o "obj/$name.o"
  llvm-strip -g "obj/$name.o"
done

# The benchmark's ~1 MB object is generated, and committed compressed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./gen-large.sh > "$tmp/large.c"
"$CLANG" -target bpfel "${CFLAGS[@]}" -fdebug-prefix-map="$tmp"=testdata/generated -c "$tmp/large.c" -o "$tmp/large.o"
llvm-strip -g "$tmp/large.o"
gzip -9 -n -c "$tmp/large.o" > obj/large.o.gz

{
  echo '{'
  echo "  \"clang\": \"$("$CLANG" --version | head -1)\","
  echo '  "sources": {'
  first=1
  for f in src/*.c src/*.h gen-large.sh build.sh; do
    [ $first = 1 ] || echo ','
    first=0
    printf '    "%s": "%s"' "$(basename "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
  done
  echo
  echo '  },'
  echo '  "objects": {'
  first=1
  for entry in "${OBJECTS[@]}"; do
    IFS=: read -r name src target <<<"$entry"
    [ $first = 1 ] || echo ','
    first=0
    printf '    "%s.o": { "source": "%s", "target": "%s", "sha256": "%s" }' "$name" "$src" "$target" "$(sha256sum "obj/$name.o" | cut -d' ' -f1)"
  done
  printf ',\n    "large.o.gz": { "source": "gen-large.sh", "target": "bpfel", "sha256": "%s" }\n' "$(sha256sum "$tmp/large.o" | cut -d' ' -f1)"
  echo '  }'
  echo '}'
} > obj/manifest.json
