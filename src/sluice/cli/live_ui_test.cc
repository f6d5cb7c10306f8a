#include "sluice/cli/live_ui.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "sluice/base/error.h"

namespace sluice::cli {
namespace {

// GET `path` from the server at `url` ("http://127.0.0.1:PORT/"); the whole response.
std::string Get(const std::string& url, const std::string& path) {
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) response.append(buffer, n);
  ::close(fd);
  return response;
}

RunReport Report(const std::string& pipeline, double seconds) {
  RunReport r;
  r.pipeline = pipeline;
  r.wall_seconds = seconds;
  StageReport s;
  s.name = "concat";
  r.stages.push_back(s);
  r.verdict.text = "bottleneck: none";
  return r;
}

TEST(LiveUiTest, ServesEachPipelinesLatestReportAndThePage) {
  LiveUi ui("127.0.0.1:0", /*linger=*/false, CancellationToken());
  ASSERT_EQ(ui.url().rfind("http://127.0.0.1:", 0), 0u) << ui.url();
  ui.Publish(Report("scan", 1));
  ui.Publish(Report("scan", 2));
  ui.Publish(Report("merge", 3));
  std::string json = Get(ui.url(), "/report.json");
  ASSERT_EQ(json.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << json;
  nlohmann::json doc = nlohmann::json::parse(json.substr(json.find("\r\n\r\n") + 4));
  EXPECT_EQ(doc["runs"]["scan"]["wall_seconds"], 2);
  EXPECT_EQ(doc["runs"]["merge"]["stages"][0]["name"], "concat");
  EXPECT_EQ(doc["live"]["finished"], false);
  std::string page = Get(ui.url(), "/");
  EXPECT_NE(page.find("Content-Type: text/html"), std::string::npos);
  EXPECT_NE(page.find("<title>sluice run report</title>"), std::string::npos);
  EXPECT_NE(page.find("\"merge\""), std::string::npos);  // the runs so far, inlined
  EXPECT_EQ(Get(ui.url(), "/elsewhere").rfind("HTTP/1.1 404", 0), 0u);
}

TEST(LiveUiTest, ServesALedgerJobsFieldsBesideTheRuns) {
  LiveUi ui("127.0.0.1:0", /*linger=*/false, CancellationToken());
  ui.PublishFields({{"command", "status"}, {"job", {{"done", 1}}}});
  ui.PublishFields({{"job", {{"done", 2}}}, {"tasks", {{"attempts", nlohmann::json::array()}}}});
  std::string json = Get(ui.url(), "/report.json");
  nlohmann::json doc = nlohmann::json::parse(json.substr(json.find("\r\n\r\n") + 4));
  EXPECT_EQ(doc["command"], "status");
  EXPECT_EQ(doc["job"]["done"], 2);
  EXPECT_TRUE(doc["tasks"]["attempts"].is_array());
  EXPECT_EQ(doc["live"]["finished"], false);
  EXPECT_TRUE(doc["runs"].empty());
}

TEST(LiveUiTest, AnAddressItCannotListenOnNamesIt) {
  LiveUi first("127.0.0.1:0", false, CancellationToken());
  const std::string taken = first.url().substr(7, first.url().size() - 8);  // "127.0.0.1:PORT"
  try {
    LiveUi second(taken, false, CancellationToken());
    FAIL() << "bound " << taken << " twice";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(taken), std::string::npos) << e.what();
  }
  EXPECT_THROW(LiveUi("no-port", false, CancellationToken()), Error);
}

}  // namespace
}  // namespace sluice::cli
