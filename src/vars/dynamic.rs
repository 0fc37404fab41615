//! Postman's 118 dynamic variables (`{{$guid}}`, `{{$randomInt}}`, ...), each call a fresh value.
//!
//! Formats follow postman-collection 5.2.1 (faker 5, locale `en`) in shape, not in exact word
//! lists: `$guid` `3f2b...-4...` (UUID v4), `$timestamp` `1795702906`, `$isoTimestamp`
//! `2026-11-26T14:21:46.123Z`, `$randomInt` `0..=1000`, `$randomPhoneNumber` `555-123-4567`,
//! `$randomDatePast` `Tue Mar 03 2026 10:11:12 GMT+0000 (Coordinated Universal Time)` (JavaScript
//! `Date#toString` in UTC).

use chrono::{DateTime, Duration, Utc};
use fake::Fake;
use fake::faker::{
    address::en as address, company::en as company, currency::en as currency, filesystem::en as fs,
    finance::en as finance, internet::en as internet, job::en as job, lorem::en as lorem,
    name::en as name,
};
use rand::distr::{Alphanumeric, SampleString};
use rand::seq::IndexedRandom;
use rand::{Rng, rng};
use uuid::Uuid;

use crate::vars::words::*;

/// All dynamic variable names (for docs and `check`).
pub fn dynamic_names() -> &'static [&'static str] {
    &NAMES
}

/// A fresh value for dynamic variable `name` (with the leading `$`), or None if unknown.
pub fn dynamic_value(name: &str) -> Option<String> {
    let value = match name {
        "$guid" | "$randomUUID" => Uuid::new_v4().to_string(),
        "$timestamp" => Utc::now().timestamp().to_string(),
        "$isoTimestamp" => Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "$randomInt" => rng().random_range(0..=1000).to_string(),
        "$randomPhoneNumber" => phone_number(),
        "$randomPhoneNumberExt" => format!("{}-{}", rng().random_range(1..=99), phone_number()),
        "$randomLocale" => pick(LOCALES),
        "$randomWords" => lorem::Words(2..6).fake::<Vec<String>>().join(" "),
        "$randomFilePath" => format!("{}/{}", pick(DIRECTORIES), fs::FileName().fake::<String>()),
        "$randomDirectoryPath" => pick(DIRECTORIES),
        "$randomCity" => address::CityName().fake(),
        "$randomStreetName" => address::StreetName().fake(),
        "$randomStreetAddress" => format!(
            "{} {}",
            address::BuildingNumber().fake::<String>(),
            address::StreetName().fake::<String>()
        ),
        "$randomCountry" => address::CountryName().fake(),
        "$randomCountryCode" => address::CountryCode().fake(),
        "$randomLatitude" => format!("{:.4}", rng().random_range(-90.0..=90.0_f64)),
        "$randomLongitude" => format!("{:.4}", rng().random_range(-180.0..=180.0_f64)),
        "$randomColor" => pick(COLORS),
        "$randomHexColor" => format!("#{:06x}", rng().random_range(0..=0xff_ffff_u32)),
        "$randomDepartment" => pick(DEPARTMENTS),
        "$randomProductName" => {
            format!(
                "{} {} {}",
                pick(PRODUCT_ADJECTIVES),
                pick(PRODUCT_MATERIALS),
                pick(PRODUCTS)
            )
        }
        "$randomProductAdjective" => pick(PRODUCT_ADJECTIVES),
        "$randomProductMaterial" => pick(PRODUCT_MATERIALS),
        "$randomProduct" => pick(PRODUCTS),
        "$randomPrice" => format!(
            "{:.2}",
            f64::from(rng().random_range(10_000..=99_900_u32)) / 100.0
        ),
        "$randomCompanyName" => company::CompanyName().fake(),
        "$randomCompanySuffix" => company::CompanySuffix().fake(),
        "$randomCatchPhrase" => company::CatchPhrase().fake(),
        "$randomBs" => company::Bs().fake(),
        "$randomCatchPhraseAdjective" => company::Buzzword().fake(),
        "$randomCatchPhraseDescriptor" => company::BuzzwordMiddle().fake(),
        "$randomCatchPhraseNoun" => company::BuzzwordTail().fake(),
        "$randomBsAdjective" => company::BsAdj().fake(),
        "$randomBsBuzz" => company::BsVerb().fake(),
        "$randomBsNoun" => company::BsNoun().fake(),
        "$randomDatabaseColumn" => pick(DB_COLUMNS),
        "$randomDatabaseType" => pick(DB_TYPES),
        "$randomDatabaseCollation" => pick(DB_COLLATIONS),
        "$randomDatabaseEngine" => pick(DB_ENGINES),
        "$randomDatePast" => js_date(Utc::now() - random_span(365 * 86_400)),
        "$randomDateFuture" => js_date(Utc::now() + random_span(365 * 86_400)),
        "$randomDateRecent" => js_date(Utc::now() - random_span(86_400)),
        "$randomMonth" => pick(MONTHS),
        "$randomWeekday" => pick(WEEKDAYS),
        "$randomBankAccount" => digits(8),
        "$randomBankAccountName" => format!("{} Account", pick(ACCOUNT_NAMES)),
        "$randomCreditCardMask" => format!("(...{})", digits(4)),
        "$randomTransactionType" => pick(TRANSACTION_TYPES),
        "$randomCurrencyCode" => currency::CurrencyCode().fake(),
        "$randomCurrencyName" => currency::CurrencyName().fake(),
        "$randomCurrencySymbol" => currency::CurrencySymbol().fake(),
        "$randomBitcoin" => bitcoin_address(),
        "$randomBankAccountIban" => iban(),
        "$randomBankAccountBic" => finance::Bic().fake(),
        "$randomAbbreviation" => pick(ABBREVIATIONS),
        "$randomAdjective" => pick(HACKER_ADJECTIVES),
        "$randomNoun" => pick(HACKER_NOUNS),
        "$randomVerb" => pick(HACKER_VERBS),
        "$randomIngverb" => pick(HACKER_INGVERBS),
        "$randomPhrase" => format!(
            "Try {} the {} {}, maybe it will {} the {} {}!",
            pick(HACKER_INGVERBS),
            pick(ABBREVIATIONS),
            pick(HACKER_NOUNS),
            pick(HACKER_VERBS),
            pick(HACKER_ADJECTIVES),
            pick(HACKER_NOUNS)
        ),
        "$randomAvatarImage" => {
            format!(
                "https://avatars.githubusercontent.com/u/{}",
                rng().random_range(1..=99_999_999)
            )
        }
        "$randomImageUrl" => "https://loremflickr.com/640/480".to_owned(),
        "$randomImageDataUri" => image_data_uri(),
        other => {
            return image_url(other)
                .or_else(|| internet_value(other))
                .or_else(|| text_value(other));
        }
    };
    Some(value)
}

