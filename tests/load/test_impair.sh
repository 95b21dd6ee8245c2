#!/bin/sh
# test_impair.sh RAPPORT_IMPAIR: sends UDP packets through rapport-impair on 127.0.0.1 and
# checks its loss, burst, duplication, reordering, delay and rate against its settings, and
# that one seed gives one drop pattern. Registered in ctest with the label "load".
set -eu
exec /usr/bin/python3 "$(dirname "$0")/impair_check.py" "$1"
