#include "core/QrCode.h"

#include "chatiere/manager/Error.h"
#include "chatiere/templates/Catalogue.h"  // escapeXml, shared with the guests' domain XML

#include <qrencode.h>

#include <memory>

namespace chatiere::manager {

namespace {

struct QrFree {
    void operator()(QRcode* code) const { QRcode_free(code); }
};

constexpr int kQuietZone = 4;  // modules of light margin, as ISO/IEC 18004 asks

}  // namespace

QrMatrix qrMatrix(const std::string& text) {
    // Byte mode keeps the text as it is (the otpauth URI is case-sensitive); version 0: the smallest.
    const std::unique_ptr<QRcode, QrFree> code(QRcode_encodeData(
        static_cast<int>(text.size()), reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
    if (!code) {
        throw Error(ErrorKind::Internal, "qr_failed",
                    "the QR code could not be made (text of " + std::to_string(text.size()) + " bytes)");
    }
    QrMatrix m;
    m.size = code->width;
    m.dark.resize(static_cast<std::size_t>(m.size) * static_cast<std::size_t>(m.size));
    for (std::size_t i = 0; i < m.dark.size(); ++i) {
        m.dark[i] = (code->data[i] & 1) != 0;  // bit 0: dark; the other bits say what the module is for
    }
    return m;
}

std::string qrSvg(const std::string& text, const std::string& label) {
    const QrMatrix m = qrMatrix(text);
    const std::string side = std::to_string(m.size + 2 * kQuietZone);
    std::string path;
    for (int y = 0; y < m.size; ++y) {
        for (int x = 0; x < m.size;) {
            if (!m.at(x, y)) {
                ++x;
                continue;
            }
            int run = 1;
            while (x + run < m.size && m.at(x + run, y)) {
                ++run;
            }
            path += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h" +
                    std::to_string(run) + "v1h-" + std::to_string(run) + "z";
            x += run;
        }
    }
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\" aria-label=\"" +
           templates::escapeXml(label) + "\" viewBox=\"0 0 " + side + " " + side + "\" width=\"" +
           std::to_string((m.size + 2 * kQuietZone) * 6) + "\" height=\"" +
           std::to_string((m.size + 2 * kQuietZone) * 6) +
           "\" shape-rendering=\"crispEdges\"><rect width=\"" + side + "\" height=\"" + side +
           "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

}  // namespace chatiere::manager
