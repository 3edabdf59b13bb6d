// The PDF rendering of an invoice with libharu (Debian's libhpdf): A4, one embedded TrueType font
// (plus its bold face when it sits beside it), UTF-8 text, the table continued on new pages with
// its header repeated, the document's title and "page/pages" at the foot of every page.
#include "billing/InvoiceDocument.h"

#include <hpdf.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <type_traits>

namespace chatiere::manager {
namespace {

constexpr float kPageWidth = 595.276F;  // A4 in points
constexpr float kPageHeight = 841.89F;
constexpr float kMargin = 50.0F;
constexpr float kBottom = 60.0F;  // the footer sits below
constexpr float kRight = kPageWidth - kMargin;
constexpr float kBodySize = 9.5F;
constexpr float kSmallSize = 8.0F;
constexpr float kTitleSize = 18.0F;
constexpr float kCellPadding = 4.0F;

float leading(float size) {
    return size * 1.35F;
}

// libharu reports errors through a callback: record the first one, and let the caller throw right
// after the failing call (never longjmp out of the library).
struct HpdfError {
    HPDF_STATUS code = HPDF_OK;
    HPDF_STATUS detail = 0;
};

void HPDF_STDCALL recordError(HPDF_STATUS code, HPDF_STATUS detail, void* userData) {
    auto* error = static_cast<HpdfError*>(userData);
    if (error->code == HPDF_OK) {
        error->code = code;
        error->detail = detail;
    }
}

using DocHandle = std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, decltype(&HPDF_Free)>;

// Splits UTF-8 text into code points (for words longer than a line).
std::vector<std::string> codePoints(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = 1;
        while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) {
            ++n;
        }
        out.push_back(text.substr(i, n));
        i += n;
    }
    return out;
}

class PdfWriter {
public:
    PdfWriter(const std::string& fontPath, std::string footerTitle)
        : doc_(HPDF_New(&recordError, &error_), &HPDF_Free), footerTitle_(std::move(footerTitle)) {
        if (!doc_) {
            throw std::runtime_error("PDF: cannot create the document (out of memory)");
        }
        namespace fs = std::filesystem;
        if (!fs::is_regular_file(fontPath)) {
            throw std::runtime_error("PDF: font file not found: " + fontPath);
        }
        HPDF_SetCompressionMode(doc_.get(), HPDF_COMP_ALL);
        check("HPDF_SetCompressionMode");
        HPDF_UseUTFEncodings(doc_.get());
        check("HPDF_UseUTFEncodings");
        HPDF_SetCurrentEncoder(doc_.get(), "UTF-8");
        check("HPDF_SetCurrentEncoder");
        regular_ = loadFont(fontPath);
        const fs::path path(fontPath);
        const fs::path boldPath =
            path.parent_path() / (path.stem().string() + "-Bold" + path.extension().string());
        bold_ = fs::is_regular_file(boldPath) ? loadFont(boldPath.string()) : regular_;
        newPage();
    }

    float y() const { return y_; }
    void moveDown(float dy) { y_ -= dy; }
    // Starts a new page unless `height` still fits above the bottom margin.
    bool ensureRoom(float height) {
        if (y_ - height >= kBottom) {
            return false;
        }
        newPage();
        return true;
    }

    HPDF_Font regular() const { return regular_; }
    HPDF_Font bold() const { return bold_; }

    float width(const std::string& text, HPDF_Font font, float size) {
        const HPDF_TextWidth w = HPDF_Font_TextWidth(font, reinterpret_cast<const HPDF_BYTE*>(text.c_str()),
                                                     static_cast<HPDF_UINT>(text.size()));
        check("HPDF_Font_TextWidth");
        return static_cast<float>(w.width) * size / 1000.0F;
    }

    // Greedy word wrap on ASCII spaces (U+202F and U+00A0 never break); an over-long word is cut.
    std::vector<std::string> wrap(const std::string& text, HPDF_Font font, float size, float maxWidth) {
        std::vector<std::string> lines;
        std::string current;
        auto push = [&](const std::string& word) {
            const std::string candidate = current.empty() ? word : current + " " + word;
            if (current.empty() || width(candidate, font, size) <= maxWidth) {
                current = candidate;
            } else {
                lines.push_back(current);
                current = word;
            }
            while (width(current, font, size) > maxWidth) {  // a word wider than the line
                std::string head;
                std::string rest;
                for (const std::string& cp : codePoints(current)) {
                    if (rest.empty() && (head.empty() || width(head + cp, font, size) <= maxWidth)) {
                        head += cp;
                    } else {
                        rest += cp;
                    }
                }
                if (rest.empty()) {
                    break;
                }
                lines.push_back(head);
                current = rest;
            }
        };
        std::size_t start = 0;
        while (start <= text.size()) {
            const std::size_t space = std::min(text.find(' ', start), text.size());
            if (space > start) {
                push(text.substr(start, space - start));
            }
            start = space + 1;
        }
        if (!current.empty() || lines.empty()) {
            lines.push_back(current);
        }
        return lines;
    }

