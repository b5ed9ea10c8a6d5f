//! `capi-core-wasm <input> <runs>`: see Cargo.toml. On the host it runs natively too.

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "page_view".into());
    let n: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    capi_test_support::pipeline_inputs::run_pipeline(&which, n);
}
