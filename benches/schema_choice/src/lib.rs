//! One wasm export per candidate validator: `check(text)` reads `[schema, instance]` (JSON),
//! compiles the schema, validates the instance and answers the number of problems (or `u32::MAX`
//! when the schema does not compile). Built through wasm-bindgen, as the package is.

use serde_json::Value;

/// A compiled schema of the candidate selected by the features.
pub struct Compiled {
    #[cfg(feature = "handrolled")]
    handrolled: cxone_data_actions::core::schema::Schema,
    #[cfg(feature = "jsonschema")]
    jsonschema: jsonschema::Validator,
    #[cfg(feature = "boon")]
    boon: (boon::Schemas, boon::SchemaIndex),
    #[cfg(feature = "regex-lite")]
    pattern: Option<regex_lite::Regex>,
    #[cfg(not(any(feature = "handrolled", feature = "jsonschema", feature = "boon")))]
    object: bool,
}

/// Compiles `schema`, or says why not.
pub fn compile(schema: &Value) -> Result<Compiled, String> {
    Ok(Compiled {
        #[cfg(feature = "handrolled")]
        handrolled: cxone_data_actions::core::schema::Schema::compile(schema).map_err(|e| e.to_string())?,
        #[cfg(feature = "jsonschema")]
        jsonschema: jsonschema::validator_for(schema).map_err(|e| e.to_string())?,
        #[cfg(feature = "boon")]
        boon: {
            let mut schemas = boon::Schemas::new();
            let mut compiler = boon::Compiler::new();
            compiler.add_resource("urn:schema", schema.clone()).map_err(|e| e.to_string())?;
            let index = compiler.compile("urn:schema", &mut schemas).map_err(|e| e.to_string())?;
            (schemas, index)
        },
        #[cfg(feature = "regex-lite")]
        pattern: match schema.get("pattern").and_then(Value::as_str) {
            Some(p) => Some(regex_lite::Regex::new(p).map_err(|e| e.to_string())?),
            None => None,
        },
        #[cfg(not(any(feature = "handrolled", feature = "jsonschema", feature = "boon")))]
        object: schema.is_object(),
    })
}

/// The number of problems `instance` has against `compiled`.
pub fn problems(compiled: &Compiled, instance: &Value) -> usize {
    #[allow(unused_mut)]
    let mut count = 0;
    #[cfg(feature = "handrolled")]
    {
        count += cxone_data_actions::core::validate::validate_with(&compiled.handrolled, "bench", instance)
            .err()
            .map_or(0, |e| e.issues().len());
    }
    #[cfg(feature = "jsonschema")]
    {
        count += compiled.jsonschema.iter_errors(instance).count();
    }
    #[cfg(feature = "boon")]
    {
        let (schemas, index) = &compiled.boon;
        count += schemas.validate(instance, *index).err().map_or(0, |e| leaves(&e));
    }
    #[cfg(feature = "regex-lite")]
    {
        if let (Some(re), Some(text)) = (&compiled.pattern, instance.as_str()) {
            count += usize::from(!re.is_match(text));
        }
    }
    #[cfg(not(any(feature = "handrolled", feature = "jsonschema", feature = "boon")))]
    {
        count += usize::from(compiled.object != instance.is_object());
    }
    count
}

#[cfg(feature = "boon")]
fn leaves(error: &boon::ValidationError<'_, '_>) -> usize {
    if error.causes.is_empty() {
        1
    } else {
        error.causes.iter().map(leaves).sum()
    }
}

/// Reads `[schema, instance]` (JSON) and answers the problem count (`u32::MAX` when the text or
/// the schema is unusable).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn check(pair: &str) -> u32 {
    let Ok(Value::Array(pair)) = serde_json::from_str::<Value>(pair) else { return u32::MAX };
    let (Some(schema), Some(instance)) = (pair.first(), pair.get(1)) else { return u32::MAX };
    match compile(schema) {
        Ok(compiled) => u32::try_from(problems(&compiled, instance)).unwrap_or(u32::MAX),
        Err(_) => u32::MAX,
    }
}
