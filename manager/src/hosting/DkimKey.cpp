#include "hosting/DkimKey.h"

#include "hosting/OpenSslHandles.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace chatiere::manager {
namespace {

using openssl::Bio;
using openssl::Key;

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("DKIM key: ") + what + " failed");
    }
}

}  // namespace

std::string newDkimKey() {
    const Key key(EVP_RSA_gen(2048));
    check(key != nullptr, "RSA key generation");
    const Bio bio(BIO_new(BIO_s_mem()));
    check(bio != nullptr &&
              PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM encoding");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string dkimRecordOf(const std::string& privateKeyPem) {
    const Bio bio(BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())));
    check(bio != nullptr, "reading the PEM");
    const Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    check(key != nullptr && EVP_PKEY_base_id(key.get()) == EVP_PKEY_RSA, "reading the RSA key");
    const int length = i2d_PUBKEY(key.get(), nullptr);
    check(length > 0, "encoding the public key");
    std::vector<unsigned char> der(static_cast<std::size_t>(length));
    unsigned char* out = der.data();
    check(i2d_PUBKEY(key.get(), &out) == length, "encoding the public key");
    std::vector<unsigned char> base64(4 * ((der.size() + 2) / 3) + 1);
    const int written = EVP_EncodeBlock(base64.data(), der.data(), static_cast<int>(der.size()));
    check(written > 0, "base64");
    return "v=DKIM1; k=rsa; p=" +
           std::string(reinterpret_cast<const char*>(base64.data()), static_cast<std::size_t>(written));
}

}  // namespace chatiere::manager
