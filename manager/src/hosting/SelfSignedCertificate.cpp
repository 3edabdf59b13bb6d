#include "hosting/SelfSignedCertificate.h"

#include "hosting/OpenSslHandles.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <functional>
#include <memory>
#include <stdexcept>

namespace chatiere::manager {
namespace {

using openssl::Bio;
using openssl::Deleter;
using openssl::Key;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Names = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("self-signed certificate: ") + what + " failed");
    }
}

bool isIpAddress(const std::string& name) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, name.c_str(), buffer) == 1 || inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

void addExtension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    const Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    check(ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1, "an extension");
}

std::string pemOf(const std::function<int(BIO*)>& write) {
    const Bio bio(BIO_new(BIO_s_mem()));
    check(bio != nullptr && write(bio.get()) == 1, "PEM encoding");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::chrono::system_clock::time_point timeOf(const ASN1_TIME* t) {
    std::tm tm{};
    check(ASN1_TIME_to_tm(t, &tm) == 1, "reading a date");
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string oneLine(const X509_NAME* name) {
    const Bio bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

CertificatePair makeSelfSignedCertificate(const std::string& name, std::chrono::system_clock::time_point now,
                                          std::chrono::hours validity) {
    if (name.empty() || name.size() > 253 ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:") != std::string::npos) {
        throw std::invalid_argument("self-signed certificate: not a host name: '" + name.substr(0, 80) + "'");
    }
    const Key key(EVP_EC_gen("P-256"));
    check(key != nullptr, "generating the key");
    const Cert cert(X509_new());
    check(cert != nullptr && X509_set_version(cert.get(), 2) == 1, "a new certificate");

    const Bn serial(BN_new());
    check(serial != nullptr && BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr,
          "the serial number");
    const std::time_t from = std::chrono::system_clock::to_time_t(now);
    const std::time_t until = std::chrono::system_clock::to_time_t(now + validity);
    check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), from) != nullptr &&
              ASN1_TIME_set(X509_getm_notAfter(cert.get()), until) != nullptr,
          "the validity");
    check(X509_set_pubkey(cert.get(), key.get()) == 1, "the public key");
    X509_NAME* subject = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0) == 1 &&
              X509_set_issuer_name(cert.get(), subject) == 1,
          "the subject");
    addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert.get(), NID_key_usage, "critical,digitalSignature");
    addExtension(cert.get(), NID_ext_key_usage, "serverAuth");
    addExtension(cert.get(), NID_subject_alt_name, (isIpAddress(name) ? "IP:" : "DNS:") + name);
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing");

    CertificatePair pair;
    pair.certificatePem = pemOf([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
    pair.keyPem = pemOf([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return pair;
}

CertificateInfo readCertificate(const std::string& pem) {
    const Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    const Cert cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
        throw std::invalid_argument("not a PEM certificate");
    }
    CertificateInfo info;
    const X509_NAME* subject = X509_get_subject_name(cert.get());
    if (const int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0) {
        const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
        info.commonName.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                               static_cast<std::size_t>(ASN1_STRING_length(cn)));
    }
    const Names names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
        if (n->type == GEN_DNS) {
            info.dnsNames.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                                       static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName)));
        } else if (n->type == GEN_IPADD) {
            char text[INET6_ADDRSTRLEN] = {};
            const int length = ASN1_STRING_length(n->d.iPAddress);
            inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.iPAddress), text,
                      sizeof text);
            info.dnsNames.emplace_back(text);
        }
    }
    info.issuer = oneLine(X509_get_issuer_name(cert.get()));
    info.notBefore = timeOf(X509_get0_notBefore(cert.get()));
    info.notAfter = timeOf(X509_get0_notAfter(cert.get()));
    // Issued by itself and signed by its own key (X509_check_issued would also demand keyCertSign).
    info.selfSigned =
        X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())) == 0 &&
        X509_verify(cert.get(), X509_get0_pubkey(cert.get())) == 1;
    return info;
}

}  // namespace chatiere::manager