    void text(float x, float y, const std::string& text, HPDF_Font font, float size, float gray = 0.0F) {
        HPDF_Page_BeginText(page_);
        HPDF_Page_SetGrayFill(page_, gray);
        HPDF_Page_SetFontAndSize(page_, font, size);
        HPDF_Page_TextOut(page_, x, y, text.c_str());
        HPDF_Page_EndText(page_);
        check("HPDF_Page_TextOut");
    }
    void textRight(float right, float y, const std::string& s, HPDF_Font font, float size) {
        text(right - width(s, font, size), y, s, font, size);
    }
    // Prints wrapped lines from the current position down, a new page first when they do not fit.
    void paragraph(const std::string& s, HPDF_Font font, float size, float x = kMargin,
                   float w = kRight - kMargin) {
        for (const std::string& line : wrap(s, font, size, w)) {
            ensureRoom(leading(size));
            y_ -= leading(size);
            text(x, y_ + 0.25F * size, line, font, size);
        }
    }
    void rule(float x1, float x2, float y, float lineWidth) {
        HPDF_Page_SetLineWidth(page_, lineWidth);
        HPDF_Page_MoveTo(page_, x1, y);
        HPDF_Page_LineTo(page_, x2, y);
        HPDF_Page_Stroke(page_);
        check("HPDF_Page_Stroke");
    }

    std::string finish() {
        const std::size_t count = pages_.size();
        for (std::size_t i = 0; i < count; ++i) {
            page_ = pages_[i];
            const std::string foot =
                footerTitle_ + " \u2014 " + std::to_string(i + 1) + "/" + std::to_string(count);
            textRight(kRight, 30.0F, foot, regular_, kSmallSize);
        }
        HPDF_SaveToStream(doc_.get());
        check("HPDF_SaveToStream");
        HPDF_UINT32 size = HPDF_GetStreamSize(doc_.get());
        check("HPDF_GetStreamSize");
        std::string bytes(size, '\0');
        HPDF_ReadFromStream(doc_.get(), reinterpret_cast<HPDF_BYTE*>(bytes.data()), &size);
        if (error_.code == HPDF_STREAM_EOF) {  // reading the whole stream may also report its end
            error_ = {};
            HPDF_ResetError(doc_.get());
        }
        check("HPDF_ReadFromStream");
        bytes.resize(size);
        return bytes;
    }

private:
    void check(const char* call) {
        if (error_.code != HPDF_OK) {
            char message[160];
            std::snprintf(message, sizeof message, "PDF: %s failed (libharu error 0x%04X, detail %u)", call,
                          static_cast<unsigned>(error_.code), static_cast<unsigned>(error_.detail));
            throw std::runtime_error(message);
        }
    }
    HPDF_Font loadFont(const std::string& path) {
        const char* name = HPDF_LoadTTFontFromFile(doc_.get(), path.c_str(), HPDF_TRUE);
        check(("HPDF_LoadTTFontFromFile(" + path + ")").c_str());
        HPDF_Font font = HPDF_GetFont(doc_.get(), name, "UTF-8");
        check("HPDF_GetFont");
        if (name == nullptr || font == nullptr) {
            throw std::runtime_error("PDF: cannot load the font " + path);
        }
        return font;
    }
    void newPage() {
        page_ = HPDF_AddPage(doc_.get());
        check("HPDF_AddPage");
        HPDF_Page_SetSize(page_, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
        check("HPDF_Page_SetSize");
        pages_.push_back(page_);
        y_ = kPageHeight - kMargin;
    }

    HpdfError error_;  // before doc_: the handler writes here until HPDF_Free
    DocHandle doc_;
    std::string footerTitle_;
    HPDF_Font regular_ = nullptr;
    HPDF_Font bold_ = nullptr;
    HPDF_Page page_ = nullptr;
    std::vector<HPDF_Page> pages_;
    float y_ = 0.0F;
};

// Column widths: the description takes what the figures leave.
std::vector<float> columnWidths(std::size_t columns) {
    const std::vector<float> figures = columns == 5 ? std::vector<float>{62.0F, 78.0F, 42.0F, 78.0F}
                                                    : std::vector<float>{70.0F, 88.0F, 88.0F};
    float used = 0.0F;
    for (const float w : figures) {
        used += w;
    }
    std::vector<float> widths{kRight - kMargin - used};
    widths.insert(widths.end(), figures.begin(), figures.end());
    return widths;
}

// One table row, wrapped per cell; figures (every column but the first) right-aligned.
void tableRow(PdfWriter& pdf, const std::vector<std::string>& cells, const std::vector<float>& widths,
              HPDF_Font font, float size) {
    std::vector<std::vector<std::string>> wrapped;
    std::size_t lines = 1;
    for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
        wrapped.push_back(pdf.wrap(cells[i], font, size, widths[i] - 2 * kCellPadding));
        lines = std::max(lines, wrapped.back().size());
    }
    const float top = pdf.y();
    float x = kMargin;
    for (std::size_t i = 0; i < wrapped.size(); ++i) {
        for (std::size_t k = 0; k < wrapped[i].size(); ++k) {
            const float baseline =
                top - kCellPadding - leading(size) * static_cast<float>(k + 1) + 0.25F * size;
            if (i == 0) {
                pdf.text(x + kCellPadding, baseline, wrapped[i][k], font, size);
            } else {
                pdf.textRight(x + widths[i] - kCellPadding, baseline, wrapped[i][k], font, size);
            }
        }
        x += widths[i];
    }
    pdf.moveDown(leading(size) * static_cast<float>(lines) + 2 * kCellPadding);
}

