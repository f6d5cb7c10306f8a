// The few pieces of XML that S3 answers with (ListBucketResult, InitiateMultipartUploadResult,
// Error...) are flat: known element names holding text or other known elements, no CDATA, no
// mixed content. These functions read them by element name, without a general XML parser, and
// escape text for the one XML body sluice sends (CompleteMultipartUpload).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::fs {

// The inner XML of every <name>...</name> (or <name attr="...">) element, in order; nested
// elements of the same name are not supported (S3 has none).
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view name);
// The decoded text of the first <name> element, or "" when there is none.
std::string XmlText(std::string_view xml, std::string_view name);
// Decodes &amp; &lt; &gt; &quot; &apos; and numeric references (&#38; &#x26;).
std::string XmlDecode(std::string_view text);
// Escapes & < > " ' for text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace sluice::fs
