#pragma once

// A system or e2e test needs real parts (libvirtd, QEMU, Chromium…). Where one is missing, the test
// is skipped on a developer's machine but FAILS under CI (CI=true in the environment), so that CI
// cannot pass with the test never run. Use: if (!libvirtdAnswers()) { CHATIERE_MISSING_PART("no libvirtd"); }

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace chatiere::testing {

inline bool underCi() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

}  // namespace chatiere::testing

// Returns from the test: a failure under CI, a skip elsewhere.
#define CHATIERE_MISSING_PART(what)                                                \
    do {                                                                           \
        if (::chatiere::testing::underCi()) {                                      \
            FAIL() << "CI=true and a part this test needs is missing: " << (what); \
        }                                                                          \
        GTEST_SKIP() << (what) << " (skipped; with CI=true this fails)";           \
    } while (0)
