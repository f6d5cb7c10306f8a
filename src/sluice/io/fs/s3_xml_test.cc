#include "sluice/io/fs/s3_xml.h"

#include <gtest/gtest.h>

namespace sluice::fs {
namespace {

TEST(S3Xml, ReadsAListBucketResult) {
  std::string xml =
      R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      "<Name>b</Name><Prefix>d/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>t&amp;1</NextContinuationToken>"
      "<Contents><Key>d/a&lt;1&gt;.parquet</Key><Size>10</Size><ETag>&quot;e1&quot;</ETag>"
      "</Contents><Contents><Key>d/caf&#233;</Key><Size>0</Size></Contents>"
      "<CommonPrefixes><Prefix>d/x=1/</Prefix></CommonPrefixes><Marker/></ListBucketResult>";
  auto contents = XmlElements(xml, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(XmlText(contents[0], "Key"), "d/a<1>.parquet");
  EXPECT_EQ(XmlText(contents[0], "ETag"), "\"e1\"");
  EXPECT_EQ(XmlText(contents[1], "Key"), "d/caf\xc3\xa9");
  EXPECT_EQ(XmlText(xml, "Key"), "d/a<1>.parquet");  // <KeyCount> is not <Key>
  EXPECT_EQ(XmlText(xml, "KeyCount"), "2");
  EXPECT_EQ(XmlText(xml, "NextContinuationToken"), "t&1");
  EXPECT_EQ(XmlText(XmlElements(xml, "CommonPrefixes")[0], "Prefix"), "d/x=1/");
  EXPECT_EQ(XmlElements(xml, "Marker").size(), 1u);
  EXPECT_EQ(XmlText(xml, "Missing"), "");
}

TEST(S3Xml, EscapesAndDecodesRoundTrip) {
  std::string text = "a&b<c>\"d'e&#x26;";
  EXPECT_EQ(XmlEscape(text), "a&amp;b&lt;c&gt;&quot;d&apos;e&amp;#x26;");
  EXPECT_EQ(XmlDecode(XmlEscape(text)), text);
  EXPECT_EQ(XmlDecode("&#x26;&#38;&unknown;&"), "&&&unknown;&");
}

}  // namespace
}  // namespace sluice::fs
