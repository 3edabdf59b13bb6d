#!/usr/bin/env bash
# The "tests and benches use public headers only" check: silent on a tree whose tests and benches
# include chatiere/<component>/… headers, failing and naming the line on a private header (or a
# component's src/ on an include path) planted in a test, a bench or their CMake files.
set -euo pipefail
check="$(cd "$(dirname "$0")/../.." && pwd)/packaging/scripts/check-public-headers.sh"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/manager/src/store" "$tree/manager/src/billing" "$tree/manager/src/domain" \
  "$tree/manager/include/chatiere/manager" "$tree/provisioning/src" "$tree/tests/integration" \
  "$tree/tests/support" "$tree/bench" "$tree/manager/tests"
echo '#pragma once' >"$tree/manager/src/store/Subscriptions.h"
echo '#pragma once' >"$tree/provisioning/src/GuestXml.h"
cat >"$tree/tests/integration/BillingTest.cpp" <<'CPP'
#include "TestDaemon.h"
#include "chatiere/manager/Daemon.h"
#include "chatiere/manager/Database.h"
#include <gtest/gtest.h>
// A comment naming store/Subscriptions.h is no include.
CPP
cat >"$tree/tests/integration/CMakeLists.txt" <<'CMAKE'
# Not ${CHATIERE_SOURCE_DIR}/manager/src: the public headers only.
target_include_directories(integration_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../support)
CMAKE
cp "$tree/tests/integration/BillingTest.cpp" "$tree/bench/billing.cpp"
# The manager's own unit tests may include its private headers.
echo '#include "store/Subscriptions.h"' >"$tree/manager/tests/SubscriptionsTest.cpp"
# So may the fuzzing harnesses, like unit tests (but not a folder that merely starts alike).
mkdir -p "$tree/tests/fuzz"
echo '#include "store/Subscriptions.h"' >"$tree/tests/fuzz/SubscriptionsFuzz.cpp"
echo 'target_include_directories(fuzz_x PRIVATE ${CHATIERE_SOURCE_DIR}/manager/src)' >"$tree/tests/fuzz/CMakeLists.txt"
bash "$check" "$tree" >/dev/null || { echo "FAIL: a clean tree was refused"; bash "$check" "$tree"; exit 1; }

# Each planted line, in a test, in a bench and in a support header, is found and its place named.
for planted in '#include "store/Subscriptions.h"' \
               '#include "billing/BillingService.h"' \
               '#  include <domain/AssociationService.h>' \
               '#include "../../manager/src/store/Subscriptions.h"' \
               '#include "provisioning/src/GuestXml.h"'; do
  for file in tests/integration/Planted.cpp bench/planted.cpp tests/support/Planted.h tests/fuzzy/Planted.cpp; do
    mkdir -p "$(dirname "$tree/$file")"
    printf '#include "chatiere/manager/Daemon.h"\n%s\n' "$planted" >"$tree/$file"
    if out=$(bash "$check" "$tree" 2>&1); then
      echo "FAIL: planted include not found in $file: $planted"; exit 1
    fi
    grep -q "$file:2:" <<<"$out" || { echo "FAIL: the place is not named: $out"; exit 1; }
    rm "$tree/$file"
  done
done
for planted in 'target_include_directories(integration_tests PRIVATE ${CHATIERE_SOURCE_DIR}/manager/src)' \
               'target_include_directories(chatiere_bench_billing PRIVATE ../manager/src)' \
               'include_directories("${CHATIERE_SOURCE_DIR}/provisioning/src")'; do
  for file in tests/integration/CMakeLists.txt bench/CMakeLists.txt; do
    cp "$tree/$file" "$tree/$file.clean" 2>/dev/null || : >"$tree/$file.clean"
    echo "$planted" >>"$tree/$file"
    if out=$(bash "$check" "$tree" 2>&1); then
      echo "FAIL: planted include path not found in $file: $planted"; exit 1
    fi
    grep -q "$file:" <<<"$out" || { echo "FAIL: the place is not named: $out"; exit 1; }
    if [ -s "$tree/$file.clean" ]; then mv "$tree/$file.clean" "$tree/$file"; else rm "$tree/$file" "$tree/$file.clean"; fi
  done
done
bash "$check" "$tree" >/dev/null || { echo "FAIL: the cleaned tree was refused"; exit 1; }
echo "check-public-headers-test: ok"