/// `$random<Topic>Image`: a 640x480 image URL for that topic.
fn image_url(name: &str) -> Option<String> {
    let topic = name
        .strip_prefix("$random")?
        .strip_suffix("Image")?
        .to_ascii_lowercase();
    IMAGE_TOPICS
        .contains(&topic.as_str())
        .then(|| format!("https://loremflickr.com/640/480/{topic}"))
}

/// The internet family.
fn internet_value(name: &str) -> Option<String> {
    let value = match name {
        "$randomEmail" => internet::FreeEmail().fake(),
        "$randomExampleEmail" => {
            format!(
                "{}@{}",
                internet::Username().fake::<String>(),
                pick(EXAMPLE_DOMAINS)
            )
        }
        "$randomUserName" => internet::Username().fake(),
        "$randomProtocol" => pick(PROTOCOLS),
        "$randomUrl" => format!("{}://{}", pick(PROTOCOLS), domain_name()),
        "$randomDomainName" => domain_name(),
        "$randomDomainSuffix" => internet::DomainSuffix().fake(),
        "$randomDomainWord" => domain_word(),
        "$randomIP" => internet::IPv4().fake(),
        "$randomIPV6" => internet::IPv6().fake::<String>().to_ascii_lowercase(),
        "$randomUserAgent" => internet::UserAgent().fake(),
        "$randomMACAddress" => internet::MACAddress().fake::<String>().to_ascii_lowercase(),
        "$randomPassword" => Alphanumeric.sample_string(&mut rng(), 15),
        _ => return None,
    };
    Some(value)
}

