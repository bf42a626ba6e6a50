//! Parsing JSON text. Every parse in the crate goes through `serde_json::from_slice`: `from_str`
//! reads with a second reader type (`StrRead`), and the wasm then holds two copies of serde_json's
//! parser and of each type's deserializer, one per reader (measured in BENCHMARKS.md, "Worker:
//! built size"). Text is valid UTF-8 already, so the answers and the errors are the same.

use serde::Deserialize;

/// `text` parsed as a `T` (what `serde_json::from_str` does, through the one reader).
pub fn from_text<'a, T: Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
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
}
