//! Native timing of the selected candidate on the lookup-customer inputs: compile + validate per
//! call (what the core does per invocation), and validate alone with the schema compiled once.

use std::hint::black_box;
use std::time::Instant;

use serde_json::json;

fn main() {
    let schema = json!({
        "type": "object",
        "properties": {
            "customerId": {"type": "string", "minLength": 1, "maxLength": 64},
            "includeHistory": {"type": "boolean"},
            "maxResults": {"type": "integer", "minimum": 1, "maximum": 100}
        },
        "required": ["customerId"],
        "additionalProperties": false
    });
    let good = json!({"customerId": "C-1001", "includeHistory": true, "maxResults": 10});
    let bad = json!({"includeHistory": "maybe", "maxResults": 1000, "extra": 1});
    let name = option_env!("CANDIDATE").unwrap_or("?");
    let Ok(compiled) = schema_choice::compile(&schema) else {
        eprintln!("{name}: the schema does not compile");
        std::process::exit(1);
    };
    println!("{name}: problems good={} bad={}", schema_choice::problems(&compiled, &good), schema_choice::problems(&compiled, &bad));
    for (label, instance) in [("valid", &good), ("4 problems", &bad)] {
        let iterations = 20_000u32;
        let started = Instant::now();
        for _ in 0..iterations {
            let compiled = schema_choice::compile(black_box(&schema)).ok();
            black_box(compiled.map(|c| schema_choice::problems(&c, black_box(instance))));
        }
        let with_compile = started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        let iterations = 200_000u32;
        let started = Instant::now();
        for _ in 0..iterations {
            black_box(schema_choice::problems(&compiled, black_box(instance)));
        }
        let validate_only = started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        println!("{name}: lookup-customer inputs ({label}): compile+validate {with_compile:.2} us, validate only {validate_only:.3} us");
    }
}