/// The lorem, name, misc and file families.
fn text_value(name: &str) -> Option<String> {
    let value = match name {
        "$randomLoremWord" | "$randomWord" => lorem::Word().fake(),
        "$randomLoremWords" => lorem::Words(3..4).fake::<Vec<String>>().join(" "),
        "$randomLoremSentence" => sentence(),
        "$randomLoremSlug" => lorem::Words(3..4).fake::<Vec<String>>().join("-"),
        "$randomLoremSentences" => sentences(2, 6, " "),
        "$randomLoremParagraph" => sentences(3, 3, " "),
        "$randomLoremParagraphs" => (0..3)
            .map(|_| sentences(3, 3, " "))
            .collect::<Vec<_>>()
            .join("\n \r"),
        "$randomLoremText" => sentences(1, 4, " "),
        "$randomLoremLines" => sentences(1, 5, "\n"),
        "$randomFirstName" => name::FirstName().fake(),
        "$randomLastName" => name::LastName().fake(),
        "$randomFullName" => name::Name().fake(),
        "$randomJobTitle" => format!(
            "{} {} {}",
            job::Seniority().fake::<String>(),
            job::Field().fake::<String>(),
            job::Position().fake::<String>()
        ),
        "$randomNamePrefix" => name::Title().fake(),
        "$randomNameSuffix" => name::Suffix().fake(),
        "$randomJobDescriptor" => job::Seniority().fake(),
        "$randomJobArea" => job::Field().fake(),
        "$randomJobType" => job::Position().fake(),
        "$randomBoolean" => rng().random_bool(0.5).to_string(),
        "$randomAlphaNumeric" => {
            let chars = b"abcdefghijklmnopqrstuvwxyz0123456789";
            chars
                .choose(&mut rng())
                .map(|c| char::from(*c).to_string())
                .unwrap_or_default()
        }
        "$randomFileName" => fs::FileName().fake(),
        "$randomCommonFileName" => format!(
            "{}.{}",
            lorem::Word().fake::<String>(),
            pick(COMMON_FILE_EXTS)
        ),
        "$randomMimeType" => fs::MimeType().fake(),
        "$randomCommonFileType" => pick(COMMON_FILE_TYPES),
        "$randomCommonFileExt" => pick(COMMON_FILE_EXTS),
        "$randomFileType" => pick(FILE_TYPES),
        "$randomFileExt" => fs::FileExtension().fake(),
        "$randomSemver" => {
            let mut r = rng();
            format!(
                "{}.{}.{}",
                r.random_range(0..10),
                r.random_range(0..10),
                r.random_range(0..10)
            )
        }
        _ => return None,
    };
    Some(value)
}

/// One entry of a non-empty list.
fn pick(list: &[&str]) -> String {
    list.choose(&mut rng())
        .copied()
        .unwrap_or_default()
        .to_owned()
}

/// `n` random decimal digits.
fn digits(n: usize) -> String {
    let mut r = rng();
    (0..n)
        .map(|_| char::from(b'0' + r.random_range(0..10_u8)))
        .collect()
}

/// A 10-digit North American style number, `xxx-xxx-xxxx`.
fn phone_number() -> String {
    let mut r = rng();
    format!(
        "{}{}-{}{}-{}",
        r.random_range(2..10),
        digits(2),
        r.random_range(2..10),
        digits(2),
        digits(4)
    )
}

/// A random span of up to `max_seconds`, at least one second.
fn random_span(max_seconds: i64) -> Duration {
    Duration::seconds(rng().random_range(1..=max_seconds))
}

