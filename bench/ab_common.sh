# Sourced by the A/B scripts (ab_builds.sh, ab_gbdt_train.sh): their usage
# text and the check that every build to compare can run.

# Prints lines RANGE (a sed range such as 2,9) of SCRIPT's header comment
# without the comment marks, and exits 2.
ab_usage() {
  sed -n "$2p" "$1" | sed 's/^# \{0,1\}//'
  exit 2
}

# Exits 2, naming the script WHO, unless every following argument is an
# executable.
ab_require_executables() {
  local who=$1 build
  shift
  for build in "$@"; do
    [ -x "$build" ] || { echo "$who: $build is not an executable" >&2; exit 2; }
  done
}
