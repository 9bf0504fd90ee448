#!/usr/bin/env bash
# Tests of the commit-msg hook (scripts/commit-msg): which messages it lets
# through and which it refuses.
#   tests/test_commit_msg.sh [HOOK]
set -uo pipefail
hook=${1:-$(dirname "$0")/../scripts/commit-msg}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

# expect STATUS DESCRIPTION MESSAGE
expect() {
  printf '%s' "$3" >"$dir/msg"
  bash "$hook" "$dir/msg" 2>"$dir/err"
  local got=$?
  if [ "$got" -ne "$1" ]; then
    echo "FAIL: $2: exit $got, expected $1; stderr: $(cat "$dir/err")"
    failures=$((failures + 1))
  else
    echo "ok: $2"
  fi
}

s72=$(printf 'A%.0s' $(seq 72))
s73=$(printf 'A%.0s' $(seq 73))
e72=$(printf 'é%.0s' $(seq 72))
e73=$(printf 'é%.0s' $(seq 73))

expect 0 "subject and body" $'Add the report tables\n\nThe docs carried stale figures.\n'
expect 0 "subject alone, no newline" 'Fix the manifest reader'
expect 0 "72 characters" "$s72"
expect 1 "73 characters" "$s73"
expect 0 "72 characters of two bytes each" "$e72"
expect 1 "73 characters of two bytes each" "$e73"
expect 1 "no blank second line" $'Add the hook\nbecause subjects were long\n'
expect 0 "comments and leading blank lines ignored" $'\n\n# Please enter the commit message\nAdd the hook\n# '"$s73"$'\n\nWhy.\n'
expect 0 "CRLF line ends" $'Add the hook\r\n\r\nWhy.\r\n'
expect 0 "below the scissors line" $'Add the hook\n\n# ------------------------ >8 ------------------------\n'"$s73"$'\nno blank line\n'
expect 0 "a merge git wrote" "Merge branch 'feature/with-a-rather-long-name' of https://example.org/aoi/aoi into main"
expect 0 "a fixup" "fixup! $s72"
expect 1 "empty" $'\n# only a comment\n'

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
