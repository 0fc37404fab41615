//! The redactor every output passes through: masking a 4 KB response with 1,000 known secrets,
//! and learning secrets one by one, masking after each (what a run that learns a token per
//! request does between outputs; each new secret used to rebuild one automaton over all).

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use snapman::secret::Redactor;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Secrets known before the measured steps.
const KNOWN: usize = 1_000;

/// Secrets learnt one by one in the learning bench: the first power of two above [`KNOWN`].
const STEPS: usize = 1_024;

/// The `i`th secret: a token-like value of 40 characters.
fn secret(i: usize) -> String {
    format!("tok_{i:08}_9f8e7d6c5b4a39281706f5e4d3")
}

/// A redactor that knows [`KNOWN`] secrets, its matcher built.
fn known_redactor() -> Redactor {
    let redactor = Redactor::new();
    for i in 0..KNOWN {
        redactor.add(&secret(i));
    }
    redactor.redact("");
    redactor
}

/// A 4 KB JSON response holding two of the known secrets.
fn response_text() -> String {
    let mut text = format!(
        "{{\"access_token\":\"{}\",\"refresh\":\"{}\",\"items\":[",
        secret(17),
        secret(900)
    );
    let mut i = 0;
    while text.len() < 4000 {
        text.push_str(&format!(
            "{{\"id\":{i},\"sku\":\"SKU-{i:05}\",\"location\":\"warehouse-{}\",\"onHand\":{}}},",
            i % 7,
            i * 3
        ));
        i += 1;
    }
    text.push_str("{}]}");
    text
}

fn redaction(c: &mut Criterion) {
    let text = response_text();
    let redactor = known_redactor();
    let masked = redactor.redact(&text);
    assert_eq!(masked.matches("[redacted]").count(), 2, "{masked}");

    let mut group = c.benchmark_group("redaction");
    group.bench_function("mask 4 KB, 1,000 secrets", |b| {
        b.iter(|| redactor.redact(std::hint::black_box(&text)));
    });
    // One iteration learns STEPS new secrets one by one, masking the text after each, from a
    // fresh redactor of 1,000 (set up untimed). STEPS fresh secrets are one whole cycle of
    // the automata's merges (the last one merges them into the 1,000-secret automaton), so
    // the time per iteration divided by STEPS is the amortized cost of one secret.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(STEPS as u64));
    group.bench_function(
        "learn 1,024 secrets one by one, masking 4 KB after each",
        |b| {
            b.iter_batched(
                known_redactor,
                |learner| {
                    for step in 0..STEPS {
                        learner.add(&secret(KNOWN + step));
                        std::hint::black_box(learner.redact(&text));
                    }
                    // Dropped untimed.
                    learner
                },
                BatchSize::PerIteration,
            );
        },
    );
    group.finish();
}

criterion_group!(benches, redaction);
criterion_main!(benches);
