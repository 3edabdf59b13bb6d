#include "hosting/SuspendedPage.h"

#include "chatiere/templates/Catalogue.h"

namespace chatiere::manager {
namespace {

// The page is HTML5, where XML's five entities are defined.
std::string escapeHtml(const std::string& text) {
    return templates::escapeXml(text);
}

}  // namespace

std::string renderSuspendedPage(const std::string& hostName, const std::string& contactEmail) {
    const std::string host = escapeHtml(hostName);
    const std::string contact = escapeHtml(contactEmail);
    return "<!DOCTYPE html>\n"
           "<html lang=\"fr\">\n"
           "<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\n"
           "<title>Service suspendu — Service suspended</title></head>\n"
           "<body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em\">\n"
           "<h1>Service suspendu</h1>\n"
           "<p>Ce service, hébergé par " +
           host +
           ", est suspendu pour le moment.</p>\n"
           "<p>Pour toute question, écrivez à <a href=\"mailto:" +
           contact + "\">" + contact +
           "</a>.</p>\n"
           "<hr>\n"
           "<h1 lang=\"en\">Service suspended</h1>\n"
           "<p lang=\"en\">This service, hosted by " +
           host +
           ", is suspended for the time being.</p>\n"
           "<p lang=\"en\">For any question, write to <a href=\"mailto:" +
           contact + "\">" + contact +
           "</a>.</p>\n"
           "</body>\n"
           "</html>\n";
}

}  // namespace chatiere::manager
