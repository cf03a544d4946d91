// ParseFeed: bytes -> UTF-8 (charset.h) -> XML DOM (pugixml, repaired when malformed) ->
// Feed. The walk over the DOM is namespace-aware but forgiving: element names compare without
// case, and the usual prefixes (dc:, content:, atom: ...) work even when undeclared.
#include "feeds/parser.h"

#include <curl/curl.h>

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "feeds/charset.h"
#include "feeds/date.h"
#include "feeds/html_text.h"

namespace raqib::feeds {
namespace {

// Bounds on hostile input (a real feed is far below each).
constexpr std::size_t kMaxDocumentBytes = 16 << 20;  // the fetcher's default body cap
constexpr std::size_t kMaxItems = 10000;
constexpr int kMaxRepairs = 32;
constexpr std::size_t kMaxRepairWork = 128 << 20;  // bytes re-parsed across all repairs
constexpr int kMaxAncestors = 256;                 // namespace and xml:base look-ups

enum class Ns {
  kNone,
  kAtom10,
  kAtom03,
  kRss10,
  kRss090,
  kRdf,
  kDc,
  kDcTerms,
  kContent,
  kSy,
  kXhtml,
  kMedia,
  kItunes,
  kOther
};

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool IEqualsSameSize(std::string_view a, std::string_view b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Element names compare without case (ASCII only, no locale: this runs for every element).
// Most comparisons fail on the size, which is worth inlining where they are made.
inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && IEqualsSameSize(a, b);
}

std::string_view Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

Ns NsFromUri(std::string_view uri) {
  uri = Trim(uri);
  if (uri.empty()) return Ns::kNone;  // xmlns="" undeclares the default namespace
  while (!uri.empty() && uri.back() == '/') uri.remove_suffix(1);
  struct Known {
    std::string_view uri;
    Ns ns;
  };
  static constexpr Known kKnown[] = {
      {"http://www.w3.org/2005/Atom", Ns::kAtom10},
      {"http://purl.org/atom/ns#", Ns::kAtom03},
      {"http://purl.org/rss/1.0", Ns::kRss10},
      {"http://my.netscape.com/rdf/simple/0.9", Ns::kRss090},
      {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", Ns::kRdf},
      {"http://purl.org/dc/elements/1.1", Ns::kDc},
      {"http://purl.org/dc/terms", Ns::kDcTerms},
      {"http://purl.org/rss/1.0/modules/content", Ns::kContent},
      {"http://purl.org/rss/1.0/modules/syndication", Ns::kSy},
      {"http://www.w3.org/1999/xhtml", Ns::kXhtml},
      {"http://search.yahoo.com/mrss", Ns::kMedia},
      {"http://www.itunes.com/dtds/podcast-1.0.dtd", Ns::kItunes},
      {"http://backend.userland.com/rss2", Ns::kNone},
      {"http://blogs.law.harvard.edu/tech/rss", Ns::kNone},
  };
  // Namespaces are nearly always written exactly as specified: try that (a memcmp) first.
  for (const Known& known : kKnown) {
    if (uri == known.uri) return known.ns;
  }
  for (const Known& known : kKnown) {
    if (IEquals(uri, known.uri)) return known.ns;
  }
  // Some feeds write the Atom namespaces with https or without "www.".
  if (uri.find("w3.org/2005/Atom") != std::string_view::npos) return Ns::kAtom10;
  if (uri.find("purl.org/atom/ns") != std::string_view::npos) return Ns::kAtom03;
  return Ns::kOther;
}

// Prefixes so common that feeds use them without declaring them.
Ns NsFromUndeclaredPrefix(std::string_view prefix) {
  if (IEquals(prefix, "dc")) return Ns::kDc;
  if (IEquals(prefix, "dcterms")) return Ns::kDcTerms;
  if (IEquals(prefix, "content")) return Ns::kContent;
  if (IEquals(prefix, "sy")) return Ns::kSy;
  if (IEquals(prefix, "atom")) return Ns::kAtom10;
  if (IEquals(prefix, "media")) return Ns::kMedia;
  if (IEquals(prefix, "itunes")) return Ns::kItunes;
  if (IEquals(prefix, "rdf")) return Ns::kRdf;
  if (IEquals(prefix, "xhtml")) return Ns::kXhtml;
  return Ns::kOther;
}

struct Name {
  Ns ns = Ns::kNone;
  std::string_view local;

  bool Is(Ns want, std::string_view name) const { return ns == want && IEquals(local, name); }
  // RSS's own elements: no namespace in 0.9x/2.0, the RSS 1.0 or 0.90 namespace in RDF.
  bool IsRss(std::string_view name) const {
    return (ns == Ns::kNone || ns == Ns::kRss10 || ns == Ns::kRss090) && IEquals(local, name);
  }
  bool IsAtom(std::string_view name) const {
    return (ns == Ns::kAtom10 || ns == Ns::kAtom03) && IEquals(local, name);
  }
};

// Every child of an element asks its ancestors the same question ("which namespace is this
// prefix?"), and the walk up through their attributes was a good part of reading a feed. The
// answers for the ancestors of a few recent parents are kept here. Nodes are only valid while
// their document lives, and the next document may reuse their addresses, so ParseFeed empties
// the cache before each document; nothing else uses it.
class NamespaceCache {
 public:
  void Clear() {
    for (Entry& entry : entries_) entry.parent = nullptr;
  }

  // Null for an unknown parent (and for a node without one: emptied entries have no parent).
  const Ns* Find(const void* parent, std::string_view prefix) const {
    if (parent == nullptr) return nullptr;
    for (const Entry& entry : entries_) {
      if (entry.parent == parent && entry.prefix == prefix) return &entry.ns;
    }
    return nullptr;
  }

  void Add(const void* parent, std::string_view prefix, Ns ns) {
    entries_[next_] = {parent, prefix, ns};
    next_ = (next_ + 1) % entries_.size();
  }

 private:
  struct Entry {
    const void* parent = nullptr;
    std::string_view prefix;  // in the document's memory, like the node
    Ns ns = Ns::kNone;
  };
  std::array<Entry, 8> entries_;
  std::size_t next_ = 0;
};

thread_local NamespaceCache namespace_cache;

// Resolves an element's prefix against the xmlns declarations in scope.
Name Resolve(pugi::xml_node node) {
  const std::string_view qname = node.name();
  const std::size_t colon = qname.find(':');
  Name name;
  std::string attribute = "xmlns";
  std::string_view prefix;
  if (colon != std::string_view::npos) {
    prefix = qname.substr(0, colon);
    name.local = qname.substr(colon + 1);
    attribute += ':';
    attribute += prefix;
  } else {
    name.local = qname;
  }
  if (pugi::xml_attribute a = node.attribute(attribute.c_str())) {
    name.ns = NsFromUri(a.value());
    return name;
  }
  // Not declared on the element itself: what its ancestors say (the same for all its siblings).
  const pugi::xml_node parent = node.parent();
  const void* const key = parent.internal_object();
  if (const Ns* known = namespace_cache.Find(key, prefix)) {
    name.ns = *known;
    return name;
  }
  name.ns = prefix.empty() ? Ns::kNone : NsFromUndeclaredPrefix(prefix);
  int depth = 1;
  for (pugi::xml_node n = parent; n && n.type() == pugi::node_element && depth < kMaxAncestors;
       n = n.parent(), ++depth) {
    if (pugi::xml_attribute a = n.attribute(attribute.c_str())) {
      name.ns = NsFromUri(a.value());
      break;
    }
  }
  namespace_cache.Add(key, prefix, name.ns);
  return name;
}

// The character data of an element: its text and CDATA children. An element holding markup
// ("naked" HTML, Atom xhtml) gives its inner XML instead.
// (Printed straight into a string: a std::ostringstream costs more to set up than most
// fragments cost to print.)
class StringWriter : public pugi::xml_writer {
 public:
  void write(const void* data, std::size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
  std::string out;
};

std::string InnerXml(pugi::xml_node node) {
  StringWriter writer;
  for (pugi::xml_node child : node.children()) {
    child.print(writer, "", pugi::format_raw);
  }
  return std::move(writer.out);
}

// Character data that is either the DOM's own (a view, valid while the document lives) or a
// string of its own: most elements hold one text node, and copying it only to read it was a
// good part of the allocations per item.
class Chars {
 public:
  Chars() = default;
  explicit Chars(std::string_view view) : view_(view) {}
  explicit Chars(std::string owned) : owned_(std::move(owned)), is_owned_(true) {}

  operator std::string_view() const { return is_owned_ ? std::string_view(owned_) : view_; }
  std::string_view view() const { return *this; }

 private:
  std::string_view view_;
  std::string owned_;
  bool is_owned_ = false;
};

Chars RawText(pugi::xml_node node) {
  const pugi::xml_node first = node.first_child();
  if (!first) return Chars();
  if ((first.type() == pugi::node_pcdata || first.type() == pugi::node_cdata) &&
      !first.next_sibling()) {
    return Chars(std::string_view(first.value()));
  }
  bool has_elements = false;
  std::string text;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    } else if (child.type() == pugi::node_element) {
      has_elements = true;
    }
  }
  if (has_elements) return Chars(InnerXml(node));
  return Chars(std::move(text));
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string DecodeBase64(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+' || c == '-')
      value = 62;
    else if (c == '/' || c == '_')
      value = 63;
    else
      continue;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return IsValidUtf8(out) ? out : std::string();
}

// An Atom text construct (or Atom 0.3 content) as HTML and as plain text.
struct Text {
  std::string html;
  std::string plain;
};

Text AtomText(pugi::xml_node node) {
  std::string type = node.attribute("type").value();
  for (char& c : type) c = AsciiLower(c);  // media types are ASCII: no locale look-up
  const std::string_view mode = node.attribute("mode").value();
  Text text;
  if (type == "xhtml" || type == "application/xhtml+xml" || IEquals(mode, "xml")) {
    // The content is the inside of one xhtml:div (for Atom 1.0): leave the wrapper out.
    pugi::xml_node inner = node;
    pugi::xml_node first = node.find_child([](pugi::xml_node n) {
      return n.type() == pugi::node_element || n.type() == pugi::node_pcdata;
    });
    if (first && first.type() == pugi::node_element && IEquals(Resolve(first).local, "div") &&
        !first.next_sibling(first.name())) {
      inner = first;
    }
    text.html = InnerXml(inner);
    text.plain = HtmlToText(text.html);
  } else if (IEquals(mode, "base64")) {
    text.html = DecodeBase64(RawText(node));
    text.plain = HtmlToText(text.html);
  } else if (type == "html" || type == "text/html" || IEquals(mode, "escaped")) {
    text.html = RawText(node);
    text.plain = HtmlToText(text.html);
  } else if (type.empty() || type == "text" || type == "text/plain") {
    const Chars chars = RawText(node);
    const std::string_view raw = chars;
    // Atom 0.3 content had no type rules in practice: HTML-looking text is HTML.
    const bool atom03_markup =
        Resolve(node).ns == Ns::kAtom03 && raw.find('<') != std::string_view::npos;
    if (atom03_markup) {
      text.html = raw;
      text.plain = HtmlToText(raw);
    } else {
      text.html = EscapeHtml(raw);
      text.plain = CollapseSpace(raw);
    }
  } else if (type.starts_with("text/") || type.find("xml") != std::string::npos ||
             type.find("json") != std::string::npos) {
    // Another textual media type: its characters are the content.
    const Chars chars = RawText(node);
    const std::string_view raw = chars;
    text.html = EscapeHtml(raw);
    text.plain = CollapseSpace(raw);
  } else {
    // A binary media type is base64 (RFC 4287 4.1.3.3); show it only if it decodes to text.
    text.html = DecodeBase64(RawText(node));
    text.plain = HtmlToText(text.html);
  }
  return text;
}

// Resolves `reference` against the xml:base values in scope at `node` and the feed's URL.
class UrlResolver {
 public:
  explicit UrlResolver(std::string_view feed_url) : feed_url_(Trim(feed_url)) {}

  std::string Resolve(pugi::xml_node node, std::string_view reference) const {
    reference = Trim(reference);
    std::vector<std::string_view> bases;
    int depth = 0;
    for (pugi::xml_node n = node; n && n.type() == pugi::node_element && depth < kMaxAncestors;
         n = n.parent(), ++depth) {
      if (pugi::xml_attribute a = n.attribute("xml:base")) bases.emplace_back(a.value());
    }
    if (HasScheme(reference)) return std::string(reference);
    std::string base(feed_url_);
    for (auto it = bases.rbegin(); it != bases.rend(); ++it) base = Join(base, Trim(*it));
    return Join(base, reference);
  }

 private:
  static bool HasScheme(std::string_view url) {
    // ASCII classes by hand: std::isalpha and friends are a locale look-up per character.
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (url.empty() || !alpha(url[0])) return false;
    for (std::size_t i = 1; i < url.size(); ++i) {
      const char c = url[i];
      if (c == ':') return i > 1;  // "c:" is more likely a Windows path than a scheme
      if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
        return false;
      }
    }
    return false;
  }

  // RFC 3986 reference resolution by libcurl; an unusable base leaves the reference as it is.
  static std::string Join(std::string_view base, std::string_view reference) {
    if (HasScheme(reference) || base.empty()) return std::string(reference);
    if (!HasScheme(base)) return std::string(reference);
    struct UrlCloser {
      void operator()(CURLU* url) const { curl_url_cleanup(url); }
    };
    std::unique_ptr<CURLU, UrlCloser> url(curl_url());
    if (!url) return std::string(reference);
    const std::string base_string(base);
    const unsigned flags = CURLU_NON_SUPPORT_SCHEME;
    if (curl_url_set(url.get(), CURLUPART_URL, base_string.c_str(), flags) != CURLUE_OK) {
      return std::string(reference);
    }
    if (reference.empty()) {
      // An empty reference is the base itself (its fragment dropped).
    } else {
      const std::string reference_string(reference);
      if (curl_url_set(url.get(), CURLUPART_URL, reference_string.c_str(),
                       flags | CURLU_URLENCODE) != CURLUE_OK &&
          curl_url_set(url.get(), CURLUPART_URL, reference_string.c_str(), flags) != CURLUE_OK) {
        return std::string(reference);
      }
    }
    char* out = nullptr;
    if (curl_url_get(url.get(), CURLUPART_URL, &out, 0) != CURLUE_OK || out == nullptr) {
      return std::string(reference);
    }
    std::string result(out);
    curl_free(out);
    return result;
  }

  std::string_view feed_url_;
};

std::uint64_t Fnv1a(std::string_view data, std::uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string HashId(const FeedItem& item) {
  std::uint64_t hash = Fnv1a(item.title);
  hash = Fnv1a(std::string_view("\0", 1), hash);
  hash = Fnv1a(item.summary.empty() ? item.content : item.summary, hash);
  // "hash:" and sixteen lower-case hex digits (written by hand: snprintf cost more than the
  // hash for short items).
  std::string id = "hash:0000000000000000";
  for (std::size_t k = id.size(); hash != 0; hash >>= 4) id[--k] = "0123456789abcdef"[hash & 0xF];
  return id;
}

void AddUnique(std::vector<std::string>& list, std::string value) {
  if (value.empty()) return;
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

std::int64_t ToInt(std::string_view text) {
  text = Trim(text);
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    if (value > (INT64_MAX - 9) / 10) return 0;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Builds a Feed from a DOM. Fields are first-found-wins unless a better source appears.
class FeedBuilder {
 public:
  FeedBuilder(const UrlResolver& resolver, Feed& feed) : resolver_(resolver), feed_(feed) {}

  // Returns false when the root is not a feed.
  bool Build(pugi::xml_node root) {
    const Name name = Resolve(root);
    if (IEquals(name.local, "rss")) {
      feed_.format = RssFormat(root.attribute("version").value());
      pugi::xml_node channel = FindRss(root, "channel");
      ReadRssChannel(channel ? channel : root);
      // Some feeds put items beside the channel instead of inside it.
      if (channel) ReadRssItems(root);
      return true;
    }
    if (IEquals(name.local, "RDF")) {
      pugi::xml_node channel = FindRss(root, "channel");
      const Ns ns = channel ? Resolve(channel).ns : name.ns;
      feed_.format = ns == Ns::kRss090 ? FeedFormat::kRss090 : FeedFormat::kRss10;
      if (channel) ReadRssChannel(channel);
      ReadRssItems(root);
      return true;
    }
    if (IEquals(name.local, "channel")) {
      feed_.format = FeedFormat::kRss091;
      ReadRssChannel(root);
      return true;
    }
    if (IEquals(name.local, "feed")) {
      const std::string_view version = root.attribute("version").value();
      feed_.format = (name.ns == Ns::kAtom03 || version.starts_with("0.")) ? FeedFormat::kAtom03
                                                                           : FeedFormat::kAtom10;
      ReadAtomFeed(root);
      return true;
    }
    return false;
  }

 private:
  static FeedFormat RssFormat(std::string_view version) {
    version = Trim(version);
    if (version == "0.90" || version == "0.9") return FeedFormat::kRss090;
    if (version == "0.91") return FeedFormat::kRss091;
    if (version.starts_with("0.9")) return FeedFormat::kRss092;
    return FeedFormat::kRss20;
  }

  static pugi::xml_node FindRss(pugi::xml_node parent, std::string_view local) {
    for (pugi::xml_node child : parent.children()) {
      if (child.type() == pugi::node_element && Resolve(child).IsRss(local)) return child;
    }
    return {};
  }

  static std::string Lang(pugi::xml_node node) {
    int depth = 0;
    for (pugi::xml_node n = node; n && n.type() == pugi::node_element && depth < kMaxAncestors;
         n = n.parent(), ++depth) {
      if (pugi::xml_attribute a = n.attribute("xml:lang")) return CollapseSpace(a.value());
    }
    return {};
  }

  // sy:updatePeriod / sy:updateFrequency -> seconds between updates.
  // What both RSS and Atom do once the feed's own elements are read: the language falls back
  // to xml:lang and is written with '-', and sy:updatePeriod becomes the ttl.
  void FinishFeedMetadata(pugi::xml_node node) {
    if (feed_.language.empty()) feed_.language = Lang(node);
    std::replace(feed_.language.begin(), feed_.language.end(), '_', '-');
    ApplySyndication();
  }

  void ApplySyndication() {
    if (feed_.ttl || sy_period_.empty()) return;
    const std::string period = CollapseSpace(sy_period_);
    std::int64_t seconds = 0;
    if (IEquals(period, "hourly"))
      seconds = 3600;
    else if (IEquals(period, "daily"))
      seconds = 86400;
    else if (IEquals(period, "weekly"))
      seconds = 7 * 86400;
    else if (IEquals(period, "monthly"))
      seconds = 30 * 86400;
    else if (IEquals(period, "yearly"))
      seconds = 365 * 86400;
    if (seconds == 0) return;
    const std::int64_t frequency = std::max<std::int64_t>(1, sy_frequency_);
    feed_.ttl = std::chrono::seconds{seconds / frequency};
  }

  void ReadFeedCommon(pugi::xml_node child, const Name& name) {
    if (name.Is(Ns::kSy, "updatePeriod")) sy_period_ = RawText(child);
    if (name.Is(Ns::kSy, "updateFrequency")) sy_frequency_ = ToInt(RawText(child));
    if (name.Is(Ns::kDc, "language") && feed_.language.empty()) {
      feed_.language = CollapseSpace(RawText(child));
    }
    if (name.Is(Ns::kDc, "date") && !feed_.updated) feed_.updated = ParseDate(RawText(child));
    if (name.Is(Ns::kDc, "title") && feed_.title.empty()) feed_.title = HtmlToText(RawText(child));
    if (name.Is(Ns::kAtom10, "link") && feed_.link.empty()) {
      const std::string_view rel = child.attribute("rel").value();
      if (rel.empty() || IEquals(rel, "alternate")) {
        feed_.link = resolver_.Resolve(child, child.attribute("href").value());
      }
    }
  }

  void ReadRssChannel(pugi::xml_node channel) {
    for (pugi::xml_node child : channel.children()) {
      if (child.type() != pugi::node_element) continue;
      const Name name = Resolve(child);
      if (name.IsRss("item")) {
        ReadRssItem(child);
      } else if (name.IsRss("title")) {
        if (feed_.title.empty()) feed_.title = HtmlToText(RawText(child));
      } else if (name.IsRss("link")) {
        const Chars raw = RawText(child);
        const std::string_view link = Trim(raw);
        if (feed_.link.empty() && !link.empty()) feed_.link = resolver_.Resolve(child, link);
      } else if (name.IsRss("description")) {
        if (feed_.description.empty()) feed_.description = HtmlToText(RawText(child));
      } else if (name.IsRss("language")) {
        if (feed_.language.empty()) feed_.language = CollapseSpace(RawText(child));
      } else if (name.IsRss("ttl")) {
        if (const std::int64_t minutes = ToInt(RawText(child)); minutes > 0 && minutes < 1000000) {
          feed_.ttl = std::chrono::seconds{minutes * 60};
        }
      } else if (name.IsRss("lastBuildDate") || name.IsRss("pubDate")) {
        if (!feed_.updated || name.IsRss("lastBuildDate")) {
          if (auto date = ParseDate(RawText(child))) feed_.updated = date;
        }
      } else {
        ReadFeedCommon(child, name);
      }
    }
    FinishFeedMetadata(channel);
  }

  void ReadRssItems(pugi::xml_node parent) {
    for (pugi::xml_node child : parent.children()) {
      if (child.type() == pugi::node_element && Resolve(child).IsRss("item")) ReadRssItem(child);
    }
  }

  void AddEnclosure(FeedItem& item, pugi::xml_node node, std::string_view url_attribute) {
    const std::string_view url = Trim(node.attribute(url_attribute.data()).value());
    if (url.empty()) return;
    Enclosure enclosure;
    enclosure.url = resolver_.Resolve(node, url);
    enclosure.type = CollapseSpace(node.attribute("type").value());
    enclosure.length =
        ToInt(node.attribute(IEquals(url_attribute, "href") ? "length" : "length").value());
    if (enclosure.length == 0) enclosure.length = ToInt(node.attribute("fileSize").value());
    for (const Enclosure& existing : item.enclosures) {
      if (existing.url == enclosure.url) return;
    }
    item.enclosures.push_back(std::move(enclosure));
  }

  // The parts of RSS and Atom items that extensions (dc:, content:, atom: in RSS, media:)
  // provide; `fallback_*` collect values used only when the core elements are missing.
  struct Pending {
    std::string guid;
    bool guid_is_permalink = false;
    std::string about;  // rdf:about
    std::optional<Timestamp> dc_date;
    std::optional<Timestamp> created;
    std::string content_html;
    Chars summary_html;  // read only through HtmlToText: may stay in the DOM
    bool have_content = false;
    bool have_summary = false;
    std::string atom_link;
    std::string rss_title;
    bool have_title = false;
  };

  void ReadExtension(pugi::xml_node child, const Name& name, FeedItem& item, Pending& pending) {
    switch (name.ns) {
      case Ns::kDc:
        if (IEquals(name.local, "creator") || IEquals(name.local, "author") ||
            IEquals(name.local, "contributor")) {
          AddUnique(item.authors, CollapseSpace(HtmlToText(RawText(child))));
        } else if (IEquals(name.local, "subject")) {
          AddUnique(item.categories, CollapseSpace(HtmlToText(RawText(child))));
        } else if (IEquals(name.local, "date")) {
          if (!pending.dc_date) pending.dc_date = ParseDate(RawText(child));
        } else if (IEquals(name.local, "title") && !pending.have_title) {
          item.title = HtmlToText(RawText(child));
          pending.have_title = true;
        } else if (IEquals(name.local, "description") && !pending.have_summary) {
          pending.summary_html = RawText(child);
          pending.have_summary = true;
        } else if (IEquals(name.local, "identifier") && pending.guid.empty()) {
          pending.guid = Trim(RawText(child));
        }
        break;
      case Ns::kDcTerms:
        if (IEquals(name.local, "modified")) {
          if (!item.updated) item.updated = ParseDate(RawText(child));
        } else if (IEquals(name.local, "issued") || IEquals(name.local, "created")) {
          if (!pending.created) pending.created = ParseDate(RawText(child));
        }
        break;
      case Ns::kContent:
        if (IEquals(name.local, "encoded") && !pending.have_content) {
          pending.content_html = RawText(child);
          pending.have_content = true;
        }
        break;
      case Ns::kAtom10:
      case Ns::kAtom03:
        if (IEquals(name.local, "link")) {
          const std::string_view rel = child.attribute("rel").value();
          if (IEquals(rel, "enclosure")) {
            AddEnclosure(item, child, "href");
          } else if ((rel.empty() || IEquals(rel, "alternate")) && pending.atom_link.empty()) {
            pending.atom_link = resolver_.Resolve(child, child.attribute("href").value());
          }
        } else if (IEquals(name.local, "updated") || IEquals(name.local, "modified")) {
          if (!item.updated) item.updated = ParseDate(RawText(child));
        } else if (IEquals(name.local, "published") || IEquals(name.local, "issued")) {
          if (!pending.created) pending.created = ParseDate(RawText(child));
        } else if (IEquals(name.local, "id") && pending.guid.empty()) {
          pending.guid = Trim(RawText(child));
        } else if (IEquals(name.local, "author")) {
          AddAtomPerson(item, child);
        }
        break;
      case Ns::kMedia:
        if (IEquals(name.local, "title") && !pending.have_title) {
          item.title = HtmlToText(RawText(child));
          pending.have_title = true;
        } else if (IEquals(name.local, "content")) {
          AddEnclosure(item, child, "url");
        } else if (IEquals(name.local, "group")) {
          for (pugi::xml_node media : child.children()) {
            if (media.type() == pugi::node_element && Resolve(media).Is(Ns::kMedia, "content")) {
              AddEnclosure(item, media, "url");
            }
          }
        }
        break;
      case Ns::kItunes:
        if (IEquals(name.local, "author") && item.authors.empty()) {
          AddUnique(item.authors, CollapseSpace(RawText(child)));
        }
        break;
      case Ns::kXhtml:
        if (IEquals(name.local, "body") && !pending.have_content) {
          pending.content_html = InnerXml(child);
          pending.have_content = true;
        }
        break;
      default: break;
    }
  }

  void AddAtomPerson(FeedItem& item, pugi::xml_node person) {
    std::string name;
    std::string email;
    for (pugi::xml_node part : person.children()) {
      if (part.type() != pugi::node_element) continue;
      const Name n = Resolve(part);
      if (IEquals(n.local, "name")) name = CollapseSpace(HtmlToText(RawText(part)));
      if (IEquals(n.local, "email")) email = CollapseSpace(RawText(part));
    }
    if (name.empty() && email.empty() && !person.first_element_by_path(".")) {
      name = CollapseSpace(RawText(person));
    }
    AddUnique(item.authors, name.empty() ? email : name);
  }

  void Finish(FeedItem& item, Pending& pending) {
    if (pending.have_summary) item.summary = HtmlToText(pending.summary_html);
    if (pending.have_content) {
      item.content_html = std::move(pending.content_html);
      item.content = HtmlToText(item.content_html);
    }
    if (!item.published) item.published = pending.dc_date ? pending.dc_date : pending.created;
    if (item.link.empty()) item.link = std::move(pending.atom_link);
    // A permalink guid is the item's link when it has no other.
    if (item.link.empty() && pending.guid_is_permalink &&
        pending.guid.find("://") != std::string::npos) {
      item.link = resolver_.Resolve({}, pending.guid);
    }
    if (!pending.guid.empty()) {
      item.id = std::move(pending.guid);
    } else if (!pending.about.empty()) {
      item.id = std::move(pending.about);
    } else {
      item.id = item.link;
    }
    if (item.id.empty()) item.id = HashId(item);
  }

  bool Full() const { return feed_.items.size() >= kMaxItems; }

  void ReadRssItem(pugi::xml_node node) {
    if (Full()) return;
    FeedItem item;
    Pending pending;
    pending.about = Trim(node.attribute("rdf:about").value());
    for (pugi::xml_node child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      const Name name = Resolve(child);
      const bool core = name.ns == Ns::kNone || name.ns == Ns::kRss10 || name.ns == Ns::kRss090;
      if (!core) {
        ReadExtension(child, name, item, pending);
        continue;
      }
      if (IEquals(name.local, "title")) {
        if (!pending.have_title) {
          item.title = HtmlToText(RawText(child));
          pending.have_title = true;
        }
      } else if (IEquals(name.local, "link")) {
        const Chars raw = RawText(child);
        const std::string_view link = Trim(raw);
        if (item.link.empty() && !link.empty()) item.link = resolver_.Resolve(child, link);
      } else if (IEquals(name.local, "description")) {
        if (!pending.have_summary || pending.summary_html.view().empty()) {
          pending.summary_html = RawText(child);
          pending.have_summary = true;
        }
      } else if (IEquals(name.local, "guid")) {
        if (pending.guid.empty() || !pending.guid_is_permalink) {
          pending.guid = Trim(RawText(child));
          const std::string_view permalink = Trim(child.attribute("isPermaLink").value());
          pending.guid_is_permalink = permalink.empty() || IEquals(permalink, "true");
        }
      } else if (IEquals(name.local, "author")) {
        AddUnique(item.authors, CollapseSpace(HtmlToText(RawText(child))));
      } else if (IEquals(name.local, "category")) {
        AddUnique(item.categories, CollapseSpace(HtmlToText(RawText(child))));
      } else if (IEquals(name.local, "pubDate")) {
        if (!item.published) item.published = ParseDate(RawText(child));
      } else if (IEquals(name.local, "enclosure")) {
        AddEnclosure(item, child, "url");
      } else if (IEquals(name.local, "fullitem") && !pending.have_content) {
        pending.content_html = RawText(child);  // an old RSS extension for the full text
        pending.have_content = true;
      }
    }
    Finish(item, pending);
    feed_.items.push_back(std::move(item));
  }

  void ReadAtomFeed(pugi::xml_node root) {
    root_ns_ = Resolve(root).ns;
    for (pugi::xml_node child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      Name name = Resolve(child);
      // A feed in an unknown namespace (Atom drafts, typos) is read as Atom.
      if (name.ns == root_ns_ && name.ns == Ns::kOther) name.ns = Ns::kAtom03;
      if (name.IsAtom("entry") || (name.ns == Ns::kNone && IEquals(name.local, "entry"))) {
        ReadAtomEntry(child);
      } else if (name.IsAtom("title")) {
        if (feed_.title.empty()) feed_.title = AtomText(child).plain;
      } else if (name.IsAtom("subtitle") || name.IsAtom("tagline")) {
        if (feed_.description.empty()) feed_.description = AtomText(child).plain;
      } else if (name.IsAtom("link")) {
        const std::string_view rel = child.attribute("rel").value();
        if ((rel.empty() || IEquals(rel, "alternate")) && feed_.link.empty()) {
          feed_.link = resolver_.Resolve(child, child.attribute("href").value());
        }
      } else if (name.IsAtom("updated") || name.IsAtom("modified")) {
        if (!feed_.updated) feed_.updated = ParseDate(RawText(child));
      } else {
        ReadFeedCommon(child, name);
      }
    }
    FinishFeedMetadata(root);
  }

  void ReadAtomEntry(pugi::xml_node node) {
    if (Full()) return;
    FeedItem item;
    Pending pending;
    std::string alternate_html_link;
    bool have_atom_summary = false;  // Atom's own summary/content win over extensions'
    bool have_atom_content = false;
    for (pugi::xml_node child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      const Name name = Resolve(child);
      const bool core = name.ns == Ns::kAtom10 || name.ns == Ns::kAtom03 || name.ns == Ns::kNone ||
                        (name.ns == root_ns_ && name.ns == Ns::kOther);
      if (!core) {
        ReadExtension(child, name, item, pending);
        continue;
      }
      if (IEquals(name.local, "id")) {
        // An id is an IRI: a relative one is relative to xml:base like a link.
        const Chars raw = RawText(child);
        const std::string_view id = Trim(raw);
        if (pending.guid.empty() && !id.empty()) pending.guid = resolver_.Resolve(child, id);
      } else if (IEquals(name.local, "title")) {
        if (!pending.have_title) {
          item.title = AtomText(child).plain;
          pending.have_title = true;
        }
      } else if (IEquals(name.local, "link")) {
        const std::string_view rel = Trim(child.attribute("rel").value());
        if (IEquals(rel, "enclosure")) {
          AddEnclosure(item, child, "href");
        } else if (rel.empty() || IEquals(rel, "alternate")) {
          const std::string href = resolver_.Resolve(child, child.attribute("href").value());
          const std::string_view type = child.attribute("type").value();
          if (item.link.empty()) item.link = href;
          if (alternate_html_link.empty() &&
              (type.empty() || type.find("html") != std::string_view::npos)) {
            alternate_html_link = href;
          }
        }
      } else if (IEquals(name.local, "summary")) {
        if (!have_atom_summary) {
          item.summary = AtomText(child).plain;
          have_atom_summary = true;
        }
      } else if (IEquals(name.local, "content")) {
        if (!have_atom_content) {
          have_atom_content = true;
          Text text = AtomText(child);
          const std::string_view src = child.attribute("src").value();
          if (text.html.empty() && !src.empty() && item.link.empty()) {
            item.link = resolver_.Resolve(child, src);
          }
          item.content_html = std::move(text.html);
          item.content = std::move(text.plain);
        }
      } else if (IEquals(name.local, "author")) {
        AddAtomPerson(item, child);
      } else if (IEquals(name.local, "category")) {
        std::string term = CollapseSpace(child.attribute("term").value());
        if (term.empty()) term = CollapseSpace(child.attribute("label").value());
        if (term.empty()) term = CollapseSpace(RawText(child));
        AddUnique(item.categories, std::move(term));
      } else if (IEquals(name.local, "published") || IEquals(name.local, "issued")) {
        if (!item.published) item.published = ParseDate(RawText(child));
      } else if (IEquals(name.local, "created")) {
        if (!pending.created) pending.created = ParseDate(RawText(child));
      } else if (IEquals(name.local, "updated") || IEquals(name.local, "modified")) {
        if (!item.updated) item.updated = ParseDate(RawText(child));
      }
    }
    if (!alternate_html_link.empty()) item.link = alternate_html_link;
    if (have_atom_summary) pending.have_summary = false;
    if (have_atom_content) pending.have_content = false;
    Finish(item, pending);
    feed_.items.push_back(std::move(item));
  }

  const UrlResolver& resolver_;
  Feed& feed_;
  std::string sy_period_;
  std::int64_t sy_frequency_ = 1;
  Ns root_ns_ = Ns::kNone;  // Atom: the feed element's namespace, whatever it is
};

bool IsNameChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '-' || c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

// XML's own five entities: amp, lt, gt, quot, apos.
bool IsPredefinedEntity(std::string_view name) {
  switch (name.size()) {
    case 2: return (name[0] == 'l' || name[0] == 'g') && name[1] == 't';
    case 3: return name[0] == 'a' && name[1] == 'm' && name[2] == 'p';
    case 4:
      return (name[0] == 'q' && name[1] == 'u' && name[2] == 'o' && name[3] == 't') ||
             (name[0] == 'a' && name[1] == 'p' && name[2] == 'o' && name[3] == 's');
    default: return false;
  }
}

// pugixml leaves undefined entity references as text; XML calls them fatal. Report the first
// one (the HTML decoding of text fields still turns &nbsp; and friends into characters). A
// DOCTYPE may define entities, so a document with one is given the benefit of the doubt.
std::optional<ParseIssue> FindUndefinedEntity(std::string_view doc) {
  // "<!DOCTYPE" within the first 4 KiB, found by its '!' (rarer than '<', which std::find
  // would stop at for every tag).
  const std::string_view head = doc.substr(0, 4096);
  for (std::size_t k = head.find('!'); k != std::string_view::npos; k = head.find('!', k + 1)) {
    if (k > 0 && head[k - 1] == '<' && head.substr(k + 1, 7) == "DOCTYPE") return std::nullopt;
  }
  // Only two things matter: each '&', and each "<!" that may open a CDATA section or comment
  // (where '&' is just a character). Both are rare next to the '<' of every tag, so each is
  // looked for with memchr and the rest of the document is never visited byte by byte.
  const auto find_bang = [doc](std::size_t from) {  // the '<' of the next "<!" at or after from
    for (std::size_t k = from + 1; (k = doc.find('!', k)) != std::string_view::npos; ++k) {
      if (doc[k - 1] == '<') return k - 1;
    }
    return std::string_view::npos;
  };
  // (Fixed-length compares the compiler inlines: std::string_view::compare was a call each.)
  const auto starts_at = [doc]<std::size_t n>(std::size_t at, const char(&text)[n]) {
    return doc.size() - at >= n - 1 && std::memcmp(doc.data() + at, text, n - 1) == 0;
  };
  std::size_t i = 0;
  std::size_t amp = doc.find('&');
  std::size_t bang = find_bang(0);
  while (true) {
    if (amp < i) amp = doc.find('&', i);
    if (amp == std::string_view::npos) return std::nullopt;
    if (bang < i) bang = find_bang(i);
    if (bang < amp) {
      if (starts_at(bang, "<![CDATA[")) {
        const std::size_t end = doc.find("]]>", bang + 9);
        if (end == std::string_view::npos) return std::nullopt;
        i = end + 3;
      } else if (starts_at(bang, "<!--")) {
        const std::size_t end = doc.find("-->", bang + 4);
        if (end == std::string_view::npos) return std::nullopt;
        i = end + 3;
      } else {
        i = bang + 1;
      }
      continue;
    }
    i = amp;
    std::size_t j = i + 1;
    if (j < doc.size() && doc[j] == '#') {
      ++j;
      const bool hex = j < doc.size() && (doc[j] == 'x' || doc[j] == 'X');
      if (hex) ++j;
      const std::size_t digits_start = j;
      while (j < doc.size() && (hex ? std::isxdigit(static_cast<unsigned char>(doc[j]))
                                    : std::isdigit(static_cast<unsigned char>(doc[j])))) {
        ++j;
      }
      if (j > digits_start && j < doc.size() && doc[j] == ';') {
        i = j + 1;
        continue;
      }
      return ParseIssue{"malformed character reference", i};
    }
    while (j < doc.size() && j - i < 64 && IsNameChar(doc[j])) ++j;
    const std::string_view name = doc.substr(i + 1, j - i - 1);
    if (j < doc.size() && doc[j] == ';' && !name.empty()) {
      if (!IsPredefinedEntity(name)) {
        return ParseIssue{"undefined entity &" + std::string(name) + ";", i};
      }
      i = j + 1;
      continue;
    }
    return ParseIssue{"unescaped '&' in text", i};
  }
}

// Finds the names of the elements open where the parser stopped: the chain of last children.
std::vector<std::string> OpenElements(const pugi::xml_document& doc) {
  std::vector<std::string> open;
  pugi::xml_node node = doc.last_child();
  while (node && node.type() == pugi::node_element) {
    open.emplace_back(node.name());
    pugi::xml_node last = node.last_child();
    while (last && last.type() != pugi::node_element) last = last.previous_sibling();
    node = last;
  }
  return open;
}

// One repair at the place pugixml stopped; false when there is nothing sensible to do.
bool Repair(std::string& doc, const pugi::xml_document& partial, const pugi::xml_parse_result& r) {
  const auto offset = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, r.offset));
  if (offset >= doc.size()) return false;  // truncated: what was parsed is all there is
  if (r.status == pugi::status_end_element_mismatch) {
    // A closing tag that does not match: close what is open inside it, or drop it.
    const std::size_t tag = doc.rfind("</", offset);
    if (tag == std::string::npos || offset - tag > 1024) return false;
    const std::size_t end = doc.find('>', tag);
    if (end == std::string::npos) return false;
    std::string name = doc.substr(tag + 2, end - tag - 2);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
    const std::vector<std::string> open = OpenElements(partial);
    const auto match = std::find(open.rbegin(), open.rend(), name);
    if (match == open.rend() || match == open.rbegin()) {
      doc.erase(tag, end + 1 - tag);
      return true;
    }
    std::string closing;
    for (auto it = open.rbegin(); it != match; ++it) closing += "</" + *it + ">";
    doc.insert(tag, closing);
    return true;
  }
  if (r.status == pugi::status_no_document_element) return false;
  // Anything else (a stray "<", a bad attribute, a broken comment or PI): make the "<" that
  // began the bad markup text, so the rest parses.
  const std::size_t lt = doc.rfind('<', offset);
  if (lt == std::string::npos || offset - lt > 4096) {
    doc.erase(offset, 1);
    return true;
  }
  doc.replace(lt, 1, "&lt;");
  return true;
}

}  // namespace

ParseResult ParseFeed(std::string_view bytes, const ParseOptions& options) {
  namespace_cache.Clear();  // the last document's nodes are gone
  ParseResult result;
  std::optional<ParseIssue> size_issue;
  if (bytes.size() > kMaxDocumentBytes) {
    bytes = bytes.substr(0, kMaxDocumentBytes);
    size_issue = ParseIssue{"document larger than 16 MiB: the rest was ignored", kMaxDocumentBytes};
  }
  DecodedText decoded = DecodeToUtf8(bytes, options.content_type);
  result.encoding = decoded.encoding;
  std::string doc = std::move(decoded.utf8);

  // Parse; while the document is malformed, repair it where the parser stopped and try again.
  constexpr unsigned kFlags = pugi::parse_default & ~pugi::parse_wconv_attribute;
  pugi::xml_document xml;
  pugi::xml_parse_result parsed =
      xml.load_buffer(doc.data(), doc.size(), kFlags, pugi::encoding_utf8);
  if (!parsed) {
    result.issue = ParseIssue{parsed.description(), static_cast<std::size_t>(parsed.offset)};
    std::string repaired = doc;
    std::size_t work = doc.size();
    for (int attempt = 0; attempt < kMaxRepairs && !parsed && work < kMaxRepairWork; ++attempt) {
      if (!Repair(repaired, xml, parsed)) break;
      parsed = xml.load_buffer(repaired.data(), repaired.size(), kFlags, pugi::encoding_utf8);
      work += repaired.size();
    }
  } else if (auto entity = FindUndefinedEntity(doc)) {
    result.issue = std::move(entity);
  } else if (!decoded.warning.empty()) {
    result.issue = ParseIssue{decoded.warning, 0};
  } else if (const std::string_view type = options.content_type;
             type.starts_with("text/plain") || type.starts_with("text/html")) {
    result.issue = ParseIssue{"served as " + std::string(type.substr(0, 64)) + ", not as XML", 0};
  }
  if (size_issue) result.issue = size_issue;

  pugi::xml_node root = xml.document_element();
  UrlResolver resolver(options.base_url);
  FeedBuilder builder(resolver, result.feed);
  if (!root || !builder.Build(root)) {
    result.feed = Feed{};
    std::string message = root
                              ? "not a feed: the root element is <" + std::string(root.name()) + ">"
                              : "not a feed: no XML element found";
    if (result.issue) message += " (" + result.issue->message + ")";
    result.issue = ParseIssue{message, result.issue ? result.issue->offset : 0};
    return result;
  }
  if (result.feed.items.size() >= kMaxItems && !result.issue) {
    result.issue = ParseIssue{"more than 10000 items: the rest were ignored", doc.size()};
  }
  return result;
}

}  // namespace raqib::feeds
