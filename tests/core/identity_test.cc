// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Expected values are written by hand from the rules in identity.h, never
// copied from the code's output.

#include "omniroute/identity.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/tenant_options.h"
#include "omniroute/types.h"

namespace omniroute {
namespace {

using ::omniroute::v1::IDENTITY_KIND_CRM_ID;
using ::omniroute::v1::IDENTITY_KIND_CUSTOM;
using ::omniroute::v1::IDENTITY_KIND_EMAIL;
using ::omniroute::v1::IDENTITY_KIND_PHONE;
using ::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE;
using ::omniroute::v1::IDENTITY_KIND_SOCIAL_ID;
using ::omniroute::v1::IDENTITY_KIND_UNSPECIFIED;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr IdentityKind kEmail = IDENTITY_KIND_EMAIL;
constexpr IdentityKind kPhone = IDENTITY_KIND_PHONE;
constexpr IdentityKind kHandle = IDENTITY_KIND_SOCIAL_HANDLE;
constexpr IdentityKind kSocialId = IDENTITY_KIND_SOCIAL_ID;
constexpr IdentityKind kCrm = IDENTITY_KIND_CRM_ID;
constexpr IdentityKind kCustom = IDENTITY_KIND_CUSTOM;

std::string Repeat(char c, size_t n) { return std::string(n, c); }

// ------------------------------------------------------------------ valid

struct ValidCase {
  std::string name;
  RawIdentity raw;
  std::string country_code;
  Identity expected;
};

std::vector<ValidCase> ValidCases() {
  // clang-format off
  return {
      // Email.
      {"EmailTrimmedAndLowerCased", {kEmail, "", "  Ann.Smith@Example.COM \t"}, "33",
       {kEmail, "", "ann.smith@example.com"}},
      {"EmailTrailingCrLfTrimmed", {kEmail, "", "ann@example.com\r\n"}, "",
       {kEmail, "", "ann@example.com"}},
      {"EmailPlusTagAndSubdomainsKept", {kEmail, "", "Ann+Support@Mail.Example.co.UK"}, "",
       {kEmail, "", "ann+support@mail.example.co.uk"}},
      {"EmailNetworkIgnored", {kEmail, "Not A Network!", "ann@example.com"}, "",
       {kEmail, "", "ann@example.com"}},
      {"EmailUnicodeKeptOnlyAsciiFolded", {kEmail, "", "José@Example.com"}, "",
       {kEmail, "", "josé@example.com"}},
      {"Email254Bytes", {kEmail, "", Repeat('a', 242) + "@example.com"}, "",
       {kEmail, "", Repeat('a', 242) + "@example.com"}},
      // Phone.
      {"PhoneInternationalSpaces", {kPhone, "", "+33 6 12 34 56 78"}, "33",
       {kPhone, "", "+33612345678"}},
      {"PhoneInternationalWithoutDefaultCountry", {kPhone, "", "+33 6 12 34 56 78"}, "",
       {kPhone, "", "+33612345678"}},
      {"PhoneDoubleZeroIsPlus", {kPhone, "", "0033 6 12 34 56 78"}, "",
       {kPhone, "", "+33612345678"}},
      {"PhoneNationalLosesTrunkZero", {kPhone, "", "06 12 34 56 78"}, "33",
       {kPhone, "", "+33612345678"}},
      {"PhoneNationalWithoutTrunkZero", {kPhone, "", "612345678"}, "33",
       {kPhone, "", "+33612345678"}},
      {"PhoneSeparatorsDropped", {kPhone, "", " (06) 12-34.56/78 "}, "33",
       {kPhone, "", "+33612345678"}},
      {"PhoneBracketedTrunkZeroDropped", {kPhone, "", "+44 (0)20 7946 0958"}, "",
       {kPhone, "", "+442079460958"}},
      {"PhoneDoubleZeroBracketedTrunkZeroDropped", {kPhone, "", "0044 (0)20 7946 0958"}, "",
       {kPhone, "", "+442079460958"}},
      {"PhonePlusInsideBrackets", {kPhone, "", "(+33) 6 12 34 56 78"}, "",
       {kPhone, "", "+33612345678"}},
      {"PhoneNorthAmericanNational", {kPhone, "", "(415) 555-2671"}, "1",
       {kPhone, "", "+14155552671"}},
      {"PhoneThreeDigitCountryCode", {kPhone, "", "0712 345 678"}, "254",
       {kPhone, "", "+254712345678"}},
      {"PhoneNetworkIgnored", {kPhone, "whatsapp", "+33612345678"}, "",
       {kPhone, "", "+33612345678"}},
      {"Phone8Digits", {kPhone, "", "+1234 5678"}, "", {kPhone, "", "+12345678"}},
      {"Phone15Digits", {kPhone, "", "+123 456 789 012 345"}, "", {kPhone, "", "+123456789012345"}},
      {"PhoneNational15DigitsWithCountryCode", {kPhone, "", "0 1234 5678 9012"}, "123",
       {kPhone, "", "+123123456789012"}},
      // Social handles.
      {"HandleAtDroppedLowerCased", {kHandle, " X ", " @Ann_Smith.99 "}, "",
       {kHandle, "x", "ann_smith.99"}},
      {"HandleWithoutAt", {kHandle, "instagram", "ann"}, "", {kHandle, "instagram", "ann"}},
      {"Handle64Chars", {kHandle, "x", "@" + Repeat('A', 64)}, "", {kHandle, "x", Repeat('a', 64)}},
      {"NetworkDotsDashesUnderscores", {kHandle, "Mastodon.Social-EU_1", "ann"}, "",
       {kHandle, "mastodon.social-eu_1", "ann"}},
      {"Network64Chars", {kHandle, Repeat('N', 64), "ann"}, "", {kHandle, Repeat('n', 64), "ann"}},
      // Platform ids, CRM ids, custom ids.
      {"SocialIdTrimmedCaseKept", {kSocialId, "Facebook", " 10234AbC "}, "",
       {kSocialId, "facebook", "10234AbC"}},
      {"CrmIdWithoutNetwork", {kCrm, "   ", " CUST-001 "}, "", {kCrm, "", "CUST-001"}},
      {"CrmIdWithNetwork", {kCrm, "Salesforce", "0035g00000ABC"}, "",
       {kCrm, "salesforce", "0035g00000ABC"}},
      {"CrmIdInnerSpaceKept", {kCrm, "", "ACME 42"}, "", {kCrm, "", "ACME 42"}},
      {"CustomUnicodeKept", {kCustom, "loyalty", "Café-42"}, "", {kCustom, "loyalty", "Café-42"}},
      {"Custom320Bytes", {kCustom, "ns", Repeat('x', kMaxIdentityValueBytes)}, "",
       {kCustom, "ns", Repeat('x', kMaxIdentityValueBytes)}},
      {"Custom320BytesAfterTrimming",
       {kCustom, "ns", "  " + Repeat('x', kMaxIdentityValueBytes) + "\n"}, "",
       {kCustom, "ns", Repeat('x', kMaxIdentityValueBytes)}},
  };
  // clang-format on
}

// Failures print the case's name rather than its bytes.
void PrintTo(const ValidCase& c, std::ostream* os) { *os << c.name; }

class NormalizeValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(NormalizeValidTest, Normalizes) {
  const ValidCase& c = GetParam();
  absl::StatusOr<Identity> identity = NormalizeIdentity(c.raw, c.country_code);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->kind, c.expected.kind);
  EXPECT_EQ(identity->network, c.expected.network);
  EXPECT_EQ(identity->value, c.expected.value);
}

TEST_P(NormalizeValidTest, IsIdempotent) {
  const ValidCase& c = GetParam();
  absl::StatusOr<Identity> once = NormalizeIdentity(c.raw, c.country_code);
  ASSERT_TRUE(once.ok()) << once.status();
  absl::StatusOr<Identity> twice =
      NormalizeIdentity(RawIdentity{once->kind, once->network, once->value}, c.country_code);
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(*twice, *once);
}

INSTANTIATE_TEST_SUITE_P(Table, NormalizeValidTest, ::testing::ValuesIn(ValidCases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------- invalid

struct InvalidCase {
  std::string name;
  RawIdentity raw;
  std::string country_code;
  // The message starts with the field and contains the key word of the reason.
  std::string field;
  std::string reason;
};

std::vector<InvalidCase> InvalidCases() {
  const std::string value = "identity.value: ";
  const std::string network = "identity.network: ";
  const std::string kind = "identity.kind: ";
  // clang-format off
  return {
      // Kind.
      {"KindUnspecified", {IDENTITY_KIND_UNSPECIFIED, "", "ann@example.com"}, "",
       kind, "unspecified"},
      {"KindUnknown", {static_cast<IdentityKind>(42), "", "ann@example.com"}, "", kind, "42"},
      // Value, every kind.
      {"ValueEmpty", {kEmail, "", ""}, "", value, "empty"},
      {"ValueOnlyWhitespace", {kPhone, "", " \t\r\n "}, "33", value, "empty"},
      {"CrmIdEmpty", {kCrm, "salesforce", ""}, "", value, "empty"},
      {"Custom321Bytes", {kCustom, "ns", Repeat('x', kMaxIdentityValueBytes + 1)}, "",
       value, "321 bytes"},
      {"CrmIdTab", {kCrm, "", "CUST\t01"}, "", value, "control character U+0009"},
      {"CustomDel", {kCustom, "ns", "ab\x7f"}, "", value, "control character U+007F"},
      {"CustomInvalidUtf8", {kCustom, "ns", "ab\xff"}, "", value, "UTF-8"},
      // Email.
      {"EmailNoAt", {kEmail, "", "ann.example.com"}, "", value, "has no '@'"},
      {"EmailTwoAts", {kEmail, "", "ann@foo@example.com"}, "", value, "more than one '@'"},
      {"EmailNoLocalPart", {kEmail, "", "@example.com"}, "", value, "nothing before"},
      {"EmailNoDomain", {kEmail, "", "ann@"}, "", value, "no domain"},
      {"EmailDomainWithoutDot", {kEmail, "", "ann@localhost"}, "", value, "without a dot"},
      {"EmailDomainLeadingDot", {kEmail, "", "ann@.example.com"}, "",
       value, "starts or ends with a dot"},
      {"EmailDomainTrailingDot", {kEmail, "", "ann@example.com."}, "",
       value, "starts or ends with a dot"},
      {"EmailDomainEmptyLabel", {kEmail, "", "ann@example..com"}, "", value, "'..'"},
      {"EmailInnerSpace", {kEmail, "", "ann smith@example.com"}, "", value, "whitespace"},
      {"EmailNoBreakSpace", {kEmail, "", "ann\u00a0smith@example.com"}, "", value, "U+00A0"},
      {"EmailIdeographicSpace", {kEmail, "", "ann@exa\u3000mple.com"}, "", value, "U+3000"},
      {"EmailControlChar", {kEmail, "", "ann\x01@example.com"}, "",
       value, "control character U+0001"},
      {"EmailInnerNewline", {kEmail, "", "ann\n@example.com"}, "",
       value, "control character U+000A"},
      {"EmailC1Control", {kEmail, "", "ann\xc2\x85@example.com"}, "",
       value, "control character U+0085"},
      {"EmailInvalidUtf8", {kEmail, "", "ann\xff@example.com"}, "", value, "UTF-8"},
      {"EmailOverlongUtf8", {kEmail, "", "ann\xc0\xaf@example.com"}, "", value, "UTF-8"},
      {"EmailSurrogateUtf8", {kEmail, "", "ann\xed\xa0\x80@example.com"}, "", value, "UTF-8"},
      {"EmailTruncatedUtf8", {kEmail, "", "ann@example.com\xc3"}, "", value, "UTF-8"},
      {"Email255Bytes", {kEmail, "", Repeat('a', 243) + "@example.com"}, "", value, "255 bytes"},
      // Phone.
      {"PhoneTooShort", {kPhone, "", "+33 6 12"}, "", value, "has 5 digits; E.164 needs 8 to 15"},
      {"PhoneNationalTooShort", {kPhone, "", "06 12"}, "33",
       value, "has 5 digits with country code 33"},
      {"Phone7Digits", {kPhone, "", "+123 4567"}, "", value, "has 7 digits"},
      {"Phone16Digits", {kPhone, "", "+1234 5678 9012 3456"}, "", value, "has 16 digits"},
      {"PhoneNational16DigitsWithCountryCode", {kPhone, "", "0 1234 5678 90123"}, "123",
       value, "has 16 digits"},
      // 33 and forty 9s: no trunk zero to drop.
      {"PhoneManyDigits", {kPhone, "", Repeat('9', 40)}, "33",
       value, "has 42 digits with country code 33"},
      {"PhoneNationalWithoutCountryCode", {kPhone, "", "06 12 34 56 78"}, "",
       value, "needs a country code and the tenant has no default_country_code"},
      {"PhoneLetters", {kPhone, "", "+33 6 CALL ME"}, "", value, "'C'"},
      {"PhoneVanityNumber", {kPhone, "", "1-800-FLOWERS"}, "1", value, "'F'"},
      {"PhoneExtension", {kPhone, "", "+33 6 12 34 56 78 ext 12"}, "", value, "'e'"},
      {"PhoneFullwidthDigit", {kPhone, "", "+33 \uff16 12 34 56 78"}, "", value, "U+FF16"},
      {"PhonePlusInMiddle", {kPhone, "", "+33 6+12 34 56 78"}, "", value, "'+'"},
      {"PhoneDoublePlus", {kPhone, "", "++33612345678"}, "", value, "'+'"},
      {"PhoneNoDigits", {kPhone, "", "+() -"}, "", value, "no digits"},
      {"PhoneCountryCodeStartsWithZero", {kPhone, "", "+06 12 34 56 78"}, "",
       value, "starting with 0"},
      {"PhoneRawTooLong", {kPhone, "", "+33" + Repeat(' ', 315) + "612345678"}, "",
       value, "327 bytes"},
      // Phone, the tenant's country code.
      {"CountryCodeWithLetter", {kPhone, "", "06 12 34 56 78"}, "3a",
       "default_country_code: ", "not a country calling code"},
      {"CountryCodeFourDigits", {kPhone, "", "06 12 34 56 78"}, "1234",
       "default_country_code: ", "not a country calling code"},
      {"CountryCodeWithPlus", {kPhone, "", "06 12 34 56 78"}, "+33",
       "default_country_code: ", "no '+'"},
      // Networks.
      {"HandleNoNetwork", {kHandle, "", "ann"}, "", network, "required for SOCIAL_HANDLE"},
      {"HandleBlankNetwork", {kHandle, " \t ", "ann"}, "", network, "required for SOCIAL_HANDLE"},
      {"SocialIdNoNetwork", {kSocialId, "", "10234"}, "", network, "required for SOCIAL_ID"},
      {"CustomNoNetwork", {kCustom, "", "42"}, "", network, "required for CUSTOM"},
      {"NetworkSpace", {kHandle, "Face Book", "ann"}, "", network, "' '"},
      {"NetworkColon", {kHandle, "x:y", "ann"}, "", network, "':'"},
      {"NetworkUnicode", {kSocialId, "réseau", "1"}, "", network, "U+00E9"},
      {"NetworkControlChar", {kCustom, "ns\x01", "1"}, "", network, "U+0001"},
      {"Network65Chars", {kHandle, Repeat('n', 65), "ann"}, "", network, "65 characters"},
      {"CrmNetworkInvalid", {kCrm, "Sales Force", "1"}, "", network, "' '"},
      // Social handles.
      {"HandleOnlyAt", {kHandle, "x", " @ "}, "", value, "no name"},
      {"HandleInnerSpace", {kHandle, "x", "ann smith"}, "", value, "' '"},
      {"HandleDoubleAt", {kHandle, "x", "@@ann"}, "", value, "'@'"},
      {"HandleDash", {kHandle, "x", "ann-smith"}, "", value, "'-'"},
      {"HandleUnicode", {kHandle, "x", "anné"}, "", value, "U+00E9"},
      {"HandleEmoji", {kHandle, "x", "ann\U0001F600"}, "", value, "U+1F600"},
      {"Handle65Chars", {kHandle, "x", "@" + Repeat('a', 65)}, "", value, "65 characters"},
      // Platform ids.
      {"SocialIdSpace", {kSocialId, "facebook", "123 456"}, "", value, "whitespace"},
  };
  // clang-format on
}

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

class NormalizeInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(NormalizeInvalidTest, IsRejectedNamingFieldAndReason) {
  const InvalidCase& c = GetParam();
  absl::StatusOr<Identity> identity = NormalizeIdentity(c.raw, c.country_code);
  ASSERT_FALSE(identity.ok()) << "normalized to " << ToString(*identity);
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kInvalidArgument) << identity.status();
  EXPECT_THAT(std::string(identity.status().message()),
              AllOf(StartsWith(c.field), HasSubstr(c.reason)));
}

INSTANTIATE_TEST_SUITE_P(Table, NormalizeInvalidTest, ::testing::ValuesIn(InvalidCases()),
                         [](const auto& info) { return info.param.name; });

// ----------------------------------------------------------- messages

TEST(NormalizeIdentityTest, MessageQuotesTheInput) {
  absl::StatusOr<Identity> identity = NormalizeIdentity({kEmail, "", "ann.example.com"}, "");
  EXPECT_EQ(identity.status().message(), "identity.value: email \"ann.example.com\" has no '@'");
}

TEST(NormalizeIdentityTest, MessageForNationalNumberWithoutCountryCode) {
  absl::StatusOr<Identity> identity = NormalizeIdentity({kPhone, "", "06 12 34 56 78"}, "");
  EXPECT_EQ(identity.status().message(),
            "identity.value: national phone number \"06 12 34 56 78\" needs a country code and "
            "the tenant has no default_country_code");
}

TEST(NormalizeIdentityTest, MessageEscapesControlCharacters) {
  absl::StatusOr<Identity> identity = NormalizeIdentity({kEmail, "", "a\x01\"b@x.com"}, "");
  ASSERT_FALSE(identity.ok());
  EXPECT_THAT(std::string(identity.status().message()), HasSubstr("\"a\\x01\\\"b@x.com\""));
}

TEST(NormalizeIdentityTest, MessageQuotesOnlyAPrefixOfHugeInput) {
  absl::StatusOr<Identity> identity =
      NormalizeIdentity({kCustom, "ns", Repeat('x', 1'000'000)}, "");
  ASSERT_FALSE(identity.ok());
  EXPECT_LT(identity.status().message().size(), 300u);
  EXPECT_THAT(std::string(identity.status().message()), HasSubstr("1000000 bytes"));
}

// ------------------------------------------------------ same person

// Every spelling in a group is the same person; different groups are not.
TEST(NormalizeIdentityTest, SamePersonWrittenDifferentlyNormalizesEqual) {
  const std::vector<std::vector<RawIdentity>> people = {
      {{kEmail, "", "ann@example.com"},
       {kEmail, "", " ANN@EXAMPLE.COM "},
       {kEmail, "", "Ann@Example.Com\n"}},
      {{kPhone, "", "+33 6 12 34 56 78"},
       {kPhone, "", "+33612345678"},
       {kPhone, "", "0033 6 12 34 56 78"},
       {kPhone, "", "06 12 34 56 78"},
       {kPhone, "", "06.12.34.56.78"},
       {kPhone, "", "06-12-34-56-78"},
       {kPhone, "", "(0)6 12 34 56 78"},
       {kPhone, "", "+33 (0)6 12 34 56 78"},
       {kPhone, "sms", "+33 6 12 34 56 78"}},
      // One digit away from the number above.
      {{kPhone, "", "+33 6 12 34 56 79"}},
      {{kHandle, "x", "@Ann_Smith"}, {kHandle, "X", "ann_smith"}, {kHandle, " x ", " @ANN_SMITH "}},
      // The same handle on another network is another account.
      {{kHandle, "instagram", "ann_smith"}},
      {{kSocialId, "facebook", "10234AbC"}, {kSocialId, "Facebook", " 10234AbC "}},
      // Platform ids keep their case.
      {{kSocialId, "facebook", "10234abc"}},
  };
  std::vector<Identity> normalized;
  for (const auto& person : people) {
    absl::StatusOr<Identity> first = NormalizeIdentity(person.front(), "33");
    ASSERT_TRUE(first.ok()) << first.status();
    for (const RawIdentity& raw : person) {
      absl::StatusOr<Identity> identity = NormalizeIdentity(raw, "33");
      ASSERT_TRUE(identity.ok()) << raw.value << ": " << identity.status();
      EXPECT_EQ(*identity, *first) << ToString(*identity) << " vs " << ToString(*first);
      EXPECT_EQ(absl::HashOf(*identity), absl::HashOf(*first));
    }
    normalized.push_back(*first);
  }
  for (size_t i = 0; i < normalized.size(); ++i) {
    for (size_t j = i + 1; j < normalized.size(); ++j) {
      EXPECT_NE(normalized[i], normalized[j]) << ToString(normalized[i]);
    }
  }
}

TEST(NormalizeIdentityTest, EmailAndPhoneIgnoreNetwork) {
  absl::StatusOr<Identity> with = NormalizeIdentity({kPhone, "WhatsApp", "+33612345678"}, "");
  absl::StatusOr<Identity> without = NormalizeIdentity({kPhone, "", "+33612345678"}, "");
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_EQ(*with, *without);
}

// --------------------------------------------------------------- ToString

TEST(IdentityToStringTest, Formats) {
  EXPECT_EQ(ToString({kEmail, "", "ann@example.com"}), "email:ann@example.com");
  EXPECT_EQ(ToString({kPhone, "", "+33612345678"}), "phone:+33612345678");
  EXPECT_EQ(ToString({kHandle, "x", "ann"}), "social_handle@x:ann");
  EXPECT_EQ(ToString({kSocialId, "facebook", "10234AbC"}), "social_id@facebook:10234AbC");
  EXPECT_EQ(ToString({kCrm, "", "CUST-001"}), "crm_id:CUST-001");
  EXPECT_EQ(ToString({kCustom, "loyalty", "a:b"}), "custom@loyalty:a:b");
}

TEST(IdentityToStringTest, ReadsBackWithoutAmbiguity) {
  // A value that looks like a network does not collide with a network.
  EXPECT_NE(ToString({kCrm, "", "x:1"}), ToString({kCrm, "x", "1"}));
}

// ------------------------------------------------- vocabulary and options

TEST(ChannelTraitsTest, BuiltInChannels) {
  using ::omniroute::v1::VISIBILITY_PRIVATE;
  using ::omniroute::v1::VISIBILITY_PUBLIC;
  struct Expected {
    Channel channel;
    Visibility visibility;
    ChannelMode mode;
    absl::Duration target;
    int cost;
  };
  const ChannelMode sync = ChannelMode::kSynchronous;
  const ChannelMode async = ChannelMode::kAsynchronous;
  const Expected table[] = {
      {::omniroute::v1::CHANNEL_UNSPECIFIED, VISIBILITY_PRIVATE, async, absl::Hours(24), 1},
      {::omniroute::v1::CHANNEL_PUBLIC_SOCIAL, VISIBILITY_PUBLIC, async, absl::Hours(1), 1},
      {::omniroute::v1::CHANNEL_PRIVATE_SOCIAL, VISIBILITY_PRIVATE, async, absl::Hours(1), 1},
      {::omniroute::v1::CHANNEL_EMAIL, VISIBILITY_PRIVATE, async, absl::Hours(24), 1},
      {::omniroute::v1::CHANNEL_VOICE, VISIBILITY_PRIVATE, sync, absl::Seconds(30), 4},
      {::omniroute::v1::CHANNEL_CHAT, VISIBILITY_PRIVATE, sync, absl::Minutes(1), 2},
      {::omniroute::v1::CHANNEL_SMS, VISIBILITY_PRIVATE, async, absl::Hours(4), 1},
      {::omniroute::v1::CHANNEL_MESSAGING, VISIBILITY_PRIVATE, async, absl::Hours(1), 1},
  };
  for (const Expected& e : table) {
    const ChannelTraits& traits = TraitsOf(e.channel);
    EXPECT_EQ(traits.visibility, e.visibility) << ChannelName(e.channel);
    EXPECT_EQ(traits.mode, e.mode) << ChannelName(e.channel);
    EXPECT_EQ(traits.default_first_response_target, e.target) << ChannelName(e.channel);
    EXPECT_EQ(traits.capacity_cost, e.cost) << ChannelName(e.channel);
  }
}

TEST(ChannelTraitsTest, UnknownChannelGetsUnspecifiedTraits) {
  EXPECT_EQ(&TraitsOf(static_cast<Channel>(99)), &TraitsOf(::omniroute::v1::CHANNEL_UNSPECIFIED));
  EXPECT_EQ(&TraitsOf(static_cast<Channel>(-1)), &TraitsOf(::omniroute::v1::CHANNEL_UNSPECIFIED));
}

TEST(EnumNameTest, NamesWithoutPrefix) {
  EXPECT_EQ(ChannelName(::omniroute::v1::CHANNEL_PUBLIC_SOCIAL), "PUBLIC_SOCIAL");
  EXPECT_EQ(ChannelName(::omniroute::v1::CHANNEL_EMAIL), "EMAIL");
  EXPECT_EQ(ChannelName(::omniroute::v1::CHANNEL_MESSAGING), "MESSAGING");
  EXPECT_EQ(ChannelName(::omniroute::v1::CHANNEL_UNSPECIFIED), "UNSPECIFIED");
  EXPECT_EQ(IdentityKindName(kHandle), "SOCIAL_HANDLE");
  EXPECT_EQ(IdentityKindName(kCrm), "CRM_ID");
  EXPECT_EQ(ConversationStatusName(::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER),
            "PENDING_CUSTOMER");
  EXPECT_EQ(ConversationStatusName(::omniroute::v1::CONVERSATION_STATUS_MERGED), "MERGED");
  EXPECT_EQ(ThreadOutcomeName(::omniroute::v1::THREAD_OUTCOME_JOINED_BY_REFERENCE),
            "JOINED_BY_REFERENCE");
  EXPECT_EQ(ThreadOutcomeName(::omniroute::v1::THREAD_OUTCOME_REOPENED), "REOPENED");
}

TEST(EnumNameTest, UnknownValues) {
  EXPECT_EQ(ChannelName(static_cast<Channel>(99)), "UNKNOWN");
  EXPECT_EQ(ChannelName(static_cast<Channel>(-3)), "UNKNOWN");
  EXPECT_EQ(IdentityKindName(static_cast<IdentityKind>(7)), "UNKNOWN");
  EXPECT_EQ(ConversationStatusName(static_cast<ConversationStatus>(6)), "UNKNOWN");
  EXPECT_EQ(ThreadOutcomeName(static_cast<ThreadOutcome>(1000)), "UNKNOWN");
}

TEST(EnumNameTest, RepeatedCallsShareStorage) {
  const absl::string_view first = ChannelName(::omniroute::v1::CHANNEL_VOICE);
  const absl::string_view second = ChannelName(::omniroute::v1::CHANNEL_VOICE);
  EXPECT_EQ(first.data(), second.data());
}

TEST(TenantOptionsTest, ContinuityWindowOverrideElseDefault) {
  TenantOptions options;
  EXPECT_EQ(options.ContinuityWindow(::omniroute::v1::CHANNEL_EMAIL), absl::Hours(48));
  options.default_continuity_window = absl::Hours(12);
  options.continuity_windows[::omniroute::v1::CHANNEL_VOICE] = absl::Minutes(30);
  EXPECT_EQ(options.ContinuityWindow(::omniroute::v1::CHANNEL_VOICE), absl::Minutes(30));
  EXPECT_EQ(options.ContinuityWindow(::omniroute::v1::CHANNEL_EMAIL), absl::Hours(12));
}

TEST(TenantOptionsTest, FirstResponseTargetOverrideElseChannelDefault) {
  TenantOptions options;
  options.first_response_targets[::omniroute::v1::CHANNEL_EMAIL] = absl::Hours(8);
  EXPECT_EQ(options.FirstResponseTarget(::omniroute::v1::CHANNEL_EMAIL), absl::Hours(8));
  EXPECT_EQ(options.FirstResponseTarget(::omniroute::v1::CHANNEL_VOICE), absl::Seconds(30));
  EXPECT_EQ(options.FirstResponseTarget(::omniroute::v1::CHANNEL_SMS), absl::Hours(4));
}

}  // namespace
}  // namespace omniroute
