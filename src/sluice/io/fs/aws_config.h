// AwsConfig: where sluice's S3 requests go and whose keys sign them, resolved the way the AWS
// CLI and SDKs do, so a user's existing setup works unchanged:
//   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
//     profile AWS_PROFILE (default "default") in ~/.aws/credentials, then in ~/.aws/config
//     (AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move those files); none means anonymous.
//   region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1.
//   endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url`, else AWS
//     (https://s3.REGION.amazonaws.com). A non-AWS endpoint uses path-style addressing
//     (http://host/bucket/key), which Ceph RGW, MinIO and R2 all accept; AWS gets virtual-hosted
//     addressing (https://bucket.s3.REGION.amazonaws.com/key) for DNS-safe bucket names.
//
// Secrets: AwsCredentials never formats its secret or token; errors name the file or variable.
// Thread safety: values; Resolve reads files and the given environment only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::fs {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
  bool anonymous() const { return access_key_id.empty(); }
};

struct AwsConfig {
  AwsCredentials credentials;
  std::string region = "us-east-1";
  std::string endpoint;  // scheme://host[:port], no trailing slash
  bool path_style = false;
  // Where the credentials came from ("environment", "profile default in /root/.aws/credentials"),
  // for error messages; never the keys themselves.
  std::string credentials_source;
};

// Looks up an environment variable; nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Resolves from an explicit environment (tests pass a map). InvalidArgument when a variable or
// file is half set (a key id without its secret), naming it; NotFound when AWS_PROFILE names a
// profile that no file has.
AwsConfig ResolveAwsConfig(const EnvironmentLookup& env);
// Resolves from the process environment.
AwsConfig AwsConfigFromEnvironment();

// Path-style for non-AWS endpoints and for bucket names that are not DNS-safe.
bool UsePathStyle(const AwsConfig& config, std::string_view bucket);
// "http://127.0.0.1:8000/bucket" or "https://bucket.s3.us-east-1.amazonaws.com": the URL prefix
// object keys are appended to (after a '/').
std::string BucketBaseUrl(const AwsConfig& config, std::string_view bucket);

}  // namespace sluice::fs
