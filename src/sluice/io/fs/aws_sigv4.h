// AWS Signature Version 4: the pure functions that turn a request's method, path, query, headers
// and payload hash into the `Authorization` header S3 checks (docs: "Signature Calculations for
// the Authorization Header"). Nothing here does I/O or reads the clock: the caller passes the
// time, so the functions are tested against AWS's published example signatures.
//
// Secrets: the secret key enters only the HMAC chain; no returned string contains it.
// Thread safety: all functions are pure and may be called from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::fs {

// Lowercase hex SHA-256 of bytes (the x-amz-content-sha256 of a payload).
std::string Sha256Hex(std::span<const char> bytes);
inline std::string Sha256Hex(std::string_view text) {
  return Sha256Hex(std::span<const char>(text.data(), text.size()));
}
// Raw HMAC-SHA256 (32 bytes).
std::string HmacSha256(std::string_view key, std::string_view data);
// Lowercase hex of raw bytes.
std::string HexEncode(std::string_view bytes);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - . _ ~) stay,
// everything else becomes %XY (uppercase hex); '/' stays when keep_slash (object key paths).
std::string UriEncode(std::string_view text, bool keep_slash);

// The SHA-256 of an empty payload, and the marker for a payload left unsigned.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct SigningRequest {
  std::string method;  // "GET"
  // The path exactly as sent on the wire, already URI-encoded ("/bucket/a%20b").
  std::string encoded_path;
  // Query parameters, not encoded; sorted and encoded by the signer. A bare flag ("?uploads")
  // is a parameter with an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign (host and x-amz-* at least); names any case, values trimmed by the signer.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // hex, or kUnsignedPayload
};

struct SigningScope {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;  // "us-east-1"
  std::string service = "s3";
  std::string amz_date;  // "20130524T000000Z" (UTC)
};

// The pieces of a signature, exposed for tests and debugging.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);
std::string CanonicalRequest(const SigningRequest& request, std::string* signed_headers);
std::string StringToSign(const SigningScope& scope, std::string_view canonical_request);
std::string SigningKey(const SigningScope& scope);

// "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex".
std::string AuthorizationHeader(const SigningScope& scope, const SigningRequest& request);

// "20130524T000000Z" for a Unix time.
std::string AmzDate(int64_t unix_seconds);

}  // namespace sluice::fs
