#include "sluice/io/fs/aws_config.h"

#include <cstdlib>
#include <fstream>
#include <map>

#include "sluice/base/error.h"

namespace sluice::fs {
namespace {

using IniFile = std::map<std::string, std::map<std::string, std::string>>;

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// The AWS files' INI dialect: [section], key = value, '#' and ';' comments. Missing file: empty.
IniFile ReadIni(const std::string& path) {
  IniFile out;
  std::ifstream in(path);
  std::string line;
  std::string section;
  while (std::getline(in, line)) {
    std::string text = Trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      section = Trim(std::string_view(text).substr(1, text.size() - 2));
      out[section];
      continue;
    }
    size_t eq = text.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    out[section][Trim(std::string_view(text).substr(0, eq))] =
        Trim(std::string_view(text).substr(eq + 1));
  }
  return out;
}

const std::map<std::string, std::string>* Section(const IniFile& file, const std::string& name) {
  auto it = file.find(name);
  return it == file.end() ? nullptr : &it->second;
}

std::string Get(const std::map<std::string, std::string>* section, const std::string& key) {
  if (section == nullptr) return "";
  auto it = section->find(key);
  return it == section->end() ? "" : it->second;
}

std::string NonEmpty(const EnvironmentLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  return value ? *value : "";
}

bool IsAwsEndpoint(std::string_view endpoint) {
  size_t scheme = endpoint.find("://");
  std::string_view host = scheme == std::string_view::npos ? endpoint : endpoint.substr(scheme + 3);
  host = host.substr(0, host.find_first_of(":/"));
  return host.ends_with(".amazonaws.com");
}

}  // namespace

AwsConfig ResolveAwsConfig(const EnvironmentLookup& env) {
  AwsConfig config;
  std::string home = NonEmpty(env, "HOME");
  std::string credentials_path = NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_path.empty() && !home.empty()) credentials_path = home + "/.aws/credentials";
  std::string config_path = NonEmpty(env, "AWS_CONFIG_FILE");
  if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";
  std::string profile = NonEmpty(env, "AWS_PROFILE");
  bool explicit_profile = !profile.empty();
  if (profile.empty()) profile = "default";

  IniFile credentials_file = credentials_path.empty() ? IniFile{} : ReadIni(credentials_path);
  IniFile config_file = config_path.empty() ? IniFile{} : ReadIni(config_path);
  const auto* in_credentials = Section(credentials_file, profile);
  const auto* in_config =
      Section(config_file, profile == "default" ? "default" : "profile " + profile);
  if (explicit_profile && in_credentials == nullptr && in_config == nullptr) {
    throw NotFound("AWS_PROFILE names profile {}, which neither {} nor {} has", profile,
                   credentials_path, config_path);
  }

  // Credentials: the environment, then the credentials file, then the config file.
  std::string key_id = NonEmpty(env, "AWS_ACCESS_KEY_ID");
  std::string secret = NonEmpty(env, "AWS_SECRET_ACCESS_KEY");
  if (!key_id.empty() || !secret.empty()) {
    if (key_id.empty() || secret.empty()) {
      throw InvalidArgument("{} is set but {} is not",
                            key_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                            key_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
    }
    config.credentials = {key_id, secret, NonEmpty(env, "AWS_SESSION_TOKEN")};
    config.credentials_source = "environment";
  } else {
    for (auto [section, path] :
         {std::pair{in_credentials, &credentials_path}, std::pair{in_config, &config_path}}) {
      std::string id = Get(section, "aws_access_key_id");
      std::string key = Get(section, "aws_secret_access_key");
      if (id.empty() && key.empty()) continue;
      if (id.empty() || key.empty()) {
        throw InvalidArgument(
            "profile {} in {} has only one of aws_access_key_id and "
            "aws_secret_access_key",
            profile, *path);
      }
      config.credentials = {id, key, Get(section, "aws_session_token")};
      config.credentials_source = "profile " + profile + " in " + *path;
      break;
    }
  }
  if (config.credentials.anonymous()) config.credentials_source = "none (anonymous requests)";

  std::string region = NonEmpty(env, "AWS_REGION");
  if (region.empty()) region = NonEmpty(env, "AWS_DEFAULT_REGION");
  if (region.empty()) region = Get(in_config, "region");
  if (!region.empty()) config.region = region;

  std::string endpoint = NonEmpty(env, "AWS_ENDPOINT_URL_S3");
  if (endpoint.empty()) endpoint = NonEmpty(env, "AWS_ENDPOINT_URL");
  if (endpoint.empty()) endpoint = Get(in_config, "endpoint_url");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.empty()) {
    config.endpoint = "https://s3." + config.region + ".amazonaws.com";
  } else {
    if (endpoint.find("://") == std::string::npos) endpoint = "https://" + endpoint;
    config.endpoint = endpoint;
  }
  config.path_style = !IsAwsEndpoint(config.endpoint);
  return config;
}

AwsConfig AwsConfigFromEnvironment() {
  return ResolveAwsConfig([](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

bool UsePathStyle(const AwsConfig& config, std::string_view bucket) {
  return config.path_style || bucket.find('.') != std::string_view::npos ||
         bucket.find('_') != std::string_view::npos;
}

std::string BucketBaseUrl(const AwsConfig& config, std::string_view bucket) {
  if (UsePathStyle(config, bucket)) return config.endpoint + "/" + std::string(bucket);
  size_t scheme = config.endpoint.find("://");
  return config.endpoint.substr(0, scheme + 3) + std::string(bucket) + "." +
         config.endpoint.substr(scheme + 3);
}

}  // namespace sluice::fs
