#pragma once

#include <string>
#include <vector>

// QR codes drawn by the daemon itself (Debian's libqrencode), so that a secret shown to enrol an
// authenticator never leaves the server: no outside service renders it.
namespace chatiere::manager {

// The modules of the QR code of `text` (byte mode, error correction level M, the smallest version
// that holds it): `size` rows of `size` modules, true for dark. Throws on text too long for any
// version (more than about 2 KB).
struct QrMatrix {
    int size = 0;
    std::vector<bool> dark;  // row by row
    bool at(int x, int y) const { return dark[static_cast<std::size_t>(y * size + x)]; }
};
QrMatrix qrMatrix(const std::string& text);

// The same as an inline SVG element (no XML declaration): a square viewBox of the matrix with a
// quiet zone of 4 modules on every side, one path of the dark modules drawn row by row, and
// `role="img"` with `aria-label`="label" (escaped).
std::string qrSvg(const std::string& text, const std::string& label);

}  // namespace chatiere::manager
