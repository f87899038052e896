#!/usr/bin/env bash
# mypy over the installed layout: the four source folders are one package,
# `runstream`, only once installed, so lay them out that way with symlinks first.
set -euo pipefail
cd "$(dirname "$0")/.."
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
# mypy reads one folder per package, so build the merged package from links.
merged="$tree/merged/runstream"
mkdir -p "$merged"
for entry in "$PWD"/producer/*; do ln -s "$entry" "$merged/"; done
for part in consumers api dashboard; do ln -s "$PWD/$part" "$merged/$part"; done
cd "$tree/merged"
"${MYPY:-mypy}" --config-file "$OLDPWD/pyproject.toml" -p runstream