float rowHeight(PdfWriter& pdf, const std::vector<std::string>& cells, const std::vector<float>& widths,
                HPDF_Font font, float size) {
    std::size_t lines = 1;
    for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
        lines = std::max(lines, pdf.wrap(cells[i], font, size, widths[i] - 2 * kCellPadding).size());
    }
    return leading(size) * static_cast<float>(lines) + 2 * kCellPadding;
}

void tableHeader(PdfWriter& pdf, const InvoiceSections& s, const std::vector<float>& widths) {
    tableRow(pdf, s.tableHeader, widths, pdf.bold(), kSmallSize);
    pdf.rule(kMargin, kRight, pdf.y(), 1.2F);
}

// Seller on the left, buyer on the right: heading in small grey capitals, name in bold.
void parties(PdfWriter& pdf, const InvoiceSections& s) {
    const float columnWidth = (kRight - kMargin - 20.0F) / 2;
    float lowest = pdf.y();
    const float top = pdf.y();
    for (int side = 0; side < 2; ++side) {
        const std::vector<std::string>& party = side == 0 ? s.seller : s.buyer;
        const float x = kMargin + static_cast<float>(side) * (columnWidth + 20.0F);
        float y = top - leading(kSmallSize);
        pdf.text(x, y, party.front(), pdf.bold(), kSmallSize, 0.35F);
        for (std::size_t i = 1; i < party.size(); ++i) {
            HPDF_Font font = i == 1 ? pdf.bold() : pdf.regular();
            for (const std::string& line : pdf.wrap(party[i], font, kBodySize, columnWidth)) {
                y -= leading(kBodySize);
                pdf.text(x, y, line, font, kBodySize);
            }
        }
        lowest = std::min(lowest, y);
    }
    pdf.moveDown(pdf.y() - lowest + 16.0F);
}

}  // namespace

std::string renderInvoicePdf(const InvoiceDocument& doc, const std::string& fontPath) {
    const InvoiceSections s = invoiceSections(doc);
    PdfWriter pdf(fontPath, s.title);

    pdf.paragraph(s.title, pdf.bold(), kTitleSize);
    pdf.moveDown(4.0F);
    for (const std::string& line : s.meta) {
        pdf.paragraph(line, pdf.regular(), kBodySize);
    }
    pdf.moveDown(14.0F);
    parties(pdf, s);

    const std::vector<float> widths = columnWidths(s.tableHeader.size());
    pdf.ensureRoom(
        rowHeight(pdf, s.tableHeader, widths, pdf.bold(), kSmallSize) +
        (s.rows.empty() ? 0.0F : rowHeight(pdf, s.rows.front(), widths, pdf.regular(), kBodySize)));
    tableHeader(pdf, s, widths);
    for (const auto& row : s.rows) {
        if (pdf.ensureRoom(rowHeight(pdf, row, widths, pdf.regular(), kBodySize))) {
            tableHeader(pdf, s, widths);  // the table goes on: repeat its header
        }
        tableRow(pdf, row, widths, pdf.regular(), kBodySize);
        pdf.rule(kMargin, kRight, pdf.y(), 0.4F);
    }

    pdf.moveDown(8.0F);
    pdf.ensureRoom(leading(kBodySize) * static_cast<float>(s.totals.size()));
    for (std::size_t i = 0; i < s.totals.size(); ++i) {
        const bool last = i + 1 == s.totals.size();
        HPDF_Font font = last ? pdf.bold() : pdf.regular();
        pdf.moveDown(leading(kBodySize));
        pdf.text(kRight - 230.0F, pdf.y() + 0.25F * kBodySize, s.totals[i].first, font, kBodySize);
        pdf.textRight(kRight, pdf.y() + 0.25F * kBodySize, s.totals[i].second, font, kBodySize);
    }

    pdf.moveDown(14.0F);
    for (const std::string& note : s.notes) {
        pdf.paragraph(note, pdf.regular(), kBodySize);
        pdf.moveDown(2.0F);
    }
    return pdf.finish();
}

}  // namespace chatiere::manager
