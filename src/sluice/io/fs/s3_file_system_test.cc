// The S3 file system against a real S3 server (Ceph RGW, started once for this binary): round
// trips through single PUTs and multipart uploads (parts sent at once within their memory),
// ranged reads (kept within their memory, large ones as ranges), opens without HeadObject after a
// listing, listing with pagination, glob,
// rename and delete, keys that need encoding, and the errors a user meets (missing objects and
// buckets, wrong keys) named by URL and without secrets.
#include "sluice/io/fs/s3_file_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <random>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/memory_gate.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/testing/fault_proxy.h"
#include "sluice/io/fs/testing/s3_server.h"

namespace sluice::fs {
namespace {

constexpr int64_t kPart = 5 << 20;  // the smallest part S3 allows

class S3FileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    server_ = testing::SharedS3Server(&why_not);
    SLUICE_REQUIRE_TEST_DATA(server_ != nullptr, why_not);
    static std::atomic<int> counter{0};
    bucket_ = "test-" + std::to_string(counter++);
    root_ = server_->CreateBucket(bucket_);
    fs_ = MakeS3FileSystem(server_->client(), {.part_size = kPart});
  }

  std::string Bytes(size_t n, uint64_t seed = 1) {
    std::mt19937_64 random(seed);
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(random());
    return out;
  }
  std::vector<std::string> Paths(const std::vector<FileInfo>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(f.path);
    return out;
  }
  size_t OpenUploads() { return server_->client()->ListMultipartUploads(bucket_, "").size(); }

  testing::S3Server* server_ = nullptr;
  std::string bucket_;
  std::string root_;
  std::shared_ptr<FileSystem> fs_;
};

