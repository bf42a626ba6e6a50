//! The core's cost per warm sync invocation with ten inputs (validate and coerce, build the
//! request, parse the answer, audit hash). Target: at most 20 µs natively.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use cxone_data_actions::bench_support::SyncInvokeFixture;

fn sync_invoke(c: &mut Criterion) {
    let Ok(mut fixture) = SyncInvokeFixture::new() else {
        eprintln!("fixture failed");
        return;
    };
    c.bench_function("core sync invoke, ten inputs", |b| {
        b.iter(|| black_box(fixture.run_once(black_box(1_000)).unwrap_or(0)))
    });
    // A plain figure as well, in the form the other benchmarks print.
    let iterations = 20_000u32;
    let started = Instant::now();
    for _ in 0..iterations {
        black_box(fixture.run_once(1_000).unwrap_or(0));
    }
    let per_call_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
    println!("core sync invoke (ten inputs), native: {per_call_us:.2} us per invocation over {iterations} runs (target <= 20 us)");
}

criterion_group!(benches, sync_invoke);
criterion_main!(benches);
