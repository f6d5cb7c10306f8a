#include "sluice/io/fs/s3_url.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice::fs {
namespace {

TEST(S3Url, Parses) {
  S3Url url = ParseS3Url("s3://my-bucket/dir/a b?.parquet");
  EXPECT_EQ(url.bucket, "my-bucket");
  EXPECT_EQ(url.key, "dir/a b?.parquet");
  EXPECT_EQ(url.ToString(), "s3://my-bucket/dir/a b?.parquet");
  EXPECT_EQ(ParseS3Url("S3://bucket").key, "");
  EXPECT_EQ(ParseS3Url("s3://bucket/").key, "");
  EXPECT_EQ(ParseS3Url("s3://bucket/dir/").key, "dir/");
  EXPECT_TRUE(IsS3Url("s3://x"));
  EXPECT_FALSE(IsS3Url("/data/s3://x"));
  EXPECT_FALSE(IsS3Url("s3:/x"));
}

TEST(S3Url, RejectsBadBuckets) {
  for (const char* bad : {"s3://", "s3:///key", "s3://ab/key", "s3://Upper/key", "/local/path"}) {
    EXPECT_THROW(ParseS3Url(bad), Error) << bad;
  }
}

}  // namespace
}  // namespace sluice::fs
