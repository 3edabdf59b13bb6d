// The copy of a generated file that the daemon's own `nginx -t` checks in system mode.
#include <gtest/gtest.h>

#include "hosting/SystemNginxProxy.h"

using namespace chatiere::manager;

TEST(CheckableCopyTest, ListensMoveToOneUnixSocketPerAddressAndPort) {
    const std::string text =
        "server {\n"
        "    listen 80 default_server;\n"
        "    listen 443 ssl default_server;\n"
        "    server_name a.example;\n"
        "}\n"
        "server {\n"
        "\tlisten 127.0.0.1:8443 ssl;\n"
        "    listen [::]:80;\n"
        "    # listen 80; in a comment stays\n"
        "    access_log /var/log/chatiere/proxy-transfer.log chatiere_transfer;\n"
        "}\n";
    EXPECT_EQ(checkableCopy(text, "/srv/p/run"),
              "server {\n"
              "    listen unix:/srv/p/run/listen-80.sock default_server;\n"
              "    listen unix:/srv/p/run/listen-443.sock ssl default_server;\n"
              "    server_name a.example;\n"
              "}\n"
              "server {\n"
              "\tlisten unix:/srv/p/run/listen-127_0_0_1_8443.sock ssl;\n"
              "    listen unix:/srv/p/run/listen-_____80.sock;\n"
              "    # listen 80; in a comment stays\n"
              "    access_log /var/log/chatiere/proxy-transfer.log chatiere_transfer;\n"
              "}\n");
    EXPECT_EQ(checkableCopy("", "/r"), "");
}
