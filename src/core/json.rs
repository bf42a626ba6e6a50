//! Parsing JSON text. Every parse in the crate goes through `serde_json::from_slice`: `from_str`
//! reads with a second reader type (`StrRead`), and the wasm then holds two copies of serde_json's
//! parser and of each type's deserializer, one per reader (measured in BENCHMARKS.md, "Worker:
//! built size"). Text is valid UTF-8 already, so the answers and the errors are the same.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// `text` parsed as a `T` (what `serde_json::from_str` does, through the one reader).
pub fn from_text<'a, T: Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// `value` as JSON text: what `value.to_string()` writes, through the writer `serde_json::to_vec`
/// uses (`Value`'s `Display` is a second serializer for it in the wasm, with its compact and its
/// pretty formatter; BENCHMARKS.md, "Worker: built size"). Writing a `Value` cannot fail.
pub fn to_text(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A unit-only enum read from its name: the `Deserialize` of the crate's enums of names
/// (statuses, kinds, types). For a JSON string it answers what serde's derive does, with the same
/// ``unknown variant `x`, expected one of ...`` message; the derive also reads the object form
/// `{"name": null}` (no JSON here uses it), and for any other value its message is serde_json's
/// `expected value`, where this one says `invalid type: ..., expected enum X`. The derive's code
/// for both forms is about 1.4 KB of wasm per enum (BENCHMARKS.md, "Worker: built size").
/// `names[i]` is the name of `variants[i]`; another name is `other`, or an error without one.
pub fn unit_variant<'de, D: Deserializer<'de>, T: Copy>(
    deserializer: D,
    expecting: &'static str,
    names: &'static [&'static str],
    variants: &[T],
    other: Option<T>,
) -> Result<T, D::Error> {
    let index = deserializer.deserialize_str(NameVisitor { expecting, names, has_other: other.is_some() })?;
    index.and_then(|index| variants.get(index).copied()).or(other).ok_or_else(|| de::Error::unknown_variant("", names))
}

/// A name's index among `names` (`None` for another name when the enum has an `other` variant).
struct NameVisitor {
    expecting: &'static str,
    names: &'static [&'static str],
    has_other: bool,
}

impl Visitor<'_> for NameVisitor {
    type Value = Option<usize>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Option<usize>, E> {
        match self.names.iter().position(|known| *known == name) {
            Some(index) => Ok(Some(index)),
            None if self.has_other => Ok(None),
            None => Err(E::unknown_variant(name, self.names)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn parses_like_from_str_with_the_same_errors() {
        for text in [r#"{"a":[1,2.5,"é\u00e9"],"b":null}"#, "[1,", r#"{"a":1,}"#, "\"\\ud800\"", "tru", " 7 "] {
            let ours = from_text::<Value>(text).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{text}");
        }
    }

    /// A derived enum and one read by `unit_variant`, with the same names.
    #[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Derived {
        First,
        TimedOut,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Read {
        First,
        TimedOut,
    }

    impl<'de> Deserialize<'de> for Read {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            unit_variant(deserializer, "enum Derived", &["first", "timed_out"], &[Read::First, Read::TimedOut], None)
        }
    }

    #[test]
    fn unit_variants_read_like_the_derive_with_its_messages() {
        for text in [r#""first""#, r#""timed_out""#, r#""timed\u005fout""#, r#""other""#, r#""""#] {
            let derived = from_text::<Derived>(text).map(|d| format!("{d:?}")).map_err(|e| e.to_string());
            let read = from_text::<Read>(text).map(|r| format!("{r:?}")).map_err(|e| e.to_string());
            assert_eq!(read, derived, "{text}");
            let value = serde_json::from_slice::<Value>(text.as_bytes());
            if let Ok(value) = value {
                let derived = serde_json::from_value::<Derived>(value.clone()).map(|d| format!("{d:?}")).map_err(|e| e.to_string());
                let read = serde_json::from_value::<Read>(value).map(|r| format!("{r:?}")).map_err(|e| e.to_string());
                assert_eq!(read, derived, "{text} as a value");
            }
        }
        // The differences: the derive also reads the object form; for a value that is neither a
        // string nor an object, serde_json's message for the derive names no type.
        assert!(from_text::<Derived>(r#"{"first":null}"#).is_ok());
        assert!(from_text::<Read>(r#"{"first":null}"#).is_err());
        for (text, read) in [
            ("7", "invalid type: integer `7`, expected enum Derived at line 1 column 1"),
            ("null", "invalid type: null, expected enum Derived at line 1 column 4"),
            ("[]", "invalid type: sequence, expected enum Derived at line 1 column 0"),
            ("tru", "EOF while parsing a value at line 1 column 3"),
        ] {
            assert_eq!(from_text::<Derived>(text).map_err(|e| e.to_string()), Err("expected value at line 1 column 1".to_string()), "{text}");
            assert_eq!(from_text::<Read>(text).map_err(|e| e.to_string()), Err(read.to_string()), "{text}");
        }
    }

    #[test]
    fn unit_variants_with_an_other_read_every_other_name_as_it() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Kind {
            Known,
            Other,
        }
        let read = |text: &str| from_text::<Kind>(text).map_err(|e| e.to_string());
        impl<'de> Deserialize<'de> for Kind {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                unit_variant(deserializer, "enum Kind", &["known", "other"], &[Kind::Known, Kind::Other], Some(Kind::Other))
            }
        }
        assert_eq!(read(r#""known""#), Ok(Kind::Known));
        assert_eq!(read(r#""other""#), Ok(Kind::Other));
        assert_eq!(read(r#""anything""#), Ok(Kind::Other));
        assert_eq!(read("1"), Err("invalid type: integer `1`, expected enum Kind at line 1 column 1".to_string()));
    }
}