/// JavaScript's `Date#toString` for a UTC instant (what faker's dates turn into in a template).
fn js_date(at: DateTime<Utc>) -> String {
    at.format("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
        .to_string()
}

/// A lowercase single-label domain word.
fn domain_word() -> String {
    name::LastName()
        .fake::<String>()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `word.suffix`.
fn domain_name() -> String {
    format!(
        "{}.{}",
        domain_word(),
        internet::DomainSuffix().fake::<String>()
    )
}

/// A capitalised lorem sentence of 3 to 10 words ending with a period.
fn sentence() -> String {
    let text: String = lorem::Sentence(3..11).fake();
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Between `min` and `max` sentences joined by `sep`.
fn sentences(min: usize, max: usize, sep: &str) -> String {
    let count = rng().random_range(min..=max);
    (0..count).map(|_| sentence()).collect::<Vec<_>>().join(sep)
}

/// A legacy (P2PKH, starting with `1`, or P2SH, starting with `3`) looking Bitcoin address.
fn bitcoin_address() -> String {
    let mut r = rng();
    let len = r.random_range(25..=33);
    let first = if r.random_bool(0.5) { '1' } else { '3' };
    let rest: String = (0..len)
        .filter_map(|_| BASE58.choose(&mut r).map(|b| char::from(*b)))
        .collect();
    format!("{first}{rest}")
}

/// A British-format IBAN (`GBkk BANK 000000 00000000`, no spaces) with valid check digits.
fn iban() -> String {
    let mut r = rng();
    let bank: String = (0..4)
        .map(|_| char::from(b'A' + r.random_range(0..26_u8)))
        .collect();
    let bban = format!("{bank}{}", digits(14));
    // ISO 13616: move "GB00" to the end, letters become 10..35, check = 98 - (n mod 97).
    let rearranged = format!("{bban}GB00");
    let remainder = rearranged.chars().fold(0_u32, |acc, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    });
    format!("GB{:02}{bban}", 98 - remainder)
}

/// A small SVG image as a data URI, like faker's `image.dataUri`.
fn image_data_uri() -> String {
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" baseProfile=\"full\" width=\"640\" height=\"480\">\
        <rect width=\"100%\" height=\"100%\" fill=\"grey\"/>\
        <text x=\"320\" y=\"240\" font-size=\"20\" text-anchor=\"middle\" fill=\"white\">640x480</text></svg>";
    let encoded = percent_encoding::utf8_percent_encode(svg, percent_encoding::NON_ALPHANUMERIC);
    format!("data:image/svg+xml;charset=UTF-8,{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(name: &str) -> String {
        dynamic_value(name).unwrap_or_else(|| panic!("{name} has no value"))
    }

    fn is_uuid_v4(s: &str) -> bool {
        Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 4)
            && s.len() == 36
            && s == s.to_ascii_lowercase()
    }

    #[test]
    fn every_name_has_a_value() {
        assert_eq!(dynamic_names().len(), 118);
        for name in dynamic_names() {
            let v = value(name);
            assert!(!v.trim().is_empty(), "{name} gave {v:?}");
            assert!(!v.contains("{{"), "{name} gave {v:?}");
        }
        let mut sorted = dynamic_names().to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 118, "names are unique");
        assert_eq!(dynamic_value("$unknown"), None);
        assert_eq!(dynamic_value("guid"), None);
    }

    #[test]
    fn core_shapes() {
        for name in ["$guid", "$randomUUID"] {
            let (a, b) = (value(name), value(name));
            assert!(is_uuid_v4(&a), "{a}");
            assert_ne!(a, b);
        }
        for _ in 0..200 {
            let n: i64 = value("$randomInt").parse().unwrap_or(-1);
            assert!((0..=1000).contains(&n), "{n}");
        }
        let ts: i64 = value("$timestamp").parse().unwrap_or(0);
        assert!((Utc::now().timestamp() - ts).abs() < 120, "{ts}");
        let iso = value("$isoTimestamp");
        assert!(DateTime::parse_from_rfc3339(&iso).is_ok(), "{iso}");
        assert_eq!(iso.len(), 24, "{iso}");
        assert!(iso.ends_with('Z') && iso.as_bytes()[19] == b'.', "{iso}");
    }

    #[test]
    fn other_shapes() {
        let phone = value("$randomPhoneNumber");
        assert!(
            phone.len() == 12 && phone.chars().filter(char::is_ascii_digit).count() == 10,
            "{phone}"
        );
        let ext = value("$randomPhoneNumberExt");
        let (prefix, rest) = ext.split_once('-').unwrap_or_default();
        assert!(
            prefix.parse::<u8>().is_ok_and(|p| (1..=99).contains(&p)) && rest.len() == 12,
            "{ext}"
        );
        let password = value("$randomPassword");
        assert!(
            password.len() == 15 && password.chars().all(|c| c.is_ascii_alphanumeric()),
            "{password}"
        );
        let hex = value("$randomHexColor");
        assert!(hex.len() == 7 && hex.starts_with('#'), "{hex}");
        assert_eq!(value("$randomAlphaNumeric").chars().count(), 1);
        assert!(["true", "false"].contains(&value("$randomBoolean").as_str()));
        assert!(value("$randomEmail").contains('@'));
        assert!(value("$randomExampleEmail").contains("@example."));
        assert!(value("$randomIP").parse::<std::net::Ipv4Addr>().is_ok());
        assert!(value("$randomIPV6").parse::<std::net::Ipv6Addr>().is_ok());
        assert_eq!(value("$randomBankAccount").len(), 8);
        assert!(value("$randomCatsImage").ends_with("/cats"));
        assert!(value("$randomImageDataUri").starts_with("data:image/svg+xml"));
        let lat: f64 = value("$randomLatitude").parse().unwrap_or(999.0);
        assert!((-90.0..=90.0).contains(&lat));
        let price: f64 = value("$randomPrice").parse().unwrap_or(0.0);
        assert!((100.0..=999.0).contains(&price));
        assert_eq!(value("$randomSemver").split('.').count(), 3);
        assert!(value("$randomDatePast").ends_with("GMT+0000 (Coordinated Universal Time)"));
        assert!(LOCALES.contains(&value("$randomLocale").as_str()));
    }

    #[test]
    fn iban_check_digits_are_valid() {
        let iban = iban();
        assert_eq!(iban.len(), 22, "{iban}");
        let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
        let remainder = rearranged.chars().fold(0_u32, |acc, c| {
            let v = c.to_digit(36).unwrap_or(0);
            if v >= 10 {
                (acc * 100 + v) % 97
            } else {
                (acc * 10 + v) % 97
            }
        });
        assert_eq!(remainder, 1, "{iban}");
    }
}
