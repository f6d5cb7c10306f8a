// S3Client against a scripted server that injects the faults a real store shows under load:
// throttling (503 SlowDown, 429), server errors, connection resets, stalls and bodies cut short.
// Retryable faults are retried until the answer is whole; a truncated body is never taken as data;
// what is not retryable fails at once with the URL, operation, status and the store's code.
#include "sluice/io/fs/s3_client.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/io/fs/aws_sigv4.h"
#include "sluice/io/fs/testing/scripted_http_server.h"

namespace sluice::fs {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedResponse;

class S3ClientTest : public ::testing::Test {
 protected:
  S3Client MakeClient(int max_attempts = 5, HttpTimeouts timeouts = {}) {
    AwsConfig config;
    config.credentials = {"AKID", "SECRET-never-printed", ""};
    config.endpoint = server_.endpoint();
    config.path_style = true;
    return S3Client(config,
                    {.retry = {.max_attempts = max_attempts, .base_delay = 1ms, .max_delay = 10ms},
                     .timeouts = timeouts});
  }
  static ScriptedResponse Error(int status, const std::string& code) {
    return {.status = status,
            .headers = {{"x-amz-request-id", "req-" + code}},
            .body = "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>" + code +
                    " happened</Message></Error>"};
  }
  static ScriptedResponse Range(const std::string& body, int64_t offset, int64_t total) {
    return {.status = 206,
            .headers = {{"Content-Range",
                         fmt::format("bytes {}-{}/{}", offset, offset + body.size() - 1, total)}},
            .body = body};
  }

  static void RecordedRequestCheck(const testing::RecordedRequest& request) {
    EXPECT_EQ(request.method, "HEAD");
    EXPECT_EQ(request.Header("x-amz-security-token"), "TOKEN/with+chars");
    EXPECT_NE(request.Header("authorization").find("x-amz-security-token"), std::string::npos);
    EXPECT_EQ(request.Header("authorization").find("TOKEN"), std::string::npos);
  }

