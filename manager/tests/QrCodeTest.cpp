// The QR codes of the TOTP enrolment, drawn by the daemon: the matrix has the size of its version
// and the three finder patterns, and the SVG is well-formed XML, square, and draws that matrix.

#include "core/QrCode.h"

#include "chatiere/manager/Error.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>

#include <gtest/gtest.h>

#include <regex>
#include <set>

using namespace chatiere::manager;

namespace {

const std::string kUri =
    "otpauth://totp/Chati%C3%A8re:admin%40example.org?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    "&issuer=Chati%C3%A8re&algorithm=SHA1&digits=6&period=30";

// A finder pattern: a 7×7 dark ring, a light ring, a 3×3 dark centre, with (x, y) its top left.
bool finderAt(const QrMatrix& m, int x0, int y0) {
    for (int y = 0; y < 7; ++y) {
        for (int x = 0; x < 7; ++x) {
            const bool ring = x == 0 || y == 0 || x == 6 || y == 6;
            const bool centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
            if (m.at(x0 + x, y0 + y) != (ring || centre)) {
                return false;
            }
        }
    }
    return true;
}

// The dark modules the SVG's path draws ("Mx yhNv1h-Nz" per run), in matrix coordinates.
std::set<std::pair<int, int>> drawn(const std::string& d, int quiet) {
    std::set<std::pair<int, int>> cells;
    const std::regex run(R"(M(\d+) (\d+)h(\d+)v1h-(\d+)z)");
    std::size_t covered = 0;
    for (auto it = std::sregex_iterator(d.begin(), d.end(), run); it != std::sregex_iterator(); ++it) {
        const int x = std::stoi((*it)[1]);
        const int y = std::stoi((*it)[2]);
        const int n = std::stoi((*it)[3]);
        EXPECT_EQ(n, std::stoi((*it)[4]));
        for (int i = 0; i < n; ++i) {
            cells.emplace(x + i - quiet, y - quiet);
        }
        covered += it->length();
    }
    EXPECT_EQ(covered, d.size()) << "the path holds only runs";
    return cells;
}

TEST(QrCode, TheMatrixHasTheSizeOfAVersionAndTheThreeFinderPatterns) {
    const QrMatrix m = qrMatrix(kUri);
    // Version v is 17 + 4v modules wide; 143 bytes at level M need version 8 (version 7 holds 122
    // bytes, version 8 holds 152).
    EXPECT_EQ((m.size - 17) % 4, 0);
    EXPECT_EQ(kUri.size(), 143u);
    EXPECT_EQ(m.size, 17 + 4 * 8);
    EXPECT_EQ(m.dark.size(), static_cast<std::size_t>(m.size * m.size));
    EXPECT_TRUE(finderAt(m, 0, 0));
    EXPECT_TRUE(finderAt(m, m.size - 7, 0));
    EXPECT_TRUE(finderAt(m, 0, m.size - 7));
    EXPECT_FALSE(finderAt(m, m.size - 7, m.size - 7));  // the fourth corner has none
}

TEST(QrCode, ShortTextGetsTheSmallestVersion) {
    EXPECT_EQ(qrMatrix("JBSWY3DP").size, 21);  // version 1
}

TEST(QrCode, TheSvgIsWellFormedSquareAndDrawsTheMatrix) {
    const std::string svg = qrSvg(kUri, "QR code <secret> & \"co\"");
    Poco::XML::DOMParser parser;
    Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(svg);  // throws when not well-formed
    Poco::XML::Element* root = doc->documentElement();
    ASSERT_NE(root, nullptr);
    EXPECT_EQ(root->localName(), "svg");
    EXPECT_EQ(root->namespaceURI(), "http://www.w3.org/2000/svg");
    EXPECT_EQ(root->getAttribute("role"), "img");
    EXPECT_EQ(root->getAttribute("aria-label"), "QR code <secret> & \"co\"");
    EXPECT_EQ(root->getAttribute("width"), root->getAttribute("height"));

    const QrMatrix m = qrMatrix(kUri);
    const int side = m.size + 8;  // the quiet zone: 4 modules each side
    EXPECT_EQ(root->getAttribute("viewBox"), "0 0 " + std::to_string(side) + " " + std::to_string(side));

    Poco::AutoPtr<Poco::XML::NodeList> paths = root->getElementsByTagName("path");
    ASSERT_EQ(paths->length(), 1u);
    const auto* path = static_cast<Poco::XML::Element*>(paths->item(0));
    const auto cells = drawn(path->getAttribute("d"), 4);
    std::set<std::pair<int, int>> dark;
    for (int y = 0; y < m.size; ++y) {
        for (int x = 0; x < m.size; ++x) {
            if (m.at(x, y)) {
                dark.emplace(x, y);
            }
        }
    }
    EXPECT_EQ(cells, dark);
}

TEST(QrCode, DifferentTextsGiveDifferentCodes) {
    EXPECT_NE(qrSvg("otpauth://totp/a?secret=AAAA", ""), qrSvg("otpauth://totp/a?secret=AAAB", ""));
    EXPECT_EQ(qrSvg(kUri, "x"), qrSvg(kUri, "x"));  // and the same text the same one
}

TEST(QrCode, TextTooLongForAnyVersionIsAnError) {
    EXPECT_THROW(qrMatrix(std::string(4000, 'x')), Error);
}

}  // namespace
