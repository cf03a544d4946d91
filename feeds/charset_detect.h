// Charset detection for bytes that are not UTF-8 and declare nothing believable (internal to
// feeds/; DecodeToUtf8 in charset.h is the entry point). Our own detector for the single-byte
// code pages, scored from Unicode properties alone (no trained data), and a cheap structural
// check that says when a multi-byte East Asian encoding is possible, then our own rules or,
// when they are unsure, ICU's detector decide. See docs/FEEDS.md, "Detection".
#pragma once

#include <string_view>

namespace raqib::feeds {

struct SingleByteGuess {
  // The best single-byte charset for the text, as ICU names it (a string literal); windows-1252
  // when the sample holds no text with bytes above 0x7F.
  std::string_view charset;
  // The text decoded in `charset` has no more than a trace of mess (undefined bytes, symbols or
  // a second script inside words, case alternating inside words, ...). False means no
  // single-byte code page reads it well: a multi-byte encoding (or binary junk) is likelier.
  bool clean = true;
};

// Scores every single-byte candidate (windows-1250..1257, ISO-8859-2/5/6/7, KOI8-R/U, IBM866,
// windows-874) on the text of the first 64 KiB of `bytes` outside markup, and returns the one
// whose decoding is least messy; ties go to the commoner code page (windows-1252 first).
// Reads at most 16 KiB of words that contain bytes above 0x7F; costs a few table look-ups per
// byte and candidate, and allocates only the sample.
SingleByteGuess GuessSingleByteCharset(std::string_view bytes);

// The East Asian multi-byte encoding of the first 64 KiB of `bytes` when the structure and the
// characters leave no doubt, as ICU names it ("Shift_JIS", "EUC-JP", "EUC-KR", "GB18030",
// "Big5"); empty when they do (ICU's detector decides then). Data-free rules on the decoding of
// each candidate whose structure holds without a bad byte and whose characters all exist:
// Japanese has kana (one character in ten or more) in full width; Korean is nine tenths Hangul
// syllables; Chinese is mostly Han, in GB18030 when no second byte is in the ASCII range (as in
// GB2312) and in Big5 when GB18030 cannot read it and a tenth of them or more are.
std::string_view GuessMultiByteCharset(std::string_view bytes);

// True when the first 64 KiB of `bytes` are well-formed in Shift_JIS, EUC-JP, EUC-KR/GB2312,
// GB18030 or Big5 and hold at least a few multi-byte characters. Cheap (one pass per encoding,
// no allocation); a yes only means "possible".
bool MultiByteStructurePlausible(std::string_view bytes);

}  // namespace raqib::feeds