  testing::ScriptedHttpServer server_;
  S3Url url_{"bucket", "dir/key.parquet"};
};

TEST_F(S3ClientTest, SignsPathStyleRequests) {
  S3Client client = MakeClient();
  server_.Push(Range("0123456789", 0, 100));
  std::string out(10, '\0');
  client.GetRange(url_, 0, out);
  EXPECT_EQ(out, "0123456789");
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/bucket/dir/key.parquet");
  EXPECT_EQ(requests[0].Header("range"), "bytes=0-9");
  EXPECT_EQ(requests[0].Header("x-amz-content-sha256"), kEmptyPayloadSha256);
  EXPECT_TRUE(requests[0].Header("authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKID/"));
  EXPECT_EQ(requests[0].Header("authorization").find("SECRET"), std::string::npos);
}

TEST_F(S3ClientTest, SessionTokensAreSentAndSigned) {
  AwsConfig config;
  config.credentials = {"AKID", "SECRET", "TOKEN/with+chars"};
  config.endpoint = server_.endpoint();
  config.path_style = true;
  S3Client client(config);
  server_.Push({.status = 200, .announced_length = 3});
  client.HeadObject(url_);
  RecordedRequestCheck(server_.requests().at(0));
}

TEST_F(S3ClientTest, ThrottlingAndServerErrorsAreRetried) {
  S3Client client = MakeClient(6);
  server_.Push(Error(503, "SlowDown"));
  server_.Push(Error(429, "TooManyRequests"));
  server_.Push(Error(500, "InternalError"));
  server_.Push(Error(504, "GatewayTimeout"));
  server_.Push(Error(400, "RequestTimeout"));  // the store gave up waiting for our body
  server_.Push(Range("abc", 5, 8));
  std::string out(3, '\0');
  EXPECT_EQ(client.GetRange(url_, 5, out), 3u);
  EXPECT_EQ(out, "abc");
  EXPECT_EQ(server_.requests().size(), 6u);
  EXPECT_EQ(client.counts().retries, 5);
}

TEST_F(S3ClientTest, ATruncatedBodyIsNeverData) {
  S3Client client = MakeClient();
  // The server announces 10 bytes and sends 4, then closes: retried, and the retry's bytes win.
  ScriptedResponse truncated = Range("0123", 0, 100);
  truncated.headers = {{"Content-Range", "bytes 0-9/100"}};
  truncated.announced_length = 10;
  server_.Push(truncated);
  // A consistent but short answer (a proxy that rewrote Content-Length): also refused.
  ScriptedResponse short_range = Range("01234", 0, 100);
  server_.Push(short_range);
  server_.Push(Range("ABCDEFGHIJ", 0, 100));
  std::string out(10, '\0');
  EXPECT_EQ(client.GetRange(url_, 0, out), 10u);
  EXPECT_EQ(out, "ABCDEFGHIJ");
  EXPECT_EQ(server_.requests().size(), 3u);

  // Truncated every time: an error, not data.
  S3Client once = MakeClient(2);
  server_.Push(truncated);
  server_.Push(truncated);
  try {
    once.GetRange(url_, 0, out);
    FAIL() << "expected an error";
  } catch (const sluice::Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_EQ(error.ContextValue("url"), "s3://bucket/dir/key.parquet");
    EXPECT_EQ(error.ContextValue("attempts"), "2");
  }
}

TEST_F(S3ClientTest, ResetsAndStallsAreRetried) {
  S3Client client = MakeClient(5, {.request_ms = 300});
  server_.Push({.reset = true});
  server_.Push({.status = 200, .stall = 2000ms});
  server_.Push({.status = 200, .headers = {{"ETag", "\"e\""}}, .announced_length = 42});
  S3ObjectInfo info = client.HeadObject(url_);
  EXPECT_EQ(info.size, 42);
  EXPECT_EQ(info.etag, "\"e\"");
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(S3ClientTest, ClientErrorsFailAtOnceWithTheirCode) {
  S3Client client = MakeClient();
  server_.Push(Error(403, "SignatureDoesNotMatch"));
  try {
    client.PutObject(url_, std::string_view("data"));
    FAIL() << "expected an error";
  } catch (const sluice::Error& error) {
    std::string text = error.what();
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_EQ(error.ContextValue("operation"), "PutObject");
    EXPECT_EQ(error.ContextValue("http status"), "403");
    EXPECT_EQ(error.ContextValue("s3 error"), "SignatureDoesNotMatch");
    EXPECT_EQ(error.ContextValue("request id"), "req-SignatureDoesNotMatch");
    EXPECT_EQ(error.ContextValue("attempts"), "1");
    EXPECT_NE(text.find("s3://bucket/dir/key.parquet"), std::string::npos) << text;
    EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  }
  server_.Push(Error(404, "NoSuchKey"));
  try {
    client.HeadObject(url_);
    FAIL() << "expected an error";
  } catch (const sluice::Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  }
  // Retries give up after max_attempts with the last status.
  for (int i = 0; i < 5; ++i) server_.Push(Error(503, "SlowDown"));
  try {
    client.DeleteObject(url_);
    FAIL() << "expected an error";
  } catch (const sluice::Error& error) {
    EXPECT_EQ(error.ContextValue("s3 error"), "SlowDown");
    EXPECT_EQ(error.ContextValue("attempts"), "5");
  }
}

TEST_F(S3ClientTest, PayloadsAreSignedByTheirHash) {
  S3Client client = MakeClient();
  server_.Push({.status = 200, .headers = {{"ETag", "\"p1\""}}});
  std::string part = "part bytes";
  EXPECT_EQ(client.UploadPart(url_, "up/1", 1, part), "\"p1\"");
  auto request = server_.requests().at(0);
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.target, "/bucket/dir/key.parquet?partNumber=1&uploadId=up%2F1");
  EXPECT_EQ(request.body, part);
  EXPECT_EQ(request.Header("x-amz-content-sha256"), Sha256Hex(std::string_view(part)));
}

TEST_F(S3ClientTest, CompletionErrorsInsideA200AreRetriedAndAVanishedUploadIsChecked) {
  S3Client client = MakeClient();
  // 200 with an <Error> body, then the retry finds the upload gone (the first try completed it
  // after all): a HeadObject confirms the object.
  server_.Push(
      {.status = 200, .body = "<Error><Code>InternalError</Code><Message>x</Message></Error>"});
  server_.Push(Error(404, "NoSuchUpload"));
  server_.Push({.status = 200, .announced_length = 7});
  client.CompleteMultipartUpload(url_, "u1", {"\"a\"", "\"b\""});
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag>"
            "</Part><Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(requests[2].method, "HEAD");

  // NoSuchUpload on the first try is a real error.
  server_.Push(Error(404, "NoSuchUpload"));
  EXPECT_THROW(client.CompleteMultipartUpload(url_, "u2", {"\"a\""}), sluice::Error);
}

}  // namespace
}  // namespace sluice::fs
