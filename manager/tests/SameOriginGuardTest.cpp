#include "http/SameOriginGuard.h"

#include <gtest/gtest.h>

using chatiere::manager::http::SameOriginGuard;

TEST(SameOriginGuard, TheOriginOfThePublicUrl) {
    EXPECT_EQ(SameOriginGuard::originOf("http://127.0.0.1:8470"), "http://127.0.0.1:8470");
    EXPECT_EQ(SameOriginGuard::originOf("https://Gestion.Chatons.example/"),
              "https://gestion.chatons.example");
    EXPECT_EQ(SameOriginGuard::originOf("https://chatons.example:443/app"), "https://chatons.example");
    EXPECT_EQ(SameOriginGuard::originOf("http://chatons.example:80"), "http://chatons.example");
    EXPECT_EQ(SameOriginGuard::originOf("https://chatons.example:8443"), "https://chatons.example:8443");
    EXPECT_EQ(SameOriginGuard::originOf("http://[::1]:8470"), "http://[::1]:8470");
    EXPECT_EQ(SameOriginGuard::originOf("not a url"), "");
}
