// SigV4 against the examples AWS publishes in "Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk" (Amazon S3 API reference): same keys, same
// date, same requests, the signatures printed there.
#include "sluice/io/fs/aws_sigv4.h"

#include <gtest/gtest.h>

namespace sluice::fs {
namespace {

SigningScope ExampleScope() {
  return {.access_key_id = "AKIAIOSFODNN7EXAMPLE",
          .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          .region = "us-east-1",
          .service = "s3",
          .amz_date = "20130524T000000Z"};
}

constexpr std::string_view kCredential =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ";

TEST(AwsSigV4, HashesAndEncoding) {
  EXPECT_EQ(Sha256Hex(std::string_view()), kEmptyPayloadSha256);
  EXPECT_EQ(Sha256Hex(std::string_view("Welcome to Amazon S3.")),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(UriEncode("a b/c~d$e+f=g", true), "a%20b/c~d%24e%2Bf%3Dg");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("\xc3\xa9", false), "%C3%A9");
  EXPECT_EQ(AmzDate(1369353600), "20130524T000000Z");
}

TEST(AwsSigV4, GetObjectExample) {
  SigningRequest request{.method = "GET",
                         .encoded_path = "/test.txt",
                         .query = {},
                         .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                     {"Range", "bytes=0-9"},
                                     {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)},
                                     {"x-amz-date", "20130524T000000Z"}},
                         .payload_sha256 = std::string(kEmptyPayloadSha256)};
  std::string signed_headers;
  EXPECT_EQ(CanonicalRequest(request, &signed_headers),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(ExampleScope(), CanonicalRequest(request, nullptr)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(AuthorizationHeader(ExampleScope(), request),
            std::string(kCredential) +
                "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(AwsSigV4, PutObjectExample) {
  std::string payload = Sha256Hex(std::string_view("Welcome to Amazon S3."));
  SigningRequest request{.method = "PUT",
                         .encoded_path = "/" + UriEncode("test$file.text", true),
                         .query = {},
                         .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                     {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                     {"x-amz-date", "20130524T000000Z"},
                                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                                     {"x-amz-content-sha256", payload}},
                         .payload_sha256 = payload};
  EXPECT_EQ(AuthorizationHeader(ExampleScope(), request),
            std::string(kCredential) +
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(AwsSigV4, GetBucketLifecycleExample) {
  SigningRequest request{.method = "GET",
                         .encoded_path = "/",
                         .query = {{"lifecycle", ""}},
                         .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                     {"x-amz-date", "20130524T000000Z"},
                                     {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)}},
                         .payload_sha256 = std::string(kEmptyPayloadSha256)};
  EXPECT_EQ(AuthorizationHeader(ExampleScope(), request),
            std::string(kCredential) +
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(AwsSigV4, ListObjectsExample) {
  SigningRequest request{.method = "GET",
                         .encoded_path = "/",
                         .query = {{"prefix", "J"}, {"max-keys", "2"}},
                         .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                     {"x-amz-date", "20130524T000000Z"},
                                     {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)}},
                         .payload_sha256 = std::string(kEmptyPayloadSha256)};
  EXPECT_EQ(CanonicalQueryString(request.query), "max-keys=2&prefix=J");
  EXPECT_EQ(AuthorizationHeader(ExampleScope(), request),
            std::string(kCredential) +
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(AwsSigV4, HeaderValuesAreTrimmedAndTheSecretNeverAppears) {
  SigningScope scope = ExampleScope();
  SigningRequest request{.method = "GET",
                         .encoded_path = "/k",
                         .query = {},
                         .headers = {{"Host", "h"}, {"X-Amz-Meta-A", "  a   b  "}},
                         .payload_sha256 = std::string(kUnsignedPayload)};
  std::string canonical = CanonicalRequest(request, nullptr);
  EXPECT_NE(canonical.find("x-amz-meta-a:a b\n"), std::string::npos) << canonical;
  EXPECT_EQ(AuthorizationHeader(scope, request).find(scope.secret_access_key), std::string::npos);
}

}  // namespace
}  // namespace sluice::fs
