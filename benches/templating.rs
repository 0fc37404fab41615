//! `{{var}}` resolution (`Scopes::resolve`): a request's URL, one header and a JSON body using
//! ten variables of a twenty-variable environment, as a run resolves them for every request.

use criterion::{Criterion, criterion_group, criterion_main};

mod support;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn templating(c: &mut Criterion) {
    let scopes = support::scopes();
    let url = "{{baseUrl}}/{{version}}/orgs/{{orgId}}/locations/{{locationId}}/items?limit={{limit}}&cursor={{cursor}}";
    let header = "Bearer {{token}}";
    let body = r#"{
  "sku": "{{sku}}",
  "quantity": {{quantity}},
  "customer": { "email": "{{customerEmail}}" },
  "note": "reserved by the nightly run"
}"#;
    c.bench_function("resolve URL, header and body (10 of 20 variables)", |b| {
        b.iter(|| {
            let out = [
                scopes.resolve(std::hint::black_box(url)),
                scopes.resolve(std::hint::black_box(header)),
                scopes.resolve(std::hint::black_box(body)),
            ];
            std::hint::black_box(out)
        });
    });
}

criterion_group!(benches, templating);
criterion_main!(benches);
