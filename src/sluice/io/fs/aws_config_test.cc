#include "sluice/io/fs/aws_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"

namespace sluice::fs {
namespace {

class AwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(home_ / ".aws");
    env_["HOME"] = home_.string();
  }
  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(home_ / ".aws" / name) << text;
  }
  AwsConfig Resolve() {
    return ResolveAwsConfig([this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }

  ScratchDir scratch_{"sluice-aws"};
  const std::filesystem::path& home_ = scratch_.path();
  std::map<std::string, std::string> env_;
};

TEST_F(AwsConfigTest, DefaultsToAnonymousAwsInUsEast1) {
  AwsConfig config = Resolve();
  EXPECT_TRUE(config.credentials.anonymous());
  EXPECT_EQ(config.region, "us-east-1");
  EXPECT_EQ(config.endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(config.path_style);
  EXPECT_EQ(BucketBaseUrl(config, "my-bucket"), "https://my-bucket.s3.us-east-1.amazonaws.com");
  // Dotted names break TLS wildcard certificates: path style.
  EXPECT_EQ(BucketBaseUrl(config, "a.b.c"), "https://s3.us-east-1.amazonaws.com/a.b.c");
}

TEST_F(AwsConfigTest, EnvironmentWins) {
  WriteFile("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FS\n");
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  env_["AWS_SESSION_TOKEN"] = "TOKEN";
  env_["AWS_DEFAULT_REGION"] = "eu-west-1";
  env_["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000/";
  AwsConfig config = Resolve();
  EXPECT_EQ(config.credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(config.credentials.secret_access_key, "ENVSECRET");
  EXPECT_EQ(config.credentials.session_token, "TOKEN");
  EXPECT_EQ(config.credentials_source, "environment");
  EXPECT_EQ(config.region, "eu-west-1");
  EXPECT_EQ(config.endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(config.path_style);
  EXPECT_EQ(BucketBaseUrl(config, "b"), "http://127.0.0.1:9000/b");
  env_["AWS_REGION"] = "ap-south-1";
  EXPECT_EQ(Resolve().region, "ap-south-1");
}

TEST_F(AwsConfigTest, ProfilesFromBothFiles) {
  WriteFile("credentials",
            "# comment\n[default]\naws_access_key_id=D\naws_secret_access_key=DS\n\n"
            "[work]\n aws_access_key_id = W \n aws_secret_access_key = WS/x+y \n");
  WriteFile("config",
            "[default]\nregion = us-west-2\n[profile work]\nregion = eu-central-1\n"
            "endpoint_url = https://minio.example:9000\n"
            "[profile cfgonly]\naws_access_key_id = C\naws_secret_access_key = CS\n");
  AwsConfig config = Resolve();
  EXPECT_EQ(config.credentials.access_key_id, "D");
  EXPECT_EQ(config.region, "us-west-2");
  env_["AWS_PROFILE"] = "work";
  config = Resolve();
  EXPECT_EQ(config.credentials.access_key_id, "W");
  EXPECT_EQ(config.credentials.secret_access_key, "WS/x+y");
  EXPECT_EQ(config.region, "eu-central-1");
  EXPECT_EQ(config.endpoint, "https://minio.example:9000");
  EXPECT_TRUE(config.path_style);
  EXPECT_NE(config.credentials_source.find("profile work"), std::string::npos);
  env_["AWS_PROFILE"] = "cfgonly";
  EXPECT_EQ(Resolve().credentials.access_key_id, "C");
}

TEST_F(AwsConfigTest, HalfSetCredentialsAndMissingProfilesAreErrorsWithoutSecrets) {
  env_["AWS_SECRET_ACCESS_KEY"] = "TOPSECRET";
  try {
    Resolve();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("AWS_ACCESS_KEY_ID"), std::string::npos);
    EXPECT_EQ(std::string(error.what()).find("TOPSECRET"), std::string::npos);
  }
  env_.erase("AWS_SECRET_ACCESS_KEY");
  env_["AWS_PROFILE"] = "nope";
  try {
    Resolve();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  }
}

TEST_F(AwsConfigTest, FilesMovedByEnvironment) {
  std::ofstream(home_ / "creds") << "[default]\naws_access_key_id=M\naws_secret_access_key=MS\n";
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (home_ / "creds").string();
  EXPECT_EQ(Resolve().credentials.access_key_id, "M");
}

}  // namespace
}  // namespace sluice::fs