TEST_F(S3FileSystemTest, SmallFileRoundTripWithRangedReads) {
  std::string data = Bytes(100'000);
  WriteWholeFile(*fs_, root_ + "dir/small.bin", data);
  EXPECT_EQ(fs_->Stat(root_ + "dir/small.bin").size, 100'000);
  EXPECT_EQ(ReadWholeFile(*fs_, root_ + "dir/small.bin"), data);
  auto file = fs_->OpenForRead(root_ + "dir/small.bin");
  EXPECT_EQ(file->size(), 100'000);
  EXPECT_EQ(file->path(), root_ + "dir/small.bin");
  std::string buffer(1000, '\0');
  EXPECT_EQ(file->ReadAt(12'345, buffer), 1000u);
  EXPECT_EQ(buffer, data.substr(12'345, 1000));
  EXPECT_EQ(file->ReadAt(99'500, buffer), 500u);  // short only at the end
  EXPECT_EQ(buffer.substr(0, 500), data.substr(99'500));
  EXPECT_EQ(file->ReadAt(100'000, buffer), 0u);
  EXPECT_EQ(file->Map(0, 10), nullptr);

  // An empty object is one PUT too.
  WriteWholeFile(*fs_, root_ + "empty", std::string_view());
  EXPECT_EQ(fs_->Stat(root_ + "empty").size, 0);
  EXPECT_EQ(ReadWholeFile(*fs_, root_ + "empty"), "");
  EXPECT_EQ(server_->client()->counts().post, 0);  // no multipart upload was started
}

TEST_F(S3FileSystemTest, SmallReadsAreServedFromOneReadAhead) {
  std::string data = Bytes(200'000, 5);
  WriteWholeFile(*fs_, root_ + "ahead", data);
  auto file = fs_->OpenForRead(root_ + "ahead");
  int64_t gets = server_->client()->counts().get;
  std::string buffer(1000, '\0');
  for (int64_t offset = 0; offset < 200'000; offset += 1000) {
    ASSERT_EQ(file->ReadAt(offset, buffer), 1000u);
    ASSERT_EQ(buffer, data.substr(static_cast<size_t>(offset), 1000));
  }
  EXPECT_EQ(server_->client()->counts().get - gets, 1);  // the object is 200 KB < 256 KiB
  std::string large(300'000, '\0');
  EXPECT_EQ(file->ReadAt(0, large), 200'000u);  // clipped to the object: in the window too
  EXPECT_EQ(large.substr(0, 200'000), data);
  EXPECT_EQ(server_->client()->counts().get - gets, 1);
  // A first read at the end (a Parquet footer) of an object no larger than the window brings
  // all of it.
  auto fresh = fs_->OpenForRead(root_ + "ahead");
  EXPECT_EQ(fresh->ReadAt(199'000, buffer), 1000u);
  EXPECT_EQ(buffer, data.substr(199'000));
  EXPECT_EQ(fresh->ReadAt(5, buffer), 1000u);
  EXPECT_EQ(buffer, data.substr(5, 1000));
  EXPECT_EQ(server_->client()->counts().get - gets, 2);
  gets = server_->client()->counts().get - 1;  // as if the second file had not been read
  auto no_ahead = MakeS3FileSystem(server_->client(), {.part_size = kPart, .read_ahead_bytes = 0});
  auto direct = no_ahead->OpenForRead(root_ + "ahead");
  for (int i = 0; i < 3; ++i) direct->ReadAt(i * 1000, buffer);
  EXPECT_EQ(server_->client()->counts().get - gets, 4);
}

// A compaction's reads of a small Parquet file: its footer, then its column chunks column by
// column across row groups. The footer costs one window; the first read of data brings the whole
// object (at most whole_object_bytes), so the scattered reads after it cost nothing more. A
// larger object is read window by window.
TEST_F(S3FileSystemTest, ASmallObjectIsFetchedWholeByItsFirstReadOfData) {
  const std::string data = Bytes(1'000'000, 9);
  WriteWholeFile(*fs_, root_ + "small.parquet", data);
  const int64_t offsets[] = {4, 400'000, 800'000, 100'000, 500'000, 900'000};
  std::string buffer(1000, '\0');
  for (int64_t whole : {int64_t{8} << 20, int64_t{500'000}}) {
    auto s3 =
        MakeS3FileSystem(server_->client(), {.part_size = kPart, .whole_object_bytes = whole});
    auto file = s3->OpenForRead(root_ + "small.parquet");
    const int64_t gets = server_->client()->counts().get;
    ASSERT_EQ(file->ReadAt(1'000'000 - 8, std::span(buffer).first(8)), 8u);
    EXPECT_EQ(buffer.substr(0, 8), data.substr(1'000'000 - 8));
    EXPECT_EQ(server_->client()->counts().get - gets, 1);
    for (int64_t offset : offsets) {
      ASSERT_EQ(file->ReadAt(offset, buffer), 1000u);
      EXPECT_EQ(buffer, data.substr(static_cast<size_t>(offset), 1000));
    }
    // Read window by window (256 KiB), each of these reads lands outside the last window.
    EXPECT_EQ(server_->client()->counts().get - gets, whole > 1'000'000 ? 2 : 7) << whole;
  }
}

TEST_F(S3FileSystemTest, LargeFileIsAMultipartUploadOfEqualParts) {
  std::string data = Bytes(2 * kPart + 12'345, 7);
  int64_t posts_before = server_->client()->counts().post;
  {
    auto file = fs_->OpenForWrite(root_ + "big.bin");
    // Appends of odd sizes cross part boundaries.
    size_t done = 0;
    for (size_t step = 1; done < data.size(); step = step * 3 + 17) {
      size_t n = std::min(step, data.size() - done);
      file->Append(std::span<const char>(data.data() + done, n));
      done += n;
    }
    EXPECT_THROW(fs_->Stat(root_ + "big.bin"), Error);  // invisible before Commit
    EXPECT_EQ(OpenUploads(), 1u);
    file->Commit();
    EXPECT_THROW(file->Commit(), Error);
  }
  EXPECT_EQ(server_->client()->counts().post - posts_before, 2);  // create + complete
  EXPECT_EQ(OpenUploads(), 0u);
  auto file = fs_->OpenForRead(root_ + "big.bin");
  ASSERT_EQ(file->size(), static_cast<int64_t>(data.size()));
  // A read across the first part boundary.
  std::string buffer(4096, '\0');
  EXPECT_EQ(file->ReadAt(kPart - 2000, buffer), 4096u);
  EXPECT_EQ(buffer, data.substr(kPart - 2000, 4096));
  EXPECT_EQ(ReadWholeFile(*fs_, root_ + "big.bin"), data);
}

// Parts go out while the next is gathered, each held in the memory gate from before its buffer
// exists until the store has it: with room for several, several are held at once; with room for
// one, one at a time, never past the limit.
TEST_F(S3FileSystemTest, PartsGoOutSeveralAtOnceWithinTheirMemory) {
  const std::string data = Bytes(4 * kPart + 100, 11);
  for (int64_t limit : {int64_t{64} << 20, kPart}) {
    auto memory = std::make_shared<MemoryGate>(limit);
    auto s3 = MakeS3FileSystem(server_->client(), {.part_size = kPart, .memory = memory});
    auto file = s3->OpenForWrite(root_ + "parts.bin");
    for (size_t done = 0; done < data.size(); done += 1 << 20) {
      file->Append(
          std::span<const char>(data).subspan(done, std::min<size_t>(1 << 20, data.size() - done)));
    }
    file->Commit();
    EXPECT_EQ(memory->used(), 0) << limit;
    EXPECT_EQ(memory->overdrafts(), 0) << limit;
    if (limit > kPart) {
      EXPECT_GE(memory->peak(), 2 * kPart);
    } else {
      EXPECT_EQ(memory->peak(), kPart);
    }
    EXPECT_EQ(ReadWholeFile(*fs_, root_ + "parts.bin"), data) << limit;
  }
  EXPECT_EQ(OpenUploads(), 0u);
}

// Opening an object that a listing of this client returned sends no HeadObject: the listing gave
// its size and ETag. Once this client writes the key, the open asks again.
TEST_F(S3FileSystemTest, OpeningAListedObjectSendsNoHeadObject) {
  for (int i = 0; i < 3; ++i) {
    WriteWholeFile(*fs_, root_ + "listed/" + std::to_string(i), Bytes(1000, i));
  }
  const int64_t heads = server_->client()->counts().head;
  std::string buffer(10, '\0');
  for (const FileInfo& f : fs_->List(root_ + "listed")) {
    auto file = fs_->OpenForRead(f.path);
    EXPECT_EQ(file->size(), 1000);
    EXPECT_EQ(file->ReadAt(0, buffer), 10u);
  }
  EXPECT_EQ(server_->client()->counts().head - heads, 0);
  const std::string changed = Bytes(2000, 7);
  WriteWholeFile(*fs_, root_ + "listed/0", changed);
  auto file = fs_->OpenForRead(root_ + "listed/0");
  EXPECT_EQ(file->size(), 2000);
  EXPECT_EQ(file->ReadAt(1990, buffer), 10u);
  EXPECT_EQ(buffer, changed.substr(1990));
  EXPECT_EQ(server_->client()->counts().head - heads, 1);

  // Rewritten by another process after this one listed it: with the listed size the first read
  // goes on with the version there now; with another size the change is an error.
  auto other = MakeS3FileSystem(std::make_shared<S3Client>(server_->Config()), {});
  fs_->List(root_ + "listed");
  const std::string same_size = Bytes(1000, 21);
  WriteWholeFile(*other, root_ + "listed/1", same_size);
  WriteWholeFile(*other, root_ + "listed/2", Bytes(3000, 22));
  auto rewritten = fs_->OpenForRead(root_ + "listed/1");
  EXPECT_EQ(rewritten->ReadAt(0, buffer), 10u);
  EXPECT_EQ(buffer, same_size.substr(0, 10));
  auto resized = fs_->OpenForRead(root_ + "listed/2");
  try {
    resized->ReadAt(0, buffer);
    ADD_FAILURE() << "a resized object was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
    EXPECT_NE(std::string(e.what()).find("changed after it was listed"), std::string::npos)
        << e.what();
  }
}

// Without room in the memory gate a read keeps nothing and fetches only what it asked for; a
// large read goes out as 8 MiB ranges at once, straight into the caller's buffer.
TEST_F(S3FileSystemTest, ReadsKeepOnlyWhatTheirMemoryAllowsAndLargeReadsGoOutAsRanges) {
  const std::string data = Bytes(20 << 20, 13);
  WriteWholeFile(*fs_, root_ + "large.bin", data);
  auto memory = std::make_shared<MemoryGate>(1000);
  auto s3 = MakeS3FileSystem(server_->client(), {.part_size = kPart, .memory = memory});
  auto file = s3->OpenForRead(root_ + "large.bin");
  int64_t gets = server_->client()->counts().get;
  std::string buffer(1000, '\0');
  for (int64_t offset : {0, 1000, 2000}) {
    ASSERT_EQ(file->ReadAt(offset, buffer), 1000u);
    EXPECT_EQ(buffer, data.substr(static_cast<size_t>(offset), 1000));
  }
  EXPECT_EQ(server_->client()->counts().get - gets, 3);
  EXPECT_EQ(memory->peak(), 0);
  gets = server_->client()->counts().get;
  std::string all(data.size(), '\0');
  ASSERT_EQ(file->ReadAt(0, all), data.size());
  EXPECT_TRUE(all == data);
  EXPECT_EQ(server_->client()->counts().get - gets, 3);  // 8 + 8 + 4 MiB
}

TEST_F(S3FileSystemTest, UncommittedWritesLeaveNothing) {
  {
    auto small = fs_->OpenForWrite(root_ + "small-uncommitted");
    small->Append(Bytes(100));
    auto big = fs_->OpenForWrite(root_ + "big-uncommitted");
    big->Append(Bytes(kPart + 1));
    EXPECT_EQ(OpenUploads(), 1u);
  }
  EXPECT_EQ(OpenUploads(), 0u);
  EXPECT_TRUE(fs_->List(root_).empty());
}

TEST_F(S3FileSystemTest, ListGlobAndPagination) {
  for (const char* key :
       {"a/x.parquet", "a/y.parquet", "a/b.csv", "a/sub/z.parquet", "a/sub/deeper/w.parquet",
        "ab.parquet", "c/dt=1/p.parquet", "c/dt=2/p.parquet"}) {
    WriteWholeFile(*fs_, root_ + key, std::string_view(key));
  }
  EXPECT_EQ(
      Paths(fs_->List(root_ + "a")),
      (std::vector<std::string>{root_ + "a/b.csv", root_ + "a/x.parquet", root_ + "a/y.parquet"}));
  EXPECT_EQ(Paths(fs_->List(root_ + "a/")), Paths(fs_->List(root_ + "a")));
  EXPECT_EQ(Paths(fs_->List(root_)), (std::vector<std::string>{root_ + "ab.parquet"}));
  EXPECT_EQ(fs_->List(root_ + "a")[0].size, 7);
  EXPECT_EQ(Paths(fs_->Glob(root_ + "a/*.parquet")),
            (std::vector<std::string>{root_ + "a/x.parquet", root_ + "a/y.parquet"}));
  EXPECT_EQ(Paths(fs_->Glob(root_ + "a/*/*.parquet")),
            (std::vector<std::string>{root_ + "a/sub/z.parquet"}));
  EXPECT_EQ(Paths(fs_->Glob(root_ + "c/dt=[12]/*.parquet")),
            (std::vector<std::string>{root_ + "c/dt=1/p.parquet", root_ + "c/dt=2/p.parquet"}));
  EXPECT_EQ(Paths(fs_->Glob(root_ + "a?.parquet")),
            (std::vector<std::string>{root_ + "ab.parquet"}));
  EXPECT_EQ(Paths(fs_->Glob(root_ + "a/x.parquet")),
            (std::vector<std::string>{root_ + "a/x.parquet"}));
  EXPECT_EQ(Paths(fs_->Glob(root_ + "a/sub")),
            (std::vector<std::string>{root_ + "a/sub/z.parquet"}));
  try {
    fs_->Glob(root_ + "nothing/*.parquet");
    FAIL() << "expected NotFound";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(error.what()).find(root_ + "nothing/*.parquet"), std::string::npos);
  }
  EXPECT_THROW(fs_->Glob(root_ + "missing"), Error);

  // Pages of 3 keys: the continuation tokens are followed to the end.
  for (int i = 0; i < 10; ++i)
    WriteWholeFile(*fs_, root_ + fmt::format("p/{:02}", i), std::string_view("x"));
  S3ListPage first = server_->client()->ListObjectsV2(bucket_, "p/", "/", "", 3);
  EXPECT_EQ(first.objects.size(), 3u);
  EXPECT_FALSE(first.next_continuation_token.empty());
  std::vector<S3ObjectInfo> all = server_->client()->ListAll(bucket_, "p/", "", nullptr, 3);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[9].key, "p/09");
  std::vector<std::string> prefixes;
  server_->client()->ListAll(bucket_, "c/", "/", &prefixes, 1);
  EXPECT_EQ(prefixes, (std::vector<std::string>{"c/dt=1/", "c/dt=2/"}));
  DirectoryListing listing = fs_->ListDirectory(root_ + "a");
  EXPECT_EQ(Paths(listing.files), Paths(fs_->List(root_ + "a")));
  EXPECT_EQ(listing.directories, (std::vector<std::string>{root_ + "a/sub"}));
  EXPECT_EQ(fs_->ListDirectory(root_).directories,
            (std::vector<std::string>{root_ + "a", root_ + "c", root_ + "p"}));
  EXPECT_TRUE(fs_->ListDirectory(root_ + "none").files.empty());
}

TEST_F(S3FileSystemTest, KeysThatNeedEncoding) {
  for (std::string key : {"sp ace/a+b=c&d.txt", "caf\xc3\xa9/\xe6\x97\xa5.bin",
                          "odd/!'()*~$@,;:", "dots/../x", "q/what?x=1#frag", "double//slash"}) {
    WriteWholeFile(*fs_, root_ + key, key);
    EXPECT_EQ(ReadWholeFile(*fs_, root_ + key), key) << key;
    EXPECT_EQ(fs_->Stat(root_ + key).size, static_cast<int64_t>(key.size())) << key;
  }
  EXPECT_EQ(Paths(fs_->Glob(root_ + "sp ace/*")),
            (std::vector<std::string>{root_ + "sp ace/a+b=c&d.txt"}));
}

TEST_F(S3FileSystemTest, RenameAndDelete) {
  WriteWholeFile(*fs_, root_ + "from", std::string_view("payload"));
  fs_->Rename(root_ + "from", root_ + "to/here");
  EXPECT_EQ(ReadWholeFile(*fs_, root_ + "to/here"), "payload");
  EXPECT_THROW(fs_->Stat(root_ + "from"), Error);
  fs_->Delete(root_ + "to/here");
  fs_->Delete(root_ + "to/here");  // already gone: fine
  EXPECT_TRUE(fs_->List(root_ + "to").empty());
}

TEST_F(S3FileSystemTest, ConcurrentRangedReads) {
  std::string data = Bytes(1 << 20, 3);
  WriteWholeFile(*fs_, root_ + "shared", data);
  auto file = fs_->OpenForRead(root_ + "shared");
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::string buffer(10'000, '\0');
      for (int i = 0; i < 10; ++i) {
        int64_t offset = (t * 10 + i) * 10'000;
        file->ReadAt(offset, buffer);
        if (buffer != data.substr(offset, 10'000)) mismatches++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(S3FileSystemTest, AnObjectReplacedUnderAReaderFailsInsteadOfMixing) {
  WriteWholeFile(*fs_, root_ + "changing", Bytes(1000, 1));
  auto file = fs_->OpenForRead(root_ + "changing");
  WriteWholeFile(*fs_, root_ + "changing", Bytes(1000, 2));
  std::string buffer(100, '\0');
  try {
    file->ReadAt(0, buffer);
    FAIL() << "expected a conflict";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kConflict) << error.what();
    EXPECT_EQ(error.ContextValue("http status"), "412");
  }
}

TEST_F(S3FileSystemTest, ErrorsNameTheUrlOperationStatusAndCode) {
  try {
    fs_->OpenForRead(root_ + "no/such/key");
    FAIL() << "expected NotFound";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(error.ContextValue("url"), root_ + "no/such/key");
    EXPECT_EQ(error.ContextValue("operation"), "HeadObject");
    EXPECT_EQ(error.ContextValue("http status"), "404");
  }
  try {
    ReadWholeFile(*fs_, "s3://no-such-bucket-here/key");
    FAIL() << "expected NotFound";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  }
  try {
    fs_->List("s3://no-such-bucket-here/dir");
    FAIL() << "expected NotFound";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(error.ContextValue("s3 error"), "NoSuchBucket");
    EXPECT_EQ(error.ContextValue("operation"), "ListObjectsV2");
  }
  WriteWholeFile(*fs_, root_ + "secret-test", std::string_view("x"));

  // A wrong secret: the server rejects the signature; the error names it, never the secret.
  AwsConfig wrong = server_->Config();
  wrong.credentials.secret_access_key = "WRONG-SECRET-do-not-print";
  auto bad_fs = MakeS3FileSystem(std::make_shared<S3Client>(wrong));
  for (auto op : {+[](FileSystem&fs, const std::string&root) { fs.Stat(root + "secret-test"); },
                  +[](FileSystem&fs, const std::string&root) {
                    WriteWholeFile(fs, root + "new", std::string_view("data"));
                  }}) {
    try {
      op(*bad_fs, root_);
      FAIL() << "expected a signature error";
    } catch (const Error& error) {
      std::string text = error.what();
      EXPECT_EQ(error.kind(), ErrorKind::kIo) << text;
      EXPECT_EQ(error.ContextValue("http status"), "403") << text;
      EXPECT_EQ(text.find("WRONG-SECRET"), std::string::npos) << text;
      EXPECT_EQ(text.find(std::string(testing::S3Server::kSecretKey)), std::string::npos);
      EXPECT_NE(text.find(root_), std::string::npos) << text;
    }
  }
  try {
    WriteWholeFile(*bad_fs, root_ + "new", std::string_view("data"));
  } catch (const Error& error) {
    EXPECT_EQ(error.ContextValue("s3 error"), "SignatureDoesNotMatch");
    EXPECT_EQ(error.ContextValue("attempts"), "1");  // not retried
  }
  AwsConfig unknown = server_->Config();
  unknown.credentials.access_key_id = "NOSUCHKEY";
  try {
    WriteWholeFile(*MakeS3FileSystem(std::make_shared<S3Client>(unknown)), root_ + "new",
                   std::string_view("d"));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.ContextValue("s3 error"), "InvalidAccessKeyId");
  }
  EXPECT_THROW(fs_->OpenForRead("s3://" + bucket_ + "/"), Error);  // no key
}

// Every second request through the proxy fails (503, 500, resets before and in the middle of an
// answer, bodies cut short), including requests the server did carry out: every operation still
// ends with the right result, and nothing half-done is left.
TEST_F(S3FileSystemTest, EverySecondRequestFailingStillGivesTheRightResults) {
  testing::FaultProxy proxy(server_->endpoint(), 2);
  AwsConfig config = server_->Config();
  config.endpoint = proxy.endpoint();
  S3ClientOptions options;
  options.retry.base_delay = std::chrono::milliseconds(1);
  options.retry.max_delay = std::chrono::milliseconds(20);
  options.retry.max_attempts = 20;
  auto client = std::make_shared<S3Client>(config, options);
  auto faulty = MakeS3FileSystem(client, {.part_size = kPart});

  std::string big = Bytes(2 * kPart + 777, 11);
  std::string small = Bytes(3000, 12);
  WriteWholeFile(*faulty, root_ + "f/big", big);
  WriteWholeFile(*faulty, root_ + "f/small", small);
  EXPECT_EQ(ReadWholeFile(*fs_, root_ + "f/big"), big);  // checked without the proxy
  EXPECT_EQ(ReadWholeFile(*faulty, root_ + "f/small"), small);
  auto file = faulty->OpenForRead(root_ + "f/big");
  for (int64_t offset : {int64_t{0}, kPart - 100, 2 * kPart}) {
    std::string buffer(777, '\0');
    EXPECT_EQ(file->ReadAt(offset, buffer), 777u);
    EXPECT_EQ(buffer, big.substr(static_cast<size_t>(offset), 777));
  }
  for (int i = 0; i < 6; ++i) {
    WriteWholeFile(*faulty, root_ + fmt::format("f/many/{}", i), std::string_view("x"));
  }
  EXPECT_EQ(faulty->List(root_ + "f/many").size(), 6u);
  EXPECT_EQ(faulty->Glob(root_ + "f/*").size(), 2u);
  faulty->Rename(root_ + "f/small", root_ + "f/moved");
  EXPECT_EQ(ReadWholeFile(*fs_, root_ + "f/moved"), small);
  faulty->Delete(root_ + "f/moved");
  EXPECT_THROW(fs_->Stat(root_ + "f/moved"), Error);
  EXPECT_EQ(OpenUploads(), 0u);
  EXPECT_GT(proxy.faults(), 10);
  EXPECT_GT(client->counts().retries, 10);
}

TEST_F(S3FileSystemTest, FileSystemForPicksByScheme) {
  EXPECT_EQ(FileSystemFor("/tmp/x.parquet"), LocalFileSystem());
  EXPECT_EQ(FileSystemFor("relative/x.parquet"), LocalFileSystem());
  for (const auto& [name, value] : server_->Environment()) setenv(name.c_str(), value.c_str(), 1);
  std::shared_ptr<FileSystem> s3 = FileSystemFor(root_ + "x");
  EXPECT_NE(s3, LocalFileSystem());
  EXPECT_EQ(FileSystemFor("S3://other-bucket/y"), s3);
  WriteWholeFile(*s3, root_ + "via-env", std::string_view("hello"));
  EXPECT_EQ(ReadWholeFile(*fs_, root_ + "via-env"), "hello");
}

}  // namespace
}  // namespace sluice::fs
